#include "bench/catalog_generator.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "rules/gtin.hpp"
#include "rules/registration.hpp"
#include "rules/text.hpp"

namespace canhbao::bench {

namespace {

using Rng = std::mt19937_64;

struct Pack {
  const char* package;
  const char* size;
};

struct ProductType {
  const char* name;
  // Drugs and supplements carry a registration number (số đăng ký).
  bool registered;
  std::array<Pack, 3> packs;
};

// clang-format off
constexpr ProductType kTypes[] = {
    {"Sữa bột", false, {{{"lon", "400g"}, {"lon", "800g"}, {"hộp", "900g"}}}},
    {"Sữa tươi", false, {{{"hộp", "180ml"}, {"hộp", "1L"}, {"bịch", "220ml"}}}},
    {"Nước mắm", false, {{{"chai", "500ml"}, {"chai", "750ml"}, {"can", "2L"}}}},
    {"Bánh quy", false, {{{"hộp", "300g"}, {"gói", "150g"}, {"hộp", "454g"}}}},
    {"Dầu gội", false, {{{"chai", "650ml"}, {"chai", "340ml"}, {"gói", "6g"}}}},
    {"Kem chống nắng", false, {{{"tuýp", "50ml"}, {"tuýp", "30ml"}, {"chai", "100ml"}}}},
    {"Thuốc ho", true, {{{"chai", "100ml"}, {"hộp", "20 gói"}, {"lọ", "60ml"}}}},
    {"Viên sủi", true, {{{"tuýp", "20 viên"}, {"hộp", "10 viên"}, {"tuýp", "10 viên"}}}},
    {"Siro ho", true, {{{"chai", "90ml"}, {"chai", "125ml"}, {"lọ", "60ml"}}}},
    {"Thuốc nhỏ mắt", true, {{{"lọ", "10ml"}, {"lọ", "15ml"}, {"hộp", "5 ống"}}}},
    {"Vitamin C", true, {{{"lọ", "100 viên"}, {"tuýp", "20 viên"}, {"hộp", "30 viên"}}}},
    {"Men vi sinh", true, {{{"hộp", "20 ống"}, {"hộp", "30 gói"}, {"lọ", "60 viên"}}}},
    {"Mì ăn liền", false, {{{"gói", "75g"}, {"thùng", "30 gói"}, {"ly", "65g"}}}},
    {"Dầu ăn", false, {{{"chai", "1L"}, {"can", "5L"}, {"chai", "400ml"}}}},
    {"Nước giặt", false, {{{"túi", "3.2kg"}, {"chai", "2.4kg"}, {"túi", "2kg"}}}},
    {"Kem đánh răng", false, {{{"tuýp", "180g"}, {"tuýp", "100g"}, {"hộp", "230g"}}}},
    {"Sữa rửa mặt", false, {{{"tuýp", "100g"}, {"tuýp", "50g"}, {"chai", "150ml"}}}},
    {"Bột giặt", false, {{{"túi", "3kg"}, {"túi", "800g"}, {"túi", "6kg"}}}},
    {"Nước rửa chén", false, {{{"chai", "750ml"}, {"can", "3.8kg"}, {"túi", "1.5kg"}}}},
    {"Trà xanh", false, {{{"chai", "455ml"}, {"hộp", "25 gói"}, {"thùng", "24 chai"}}}},
    {"Cà phê hòa tan", false, {{{"hộp", "18 gói"}, {"bịch", "50 gói"}, {"hũ", "200g"}}}},
    {"Tã dán", false, {{{"gói", "50 miếng"}, {"gói", "36 miếng"}, {"thùng", "4 gói"}}}},
    {"Sữa chua", false, {{{"lốc", "4 hộp"}, {"hộp", "100g"}, {"lốc", "6 chai"}}}},
    {"Nước tương", false, {{{"chai", "500ml"}, {"chai", "250ml"}, {"can", "1.8L"}}}},
    {"Tương ớt", false, {{{"chai", "250g"}, {"chai", "520g"}, {"túi", "1kg"}}}},
    {"Khẩu trang y tế", false, {{{"hộp", "50 cái"}, {"túi", "10 cái"}, {"hộp", "20 cái"}}}},
};
// clang-format on

// Brands are two syllables ("Phú Gia") or one made-up Latin word; none is
// meant to name a real company.
constexpr const char* kBrandFirst[] = {"Phú",  "Bình", "Sao",  "Hoa",    "Minh", "An",  "Kim",
                                       "Thiên", "Nam", "Việt", "Hồng",   "Ánh",  "Bảo", "Gia",
                                       "Tân",  "Đại",  "Lộc",  "Trường", "Hải",  "Thảo"};
constexpr const char* kBrandSecond[] = {"Gia",   "An",   "Mai",    "Sen",  "Châu", "Khang", "Long",
                                        "Phát",  "Phương", "Đức",  "Dương", "Ngọc", "Xanh", "Lợi",
                                        "Tiến",  "Hưng", "Thịnh", "Việt", "Hà",   "Lâm"};
constexpr const char* kLatinBrands[] = {"Vinoha", "Mekora",  "Saicare", "Hanolia", "Lotavi",
                                        "Grenmo", "Biovita", "Dalavi",  "Cantho",  "Mocare"};

constexpr const char* kQualifiers[] = {
    "Gold",        "Plus",      "Organic",  "Kids",      "Trẻ em",          "Hương dâu",
    "Hương bạc hà", "Không đường", "Ít béo", "Cao cấp",   "Thảo dược",       "Chiết xuất gừng",
    "Vị cay",      "Sensitive", "Hương chanh", "Người lớn", "Bổ sung canxi", "Dịu nhẹ"};

// Letters that start a product series code such as "ABC3".
constexpr char kSeriesLetters[] = "ABCDGHKLMNPSTVX";

// Words that merchants add around a product name, with and without marks.
struct Decoration {
  const char* marked;
  const char* ascii;
};
constexpr Decoration kPrefixes[] = {
    {"[Chính hãng]", "[Chinh hang]"}, {"Combo 2", "Combo 2"}, {"Hàng mới về", "Hang moi ve"}};
constexpr Decoration kSuffixes[] = {
    {"- Date mới", "- Date moi"}, {"(Freeship)", "(Freeship)"}, {"mẫu mới", "mau moi"}};

constexpr const char* kShopKinds[] = {"Cửa hàng", "Nhà thuốc", "Tạp hóa", "Siêu thị mini", "Shop"};
constexpr const char* kStreets[] = {"Lê Lợi",      "Trần Hưng Đạo", "Nguyễn Trãi",
                                    "Hai Bà Trưng", "Lý Thường Kiệt", "Phan Đình Phùng"};
constexpr const char* kCities[] = {"Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", "Hải Phòng"};

// Independent random streams: the same (seed, stream, index) always gives the
// same sequence, whatever else was generated before.
enum class Stream : uint64_t { kItems = 1, kMerchant, kListings, kRules, kAlerts };

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Rng StreamRng(uint64_t seed, Stream stream, uint64_t index) {
  uint64_t mixed = SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(stream) ^ SplitMix64(index)));
  return Rng(mixed);
}

template <class T, size_t N>
const T& PickFrom(const T (&table)[N], uint64_t random) {
  return table[random % N];
}

const icu::Normalizer2& Nfd() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFD data failed to load");
  return *nfd;
}

icu::UnicodeString Decompose(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
  icu::UnicodeString decomposed = Nfd().normalize(text, status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFD normalization failed");
  return decomposed;
}

std::string ToNfd(const std::string& utf8) {
  std::string out;
  Decompose(utf8).toUTF8String(out);
  return out;
}

// Removes tone and vowel marks and writes đ and Đ as d and D, keeping case:
// "Sữa bột Đại An" becomes "Sua bot Dai An".
std::string StripDiacritics(const std::string& utf8) {
  icu::UnicodeString decomposed = Decompose(utf8);
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == 0x0111) c = 'd';
    if (c == 0x0110) c = 'D';
    stripped.append(c);
  }
  std::string out;
  stripped.toUTF8String(out);
  return out;
}

std::string AsciiUpper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// Escapes the RE2 and Hyperscan metacharacters in a literal piece of text.
std::string EscapeRegex(const std::string& text) {
  static constexpr std::string_view kMeta = "\\.+*?()|[]{}^$";
  std::string escaped;
  for (char c : text) {
    if (kMeta.find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// Returns "893" + the 9-digit `body` + the GS1 check digit, as GTIN-14.
std::string MakeGtin(uint64_t body) {
  char digits[14];
  std::snprintf(digits, sizeof digits, "893%09llu", static_cast<unsigned long long>(body));
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
  std::string raw(digits, 12);
  raw += static_cast<char>('0' + (10 - sum % 10) % 10);
  auto gtin = rules::NormalizeGtin(raw);
  if (!gtin) throw std::logic_error("generated GTIN " + raw + " is invalid: " + gtin.error().message_en);
  return gtin.value();
}

std::string Normalized(rules::Checked<std::string> result, const std::string& raw) {
  if (!result) throw std::logic_error("generated identifier " + raw + " is invalid: " + result.error().message_en);
  return result.value();
}

// A drug registration number in one of the VD-, VN- and VND- forms.
std::string MakeRegistration(Rng& rng) {
  static constexpr const char* kPrefixes[] = {"VD", "VN", "VND"};
  const char* prefix = PickFrom(kPrefixes, rng());
  unsigned number = rng() % 2 == 0 ? 10000 + rng() % 90000 : 1000 + rng() % 9000;
  unsigned year = 5 + rng() % 20;
  char raw[32];
  std::snprintf(raw, sizeof raw, "%s-%u-%02u", prefix, number, year);
  return Normalized(rules::NormalizeRegistration(raw), raw);
}

// A lot number written the way labels print them: "L240315", "SX240315A",
// "2403-15".
std::string MakeLot(Rng& rng) {
  unsigned year = 22 + rng() % 4;
  unsigned month = 1 + rng() % 12;
  unsigned day = 1 + rng() % 28;
  char raw[32];
  switch (rng() % 3) {
    case 0:
      std::snprintf(raw, sizeof raw, "L%02u%02u%02u", year, month, day);
      break;
    case 1:
      std::snprintf(raw, sizeof raw, "SX%02u%02u%02u%c", year, month, day,
                    static_cast<char>('A' + rng() % 6));
      break;
    default:
      std::snprintf(raw, sizeof raw, "%02u%02u-%02u", year, month, day);
      break;
  }
  return Normalized(rules::NormalizeLot(raw), raw);
}

std::string MerchantId(size_t merchant_index) {
  char id[16];
  std::snprintf(id, sizeof id, "m%06zu", merchant_index);
  return id;
}

std::string JoinWords(std::initializer_list<const std::string*> words) {
  std::string joined;
  for (const std::string* word : words) {
    if (word->empty()) continue;
    if (!joined.empty()) joined += ' ';
    joined += *word;
  }
  return joined;
}

}  // namespace

CatalogGenerator::CatalogGenerator(const CatalogOptions& options) : options_(options) {
  if (options_.item_count == 0 || options_.merchant_count == 0) {
    throw std::invalid_argument("item_count and merchant_count must be positive");
  }
  std::vector<std::string> brands;
  for (const char* first : kBrandFirst) {
    for (const char* second : kBrandSecond) {
      if (std::string_view(first) != second) brands.push_back(std::string(first) + " " + second);
    }
  }
  for (const char* latin : kLatinBrands) brands.emplace_back(latin);

  Rng rng = StreamRng(options_.seed, Stream::kItems, 0);
  // GTIN bodies are the item index times a multiplier coprime with 10^9, plus
  // an offset, modulo 10^9, so every item gets its own GTIN.
  const uint64_t gtin_offset = rng() % 1'000'000'000ULL;
  items_.reserve(options_.item_count);
  ascii_names_.reserve(options_.item_count);
  ascii_brands_.reserve(options_.item_count);
  for (size_t i = 0; i < options_.item_count; ++i) {
    CatalogItem item;
    item.type_index = rng() % std::size(kTypes);
    const ProductType& type = kTypes[item.type_index];
    item.type = type.name;
    item.brand = brands[rng() % brands.size()];
    if (rng() % 10 < 4) {
      size_t letters = 2 + rng() % 2;
      // The table ends with '\0', which is no letter.
      for (size_t l = 0; l < letters; ++l) {
        item.series += kSeriesLetters[rng() % (std::size(kSeriesLetters) - 1)];
      }
      item.series += static_cast<char>('1' + rng() % 4);
    }
    if (rng() % 2 == 0) item.qualifier = PickFrom(kQualifiers, rng());
    const Pack& pack = type.packs[rng() % type.packs.size()];
    item.package = pack.package;
    item.size = pack.size;
    item.name = JoinWords({&item.type, &item.brand, &item.series, &item.qualifier, &item.package,
                           &item.size});
    item.gtin = MakeGtin((i * 7919 + gtin_offset) % 1'000'000'000ULL);
    if (type.registered) item.registration = MakeRegistration(rng);
    for (int l = 0; l < 4; ++l) item.lots.push_back(MakeLot(rng));

    ascii_names_.push_back(StripDiacritics(item.name));
    ascii_brands_.push_back(StripDiacritics(item.brand));
    items_.push_back(std::move(item));
  }
}

size_t CatalogGenerator::PickItem(uint64_t random_a, uint64_t random_b) const {
  // Half of the listings come from the most popular 5% of items.
  size_t popular = std::max<size_t>(1, options_.item_count / 20);
  return random_a % 2 == 0 ? random_b % popular : random_b % options_.item_count;
}

rules::MerchantRecord CatalogGenerator::Merchant(size_t merchant_index) const {
  Rng rng = StreamRng(options_.seed, Stream::kMerchant, merchant_index);
  rules::MerchantRecord merchant;
  merchant.id = MerchantId(merchant_index);
  merchant.name = std::string(PickFrom(kShopKinds, rng())) + " " + PickFrom(kBrandFirst, rng()) +
                  " " + PickFrom(kBrandSecond, rng()) + " " + std::to_string(1 + rng() % 99);
  merchant.address = std::to_string(1 + rng() % 300) + " " + PickFrom(kStreets, rng()) + ", " +
                     PickFrom(kCities, rng());
  // NOTE: phone, website and accounts stay empty, so merchant-level criteria
  // find nothing; this benchmark measures product matching only.
  return merchant;
}

std::vector<rules::ProductRecord> CatalogGenerator::Products(
    size_t merchant_index, std::vector<size_t>* item_indexes) const {
  size_t count = options_.product_count / options_.merchant_count +
                 (merchant_index < options_.product_count % options_.merchant_count ? 1 : 0);
  Rng rng = StreamRng(options_.seed, Stream::kListings, merchant_index);
  std::string merchant_id = MerchantId(merchant_index);

  std::vector<rules::ProductRecord> products;
  products.reserve(count);
  if (item_indexes != nullptr) item_indexes->clear();
  for (size_t k = 0; k < count; ++k) {
    size_t item_index = PickItem(rng(), rng());
    const CatalogItem& item = items_[item_index];

    // About 45% of listings keep the marks (NFC), 45% are written without
    // them and 10% keep them in NFD, as some input methods produce.
    uint64_t spelling = rng() % 100;
    bool ascii = spelling >= 45 && spelling < 90;
    bool nfd = spelling >= 90;

    rules::ProductRecord product;
    product.merchant_id = merchant_id;
    product.sku = merchant_id + "-" + std::to_string(k);
    product.name = ascii ? ascii_names_[item_index] : item.name;
    product.brand = ascii ? ascii_brands_[item_index] : item.brand;
    uint64_t decoration = rng() % 100;
    if (decoration < 10) {
      const Decoration& prefix = PickFrom(kPrefixes, rng());
      product.name = std::string(ascii ? prefix.ascii : prefix.marked) + " " + product.name;
    } else if (decoration < 20) {
      const Decoration& suffix = PickFrom(kSuffixes, rng());
      product.name += " " + std::string(ascii ? suffix.ascii : suffix.marked);
    }
    if (ascii && rng() % 20 == 0) product.name = AsciiUpper(product.name);
    if (nfd) {
      product.name = ToNfd(product.name);
      product.brand = ToNfd(product.brand);
    }

    if (rng() % 10 != 0) product.gtin = item.gtin;
    if (!item.registration.empty() && rng() % 10 != 0) product.registration = item.registration;
    // 0-3 distinct lots: a window over the item's lots.
    size_t lot_count = rng() % 4;
    size_t first_lot = rng() % item.lots.size();
    for (size_t l = 0; l < lot_count; ++l) {
      product.lots.push_back(item.lots[(first_lot + l) % item.lots.size()]);
    }

    products.push_back(std::move(product));
    if (item_indexes != nullptr) item_indexes->push_back(item_index);
  }
  return products;
}

std::string CatalogGenerator::MakePattern(const CatalogItem& item, size_t shape,
                                          bool accent_insensitive, uint64_t random) const {
  // Patterns are written folded, as FoldCase or FoldAccents would fold the
  // text they are matched against.
  auto fold = [&](const std::string& text) {
    return accent_insensitive ? rules::FoldAccents(text) : rules::FoldCase(text);
  };
  const ProductType& type = kTypes[item.type_index];
  std::string type_name = EscapeRegex(fold(item.type));
  std::string brand = EscapeRegex(fold(item.brand));

  switch (shape) {
    case 0:  // a series code family: "sua bot .*abc\d"
      if (!item.series.empty()) {
        std::string letters = item.series.substr(0, item.series.size() - 1);
        return type_name + " .*" + EscapeRegex(fold(letters)) + "\\d";
      }
      break;
    case 1: {  // any brand in one pack: "dau goi [a-z ]+ chai 650ml"
      // [a-z] covers unmarked words only, so exact rules take any non-digit.
      std::string words = accent_insensitive ? "[a-z ]+" : "[^0-9]+";
      return type_name + " " + words + " " + EscapeRegex(fold(item.package + " " + item.size));
    }
    case 2:  // a literal brand name
      return brand;
    case 3: {  // two product types of one brand: "(sua bot|sua tuoi) phu gia"
      const ProductType& other = kTypes[random % std::size(kTypes)];
      return "(" + type_name + "|" + EscapeRegex(fold(other.name)) + ") " + brand;
    }
    case 4: {  // a type in either of two sizes: "nuoc mam .*(500ml|2l)"
      const Pack& other = type.packs[random % type.packs.size()];
      return type_name + " .*(" + EscapeRegex(fold(item.size)) + "|" +
             EscapeRegex(fold(other.size)) + ")";
    }
    case 5:  // a brand's variant: "phu gia .*huong dau"
      if (!item.qualifier.empty()) return brand + " .*" + EscapeRegex(fold(item.qualifier));
      break;
    default:
      break;
  }
  // One type, brand and size: "sua bot phu gia.*800g".
  return type_name + " " + brand + ".*" + EscapeRegex(fold(item.size));
}

std::vector<rules::RuleSpec> CatalogGenerator::Rules(size_t count) const {
  Rng rng = StreamRng(options_.seed, Stream::kRules, 0);
  std::vector<rules::RuleSpec> specs;
  specs.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const CatalogItem& item = items_[PickItem(rng(), rng())];
    bool accent_insensitive = i % 2 == 0;
    size_t shape = rng() % 7;
    specs.push_back(rules::RuleSpec{std::string(rules::kFieldProductName),
                                    MakePattern(item, shape, accent_insensitive, rng()),
                                    accent_insensitive});
  }
  return specs;
}

std::vector<GeneratedAlert> CatalogGenerator::Alerts(size_t count) const {
  Rng rng = StreamRng(options_.seed, Stream::kAlerts, 0);
  std::vector<GeneratedAlert> alerts;
  alerts.reserve(count);
  std::vector<size_t> listed;
  for (size_t k = 0; k < count; ++k) {
    GeneratedAlert alert;
    size_t item_count = 1 + rng() % 3;
    size_t first_item = 0;
    for (size_t j = 0; j < item_count; ++j) {
      // An item that some merchant lists, so the alert has matches.
      do {
        Products(rng() % options_.merchant_count, &listed);
      } while (listed.empty());
      size_t item_index = listed[rng() % listed.size()];
      if (j == 0) first_item = item_index;
      const CatalogItem& item = items_[item_index];

      rules::CriteriaEntry entry;
      if (!item.registration.empty() && rng() % 2 == 0) {
        entry.registrations.push_back(item.registration);
      } else {
        entry.gtins.push_back(item.gtin);
      }
      // Seven recalls in ten name the affected lots.
      if (rng() % 10 < 7) {
        size_t lot_count = 1 + rng() % 2;
        size_t first_lot = rng() % item.lots.size();
        for (size_t l = 0; l < lot_count; ++l) {
          entry.lots.push_back(item.lots[(first_lot + l) % item.lots.size()]);
        }
      }
      alert.criteria.products.push_back(std::move(entry));
    }

    if (k % 4 == 0) {
      // Name rules aim at the first item: type, brand and size, its series, or
      // its variant. Three in four are accent-insensitive.
      static constexpr size_t kAlertShapes[] = {6, 0, 5};
      size_t rule_count = 1 + rng() % 3;
      for (size_t r = 0; r < rule_count; ++r) {
        bool accent_insensitive = rng() % 4 != 0;
        size_t shape = kAlertShapes[rng() % std::size(kAlertShapes)];
        alert.rules.push_back(rules::RuleSpec{
            std::string(rules::kFieldProductName),
            MakePattern(items_[first_item], shape, accent_insensitive, rng()), accent_insensitive});
      }
    }
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace canhbao::bench
