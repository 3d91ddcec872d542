#pragma once

// `canhbao serve`: the HTTP and WebSocket front, the metrics listener, the
// Redis connections and the hub, on one io_context run by one thread per
// core. Each HTTP connection runs as a coroutine on its own strand; after
// the upgrade, a stream connection moves to its hub shard's strand.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <thread>
#include <vector>

#include "admin/app_context.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "store/redis_subscriber.hpp"

namespace canhbao {

class Service {
 public:
  explicit Service(Config config);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds both listeners, connects to Redis in the background and starts
  // the threads. Throws std::runtime_error naming the setting to fix when
  // an address cannot be parsed or bound, or the Redis URL is invalid.
  void Start();
  // Stops accepting, closes Redis and joins the threads. Idempotent.
  void Stop();
  // Blocks until SIGINT or SIGTERM, then stops.
  void RunUntilSignal();

  uint16_t port() const { return port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  bool IsReady() const;

 private:
  boost::asio::awaitable<void> Accept(boost::asio::ip::tcp::acceptor& acceptor, bool metrics);
  boost::asio::awaitable<void> ServeHttp(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> ServeMetrics(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<Response> Dispatch(RequestContext& context, const Route* route,
                                            bool path_known);
  std::string ClientAddress(const boost::asio::ip::tcp::socket& socket, const Request& request) const;
  // Completes the WebSocket handshake and hands the socket to a
  // StreamSession on its hub shard. `request` and `context` belong to the
  // caller's frame, which outlives this call; `context.request` is
  // `request`. True when a session took the connection, and with it the
  // connection's place in the node's count.
  boost::asio::awaitable<bool> UpgradeToStream(boost::beast::tcp_stream stream, Request& request,
                                                RequestContext& context, uint64_t connection_id);
  // Applies a device's changed subscriptions to its open connections.
  boost::asio::awaitable<void> FollowDeviceChange(std::string device_id);
  void AddServiceRoutes();

  Config config_;
  // Declared before io_context_ so that they outlive it: the io_context
  // destroys pending coroutine frames, whose sessions update these.
  Metrics metrics_;
  std::atomic<uint64_t> next_connection_id_{1};
  std::atomic<size_t> open_connections_{0};
  // Open WebSocket connections per client address.
  std::mutex per_address_mutex_;
  std::unordered_map<std::string, size_t> per_address_;
  boost::asio::io_context io_context_;
  std::vector<std::thread> threads_;
  // The listeners run on a thread of their own, so that the backlog is
  // drained at once even when every event-loop thread is busy with a
  // storm of handshakes. Accepted sockets go to io_context_.
  boost::asio::io_context accept_context_{1};
  std::thread accept_thread_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> metrics_acceptor_;
  std::shared_ptr<store::RedisSubscriber> subscriber_;
  admin::AppContext app_;
  Router router_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace canhbao
