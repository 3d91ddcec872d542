#include "rules/domain.hpp"

#include <gtest/gtest.h>

namespace canhbao::rules {
namespace {

TEST(DomainNormalizer, LowerCasesAndDropsTrailingDot) {
  struct Case {
    const char* raw;
    const char* expected;
  };
  const Case cases[] = {
      {"Example.VN", "example.vn"},
      {"example.com.vn.", "example.com.vn"},
      {" www.Example.vn ", "www.example.vn"},
      {"sites.google.com", "sites.google.com"},
      {"b\xC3\xBC\x63her.de", "xn--bcher-kva.de"},          // bücher.de
      {"B\xC3\x9C\x43HER.DE", "xn--bcher-kva.de"},          // BÜCHER.DE
      {"thu\xE1\xBB\x91\x63.vn", "xn--thuc-2x5a.vn"},       // thuốc.vn in NFC
      {"thuo\xCC\x82\xCC\x81\x63.vn", "xn--thuc-2x5a.vn"},  // thuốc.vn in NFD
      {"fa\xC3\x9F.de", "xn--fa-hia.de"},                   // faß.de, non-transitional
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<std::string> result = NormalizeDomain(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value(), c.expected);
  }
}

TEST(DomainNormalizer, RejectsNonDomains) {
  std::string long_label = std::string(64, 'a') + ".vn";
  std::string long_name;
  for (int i = 0; i < 51; ++i) long_name += "abcd.";
  long_name += "vn";
  const std::string cases[] = {
      "",
      "   ",
      "https://example.vn",
      "example.vn/path",
      "example.vn:8080",
      "user@example.vn",
      "a..example.vn",
      ".example.vn",
      "localhost",
      "192.168.1.1",
      "[::1]",
      "exa mple.vn",
      "-example.vn",
      "exam_ple.vn",
      long_label,
      long_name,
      "\xC3\x28.vn",  // invalid UTF-8
  };
  for (const std::string& raw : cases) {
    SCOPED_TRACE(raw);
    Checked<std::string> result = NormalizeDomain(raw);
    ASSERT_FALSE(result.ok()) << result.value();
    EXPECT_EQ(result.error().code, "invalid_format");
  }
}

TEST(DomainNormalizer, FindsRegistrableDomain) {
  EXPECT_EQ(RegistrableDomain("a.b.example.com.vn"), "example.com.vn");
  EXPECT_EQ(RegistrableDomain("example.vn"), "example.vn");
  EXPECT_EQ(RegistrableDomain("shop.example.co.uk"), "example.co.uk");
  EXPECT_EQ(RegistrableDomain("com.vn"), "");
}

TEST(DomainNormalizer, DetectsPublicSuffixes) {
  EXPECT_TRUE(IsPublicSuffix("com.vn"));
  EXPECT_TRUE(IsPublicSuffix("vn"));
  EXPECT_FALSE(IsPublicSuffix("example.com.vn"));
}

TEST(DomainCovers, CoversItselfAndSubdomains) {
  EXPECT_TRUE(DomainCovers("example.vn", "example.vn"));
  EXPECT_TRUE(DomainCovers("example.vn", "shop.example.vn"));
  EXPECT_TRUE(DomainCovers("example.vn", "a.b.example.vn"));
  EXPECT_FALSE(DomainCovers("example.vn", "badexample.vn"));
  EXPECT_FALSE(DomainCovers("shop.example.vn", "example.vn"));
  EXPECT_FALSE(DomainCovers("example.vn", ""));
  EXPECT_FALSE(DomainCovers("", "example.vn"));
}

TEST(UrlNormalizer, ReducesToHostAndPath) {
  struct Case {
    const char* raw;
    const char* host;
    const char* path;
  };
  const Case cases[] = {
      {"https://sites.google.com/view/scam", "sites.google.com", "/view/scam"},
      {"sites.google.com/view/scam/", "sites.google.com", "/view/scam"},
      {"HTTP://Sites.Google.com/view/scam?utm=1#top", "sites.google.com", "/view/scam"},
      {"https://example.vn", "example.vn", "/"},
      {"https://example.vn/", "example.vn", "/"},
      {"https://example.vn?x=1", "example.vn", "/"},
      {"https://user:pw@example.vn:8443/a", "example.vn", "/a"},
      {"//example.vn/a", "example.vn", "/a"},
      {"https://example.vn/a%2fb%7e", "example.vn", "/a%2Fb~"},
      {"https://example.vn/%41%62c", "example.vn", "/Abc"},
      {"https://example.vn/view/scam/../other", "example.vn", "/view/other"},
      {"https://example.vn/a/./b", "example.vn", "/a/b"},
      {"https://example.vn/%2E%2E/x", "example.vn", "/x"},
      {"https://example.vn/khuy\xE1\xBA\xBFn-m\xC3\xA3i", "example.vn", "/khuy%E1%BA%BFn-m%C3%A3i"},
      {"https://oa.zalo.me/12345", "oa.zalo.me", "/12345"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Checked<UrlKey> result = NormalizeUrl(c.raw);
    ASSERT_TRUE(result.ok()) << result.error().message_en;
    EXPECT_EQ(result.value().host, c.host);
    EXPECT_EQ(result.value().path, c.path);
  }
}

TEST(UrlNormalizer, RejectsInvalid) {
  const char* cases[] = {
      "",
      "ftp://example.vn/a",
      "javascript:alert(1)",
      "https://192.168.1.1/login",
      "https://[::1]/",
      "https://example.vn/a b",
      "https://example.vn/%zz",
      "https://example.vn/%4",
      "https://example.vn:80a/",
      "https:///path",
  };
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    Checked<UrlKey> result = NormalizeUrl(raw);
    ASSERT_FALSE(result.ok()) << result.value().host << result.value().path;
    EXPECT_EQ(result.error().code, "invalid_format");
  }
}

TEST(UrlCovers, DoesNotFlagSharedPlatform) {
  UrlKey alert{"sites.google.com", "/view/scam"};
  EXPECT_TRUE(UrlCovers(alert, {"sites.google.com", "/view/scam"}));
  EXPECT_TRUE(UrlCovers(alert, {"sites.google.com", "/view/scam/pay"}));
  EXPECT_FALSE(UrlCovers(alert, {"sites.google.com", "/view/other"}));
  EXPECT_FALSE(UrlCovers(alert, {"sites.google.com", "/view/scammer"}));
  EXPECT_FALSE(UrlCovers(alert, {"sites.google.com", "/"}));
  EXPECT_FALSE(UrlCovers(alert, {"sites.google.com", "/view"}));
  EXPECT_FALSE(UrlCovers(alert, {"evil.sites.google.com", "/view/scam"}));
}

TEST(UrlCovers, RootCoversWholeHost) {
  UrlKey alert{"example.vn", "/"};
  EXPECT_TRUE(UrlCovers(alert, {"example.vn", "/"}));
  EXPECT_TRUE(UrlCovers(alert, {"example.vn", "/any/page"}));
  EXPECT_FALSE(UrlCovers(alert, {"shop.example.vn", "/"}));
}

}  // namespace
}  // namespace canhbao::rules
