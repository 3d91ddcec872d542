#pragma once

// Settings of `canhbao serve` and the other subcommands. Each setting has a
// flag (--name), an environment variable (CANHBAO_NAME) and a line in the
// optional config file (name = value); a flag overrides the variable, which
// overrides the file, which overrides the default.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace canhbao {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string redis = "redis://127.0.0.1:6379/0";
  std::string state_dir = "./var/canhbao";
  std::string metrics_listen = "127.0.0.1:9090";
  std::vector<std::string> trusted_proxies;
  std::string log_level = "info";
  // Event-loop threads; 0 means one per core.
  unsigned threads = 0;

  // Limits on HTTP requests.
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  size_t max_catalog_bytes = 16 * 1024 * 1024;
  size_t max_catalog_rows = 50000;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  size_t max_connections = 18000;

  // Limits on WebSocket connections. Mobile carriers put many phones behind
  // one address (carrier-grade NAT), so the per-address limit is generous.
  size_t ws_max_per_address = 2000;
  size_t ws_max_message_bytes = 16 * 1024;
  size_t ws_send_queue_bytes = 4 * 1024 * 1024;
  size_t ws_send_queue_messages = 4096;
  std::chrono::seconds ws_ping_interval{30};

  // How many of the newest alerts and notices each node keeps in memory to
  // serve `since=` without a Redis round trip.
  size_t replay_window = 100000;

  // Redis polling interval for the alert log follower; the Pub/Sub wake-up
  // makes delivery immediate, polling only bounds the delay if a wake-up is
  // lost.
  std::chrono::milliseconds follow_interval{1000};
};

// The result of parsing a command line: the settings, and the arguments
// that were not settings (subcommand words and their own options).
struct ParsedArgs {
  Config config;
  std::vector<std::string> rest;
};

// Parses settings from `--config FILE` (or CANHBAO_CONFIG), the environment
// and the flags in `args`. Throws std::invalid_argument naming the setting
// and its source when a value is malformed or out of range.
ParsedArgs ParseConfig(const std::vector<std::string>& args);

// One line per setting: flag, variable, default and meaning.
std::string ConfigHelp();

}  // namespace canhbao
