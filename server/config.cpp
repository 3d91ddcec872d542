#include "server/config.hpp"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace canhbao {

namespace {

struct Setting {
  const char* name;  // flag without "--", file key; the variable is CANHBAO_ + upper case
  const char* help;
  std::function<void(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> show;
};

uint64_t ParseNumber(const std::string& value, uint64_t min, uint64_t max) {
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("expected a whole number, got '" + value + "'");
  }
  uint64_t number = std::stoull(value);
  if (number < min || number > max) {
    throw std::invalid_argument("must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", got " + value);
  }
  return number;
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  std::stringstream stream(value);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t begin = item.find_first_not_of(" \t");
    size_t end = item.find_last_not_of(" \t");
    if (begin != std::string::npos) items.push_back(item.substr(begin, end - begin + 1));
  }
  return items;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += ',';
    joined += item;
  }
  return joined.empty() ? "none" : joined;
}

template <class Member>
Setting Text(const char* name, const char* help, Member member) {
  return {name, help, [member](Config& c, const std::string& v) { c.*member = v; },
          [member](const Config& c) { return c.*member; }};
}

template <class Member>
Setting Number(const char* name, const char* help, Member member, uint64_t min, uint64_t max) {
  return {name, help,
          [member, min, max](Config& c, const std::string& v) {
            using T = std::remove_reference_t<decltype(c.*member)>;
            c.*member = static_cast<T>(ParseNumber(v, min, max));
          },
          [member](const Config& c) { return std::to_string(c.*member); }};
}

template <class Member>
Setting Duration(const char* name, const char* help, Member member, uint64_t min, uint64_t max) {
  return {name, help,
          [member, min, max](Config& c, const std::string& v) {
            using T = std::remove_reference_t<decltype(c.*member)>;
            c.*member = T(ParseNumber(v, min, max));
          },
          [member](const Config& c) { return std::to_string((c.*member).count()); }};
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      Text("listen", "HTTP and WebSocket address, host:port", &Config::listen),
      Text("redis", "Redis URL: redis://host:port/db or unix:///path/to.sock", &Config::redis),
      Text("state-dir", "folder of signing.key and tips.key (mode 0600), shared by all nodes",
           &Config::state_dir),
      Text("metrics-listen", "Prometheus /metrics address, host:port", &Config::metrics_listen),
      {"trusted-proxies",
       "comma-separated proxy addresses whose X-Forwarded-For is believed",
       [](Config& c, const std::string& v) { c.trusted_proxies = SplitList(v); },
       [](const Config& c) { return JoinList(c.trusted_proxies); }},
      {"log-level", "trace, debug, info, warn, error or critical",
       [](Config& c, const std::string& v) {
         static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical"};
         for (const char* level : kLevels) {
           if (v == level) {
             c.log_level = v;
             return;
           }
         }
         throw std::invalid_argument("unknown level '" + v + "'");
       },
       [](const Config& c) { return c.log_level; }},
      Number("threads", "event-loop threads; 0 = one per core", &Config::threads, 0, 256),
      Number("max-header-bytes", "largest HTTP request header, bytes", &Config::max_header_bytes,
             1024, 1 << 20),
      Number("max-body-bytes", "largest JSON request body, bytes", &Config::max_body_bytes, 1024,
             64 << 20),
      Number("max-catalog-bytes", "largest catalog upload, bytes", &Config::max_catalog_bytes,
             1024, 256 << 20),
      Number("max-catalog-rows", "most products in one catalog", &Config::max_catalog_rows, 1,
             1000000),
      Duration("read-timeout", "seconds to receive a whole request", &Config::read_timeout, 1,
               3600),
      Duration("idle-timeout", "seconds a keep-alive HTTP connection may idle",
               &Config::idle_timeout, 1, 3600),
      Number("max-connections", "open HTTP and WebSocket connections per node",
             &Config::max_connections, 1, 10000000),
      Number("ws-max-per-address",
             "open WebSocket connections from one client address; carrier NAT puts many "
             "phones behind one address, so keep it high",
             &Config::ws_max_per_address, 1, 10000000),
      Number("ws-max-message-bytes", "largest message a WebSocket client may send, bytes",
             &Config::ws_max_message_bytes, 128, 1 << 20),
      Number("ws-send-queue-bytes",
             "bytes queued for one slow WebSocket client before it is closed; more absorbs "
             "bursts, less bounds memory",
             &Config::ws_send_queue_bytes, 4096, 1 << 30),
      Number("ws-send-queue-messages", "messages queued for one WebSocket client before it is closed",
             &Config::ws_send_queue_messages, 1, 1 << 20),
      Duration("ws-ping-interval", "seconds between WebSocket pings; a peer silent for two is closed",
               &Config::ws_ping_interval, 1, 3600),
      Number("replay-window", "newest alerts and notices kept in memory for since= replay",
             &Config::replay_window, 16, 10000000),
      Duration("follow-interval-ms", "milliseconds between polls of the alert log",
               &Config::follow_interval, 10, 60000),
  };
  return settings;
}

std::string EnvName(const char* name) {
  std::string env = "CANHBAO_";
  for (const char* p = name; *p != '\0'; ++p) {
    env += (*p == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  }
  return env;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& setting : Settings()) {
    if (name == setting.name) return &setting;
  }
  return nullptr;
}

void Apply(Config& config, const Setting& setting, const std::string& value,
           const std::string& source) {
  try {
    setting.set(config, value);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("invalid ") + setting.name + " from " + source +
                                ": " + e.what());
  }
}

void ApplyFile(Config& config, const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::invalid_argument("cannot read config file " + path);
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos || line[begin] == '#') continue;
    size_t equals = line.find('=');
    if (equals == std::string::npos) {
      throw std::invalid_argument(path + ":" + std::to_string(number) + ": expected name = value");
    }
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t\r");
      size_t e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    std::string name = trim(line.substr(0, equals));
    std::string value = trim(line.substr(equals + 1));
    for (char& c : name) c = (c == '_') ? '-' : c;
    const Setting* setting = FindSetting(name);
    if (setting == nullptr) {
      throw std::invalid_argument(path + ":" + std::to_string(number) + ": unknown setting '" +
                                  name + "'");
    }
    Apply(config, *setting, value, path + ":" + std::to_string(number));
  }
}

}  // namespace

ParsedArgs ParseConfig(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  std::string config_file;
  if (const char* env = std::getenv("CANHBAO_CONFIG")) config_file = env;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) config_file = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) config_file = args[i].substr(9);
  }
  if (!config_file.empty()) ApplyFile(parsed.config, config_file);

  for (const Setting& setting : Settings()) {
    std::string env = EnvName(setting.name);
    if (const char* value = std::getenv(env.c_str())) {
      Apply(parsed.config, setting, value, env);
    }
  }

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      parsed.rest.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
      has_value = true;
    }
    if (name == "config") {
      if (!has_value) ++i;
      continue;
    }
    const Setting* setting = FindSetting(name);
    if (setting == nullptr) {
      parsed.rest.push_back(arg);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
      value = args[++i];
    }
    Apply(parsed.config, *setting, value, "--" + name);
  }
  return parsed;
}

std::string ConfigHelp() {
  Config defaults;
  std::string help = "Settings (flag, environment variable, default):\n";
  help += "  --config FILE  CANHBAO_CONFIG  optional file of 'name = value' lines\n";
  for (const Setting& setting : Settings()) {
    help += "  --";
    help += setting.name;
    help += "  ";
    help += EnvName(setting.name);
    help += "  [" + setting.show(defaults) + "]\n      ";
    help += setting.help;
    help += '\n';
  }
  return help;
}

}  // namespace canhbao
