// canhbao: one binary with subcommands (serve, key create, key revoke).

#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <iostream>
#include <map>

#include "admin/auth.hpp"
#include "server/config.hpp"
#include "server/service.hpp"
#include "store/key_store.hpp"
#include "store/redis_endpoint.hpp"

namespace {

namespace asio = boost::asio;
using canhbao::Config;

constexpr const char* kUsage = R"(canhbao: consumer-protection alerts for Huế

Usage:
  canhbao serve [settings]
  canhbao key create --role ROLE --name NAME [--merchant ID] [settings]
  canhbao key revoke ID [settings]
  canhbao listen [--key KEY] URL
  canhbao --help

ROLE is admin, police, market, health, moderator or merchant. `key create`
prints "id<TAB>key" on one line; the key is shown only this once.
`listen` connects to a stream such as
ws://127.0.0.1:8080/v1/stream?categories=recall and prints each message on
one line; --key sends a merchant key or device token.
)";

void SetUpLogging(const Config& config) {
  auto logger = spdlog::stderr_color_mt("canhbao");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%t] %v");
}

// Reads "--name value" options of a subcommand from the arguments that were
// not settings. Throws std::invalid_argument on an unknown option.
std::map<std::string, std::string> ReadOptions(const std::vector<std::string>& rest, size_t first,
                                               std::initializer_list<std::string> allowed,
                                               std::vector<std::string>& positional) {
  std::map<std::string, std::string> options;
  for (size_t i = first; i < rest.size(); ++i) {
    const std::string& arg = rest[i];
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (i + 1 < rest.size()) {
      value = rest[++i];
    } else {
      throw std::invalid_argument("--" + name + " needs a value");
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw std::invalid_argument("unknown option --" + name);
    }
    options[name] = value;
  }
  return options;
}

// Runs `task` against the configured Redis, waiting up to 10 s for the
// connection. Returns the process exit code.
template <class Task>
int WithRedis(const Config& config, Task task) {
  auto endpoint = canhbao::store::RedisEndpoint::Parse(config.redis);
  if (!endpoint) {
    std::cerr << "canhbao: invalid --redis URL '" << config.redis << "'\n";
    return 2;
  }
  asio::io_context io_context;
  auto redis = canhbao::store::RedisClient::Create(io_context.get_executor(), *endpoint);
  redis->Start();
  auto run = [&]() -> asio::awaitable<int> {
    asio::steady_timer timer(io_context);
    for (int i = 0; i < 100 && !redis->IsConnected(); ++i) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (!redis->IsConnected()) {
      std::cerr << "canhbao: cannot reach Redis at " << endpoint->ToString()
                << " (set --redis or CANHBAO_REDIS)\n";
      co_return 1;
    }
    int code = co_await task(redis);
    co_return code;
  };
  std::future<int> result = asio::co_spawn(io_context, run(), asio::use_future);
  std::thread runner([&] { io_context.run(); });
  int code = 1;
  try {
    code = result.get();
  } catch (const std::exception& e) {
    std::cerr << "canhbao: " << e.what() << "\n";
  }
  redis->Stop();
  io_context.stop();
  runner.join();
  return code;
}

int KeyCreate(const Config& config, const std::vector<std::string>& rest) {
  std::vector<std::string> positional;
  auto options = ReadOptions(rest, 2, {"role", "name", "merchant"}, positional);
  if (!positional.empty() || !options.count("role") || !options.count("name")) {
    std::cerr << "usage: canhbao key create --role ROLE --name NAME [--merchant ID]\n";
    return 2;
  }
  std::string role = options["role"];
  if (!canhbao::admin::IsRole(role)) {
    std::cerr << "canhbao: unknown role '" << role
              << "' (admin, police, market, health, moderator, merchant)\n";
    return 2;
  }
  std::string merchant = options.count("merchant") ? options["merchant"] : "";
  if ((role == "merchant") != !merchant.empty()) {
    std::cerr << "canhbao: --merchant is required for, and only for, the merchant role\n";
    return 2;
  }
  return WithRedis(config, [&](std::shared_ptr<canhbao::store::RedisClient> redis)
                               -> asio::awaitable<int> {
    canhbao::store::KeyStore keys(redis);
    canhbao::admin::NewKey key = canhbao::admin::MakeKey(role, options["name"], merchant);
    co_await keys.Create(key.record);
    std::cout << key.record.id() << '\t' << key.secret << std::endl;
    co_return 0;
  });
}

int KeyRevoke(const Config& config, const std::vector<std::string>& rest) {
  std::vector<std::string> positional;
  ReadOptions(rest, 2, {}, positional);
  if (positional.size() != 1) {
    std::cerr << "usage: canhbao key revoke ID\n";
    return 2;
  }
  return WithRedis(config, [&](std::shared_ptr<canhbao::store::RedisClient> redis)
                               -> asio::awaitable<int> {
    canhbao::store::KeyStore keys(redis);
    if (!co_await keys.Revoke(positional[0])) {
      std::cerr << "canhbao: no key with id " << positional[0] << "\n";
      co_return 1;
    }
    std::cout << "revoked " << positional[0] << std::endl;
    co_return 0;
  });
}

// Prints every message of a WebSocket stream, one per line, until the
// server closes it. Returns the process exit code.
int Listen(const std::vector<std::string>& rest) {
  std::vector<std::string> positional;
  auto options = ReadOptions(rest, 1, {"key"}, positional);
  if (positional.size() != 1) {
    std::cerr << "usage: canhbao listen [--key KEY] ws://HOST:PORT/v1/stream?...\n";
    return 2;
  }
  auto url = boost::urls::parse_uri(positional[0]);
  if (!url || url->scheme() != "ws" || url->host().empty()) {
    std::cerr << "canhbao: expected a ws://host:port/path URL, got '" << positional[0] << "'\n";
    return 2;
  }
  std::string host(url->host());
  std::string port = url->has_port() ? std::string(url->port()) : "80";
  std::string target(url->encoded_target());
  if (target.empty()) target = "/";
  try {
    asio::io_context io_context;
    asio::ip::tcp::resolver resolver(io_context);
    boost::beast::websocket::stream<asio::ip::tcp::socket> ws(io_context);
    asio::connect(ws.next_layer(), resolver.resolve(host, port));
    std::string key = options.count("key") ? options["key"] : "";
    ws.set_option(boost::beast::websocket::stream_base::decorator(
        [key](boost::beast::websocket::request_type& request) {
          request.set(boost::beast::http::field::sec_websocket_protocol, "canhbao.v1.json");
          if (!key.empty()) request.set(boost::beast::http::field::authorization, "Bearer " + key);
        }));
    boost::beast::websocket::response_type response;
    ws.handshake(response, host + ":" + port, target);
    std::cerr << "canhbao: connected to " << positional[0] << "\n";
    boost::beast::flat_buffer buffer;
    for (;;) {
      boost::beast::error_code ec;
      ws.read(buffer, ec);
      if (ec == boost::beast::websocket::error::closed) {
        // 1000 and 1001 (the node is stopping) are normal ends; 4008 and
        // the protocol errors are not.
        const boost::beast::websocket::close_reason& reason = ws.reason();
        std::cerr << "canhbao: the server closed the stream: " << reason.code;
        if (!reason.reason.empty()) std::cerr << " " << reason.reason;
        std::cerr << "\n";
        return reason.code == 1000 || reason.code == 1001 ? 0 : 1;
      }
      if (ec) throw boost::system::system_error(ec);
      std::cout << boost::beast::buffers_to_string(buffer.data()) << std::endl;
      buffer.consume(buffer.size());
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::beast::websocket::error::closed) return 0;
    std::cerr << "canhbao: " << positional[0] << ": " << e.code().message() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "canhbao: libsodium failed to initialize\n");
    return 1;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h" || arg == "help") {
      std::cout << kUsage << '\n' << canhbao::ConfigHelp();
      return 0;
    }
  }
  canhbao::ParsedArgs parsed;
  try {
    parsed = canhbao::ParseConfig(args);
  } catch (const std::exception& e) {
    std::cerr << "canhbao: " << e.what() << "\n";
    return 2;
  }
  // The one-shot commands print only warnings unless a level was chosen,
  // so that their own output stays readable.
  if (!parsed.rest.empty() && parsed.rest[0] != "serve" && parsed.config.log_level == "info" &&
      std::getenv("CANHBAO_LOG_LEVEL") == nullptr) {
    parsed.config.log_level = "warn";
  }
  SetUpLogging(parsed.config);
  const std::vector<std::string>& rest = parsed.rest;
  try {
    if (rest.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    if (rest[0] == "serve" && rest.size() == 1) {
      canhbao::Service service(parsed.config);
      service.Start();
      service.RunUntilSignal();
      return 0;
    }
    if (rest[0] == "key" && rest.size() >= 2 && rest[1] == "create") {
      return KeyCreate(parsed.config, rest);
    }
    if (rest[0] == "key" && rest.size() >= 2 && rest[1] == "revoke") {
      return KeyRevoke(parsed.config, rest);
    }
    if (rest[0] == "listen") return Listen(rest);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
