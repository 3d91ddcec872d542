#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

namespace canhbao::testing {

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Settings of a test redis-server.
struct ServerOptions {
  // Value of the appendfsync directive: "always" makes every acknowledged write survive a
  // SIGKILL of the server, at the cost of an fsync per write.
  std::string appendfsync = "always";
  // Also listen on TCP on loopback (127.0.0.1, and ::1 where available) on a free port.
  bool tcp = false;
  // Maximum wait of the constructor and Restart() for a reply to PING.
  std::chrono::milliseconds startup_timeout{5000};
};

// A real redis-server for one test, listening only on a Unix socket in a fresh temporary
// directory (no TCP port), with AOF persistence in that directory. Methods throw
// std::runtime_error on failure, with the server's log tail where it helps. Not thread-safe: use
// it from the test's main thread.
class RedisServer {
 public:
  // Creates the directory and starts the server. Returns once the server replies to PING.
  explicit RedisServer(ServerOptions options = {});
  // Stops the server (SIGTERM, then SIGKILL if it has not exited within 5 s) and removes the
  // directory.
  ~RedisServer();

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // "unix://<dir>/redis.sock", accepted by store::RedisEndpoint::Parse.
  std::string Url() const;
  // The loopback TCP port, or 0 unless ServerOptions::tcp was set.
  uint16_t TcpPort() const { return tcp_port_; }
  std::string SocketPath() const { return socket_path_; }
  std::string Directory() const { return directory_; }
  bool IsRunning() const { return pid_ > 0; }

  // Stops the server with SIGTERM and waits for it to exit. Clients see the connection close.
  void Stop();
  // Kills the server with SIGKILL, as a crash would, and waits for it to exit.
  void Kill();
  // Stops the server if it runs, then starts it again in the same directory, so data written
  // with appendfsync always survives.
  void Restart();

  void FlushAll();

  // Runs one command on a new blocking connection and returns the reply. Throws if the server
  // cannot be reached; a Redis error reply is returned, not thrown.
  RedisReplyPtr Command(std::initializer_list<std::string> args) const;

 private:
  void Start();
  void WaitUntilReady();
  void Terminate(int signal_number);
  std::string LogTail() const;

  ServerOptions options_;
  std::string directory_;
  std::string socket_path_;
  uint16_t tcp_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace canhbao::testing
