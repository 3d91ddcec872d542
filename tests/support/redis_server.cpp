#include "tests/support/redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#ifndef CANHBAO_REDIS_SERVER_EXECUTABLE
#error "CANHBAO_REDIS_SERVER_EXECUTABLE must name the redis-server binary"
#endif

namespace canhbao::testing {
namespace {

constexpr std::chrono::milliseconds kStopTimeout{5000};
constexpr std::chrono::milliseconds kPollInterval{10};

std::string MakeTempDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "canhbao-redis-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + pattern + ") failed: " + std::strerror(errno));
  }
  return buffer.data();
}

// Returns true once the child has exited, reaping it.
// Returns a loopback port that was free a moment ago. Another process may take it before
// redis-server binds it, in which case the server fails to start and the test reports it.
uint16_t PickFreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    close(fd);
    throw std::runtime_error(std::string("picking a free loopback port failed: ") +
                             std::strerror(error));
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t result = waitpid(pid, &status, WNOHANG);
    if (result == pid || (result < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

RedisServer::RedisServer(ServerOptions options)
    : options_(std::move(options)), directory_(MakeTempDirectory()) {
  socket_path_ = directory_ + "/redis.sock";

  std::ofstream config(directory_ + "/redis.conf");
  if (options_.tcp) tcp_port_ = PickFreeLoopbackPort();
  // "-::1" makes the IPv6 loopback optional, for hosts without IPv6.
  config << "port " << tcp_port_ << "\n"
         << "bind 127.0.0.1 -::1\n"
         << "unixsocket " << socket_path_ << "\n"
         << "unixsocketperm 700\n"
         << "dir " << directory_ << "\n"
         << "logfile " << directory_ << "/redis.log\n"
         << "daemonize no\n"
         << "appendonly yes\n"
         << "appendfsync " << options_.appendfsync << "\n"
         << "save \"\"\n";
  config.close();
  if (!config) throw std::runtime_error("writing " + directory_ + "/redis.conf failed");

  Start();
}

RedisServer::~RedisServer() {
  try {
    Terminate(SIGTERM);
  } catch (...) {
    // A destructor must not throw; the directory is still removed below.
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string RedisServer::Url() const { return "unix://" + socket_path_; }

void RedisServer::Start() {
  std::string config_path = directory_ + "/redis.conf";
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // The server must not outlive a test binary that crashes or is killed by a timeout, and must
    // not hold the test's stdout open (the server logs to redis.log).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    execl(CANHBAO_REDIS_SERVER_EXECUTABLE, CANHBAO_REDIS_SERVER_EXECUTABLE, config_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);  // exec failed; only async-signal-safe calls are allowed here
  }
  pid_ = pid;
  WaitUntilReady();
}

void RedisServer::WaitUntilReady() {
  auto deadline = std::chrono::steady_clock::now() + options_.startup_timeout;
  std::string last_error = "no attempt made";
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server (" CANHBAO_REDIS_SERVER_EXECUTABLE
                               ") exited during startup with status " +
                               std::to_string(status) + "; log tail:\n" + LogTail());
    }

    timeval timeout{0, 200 * 1000};
    redisContext* context = redisConnectUnixWithTimeout(socket_path_.c_str(), timeout);
    if (context != nullptr && context->err == 0) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
      bool ready = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
      if (reply != nullptr) freeReplyObject(reply);
      redisFree(context);
      if (ready) return;
      last_error = "PING got no PONG";
    } else {
      last_error = context != nullptr ? context->errstr : "hiredis could not allocate a context";
      if (context != nullptr) redisFree(context);
    }
    std::this_thread::sleep_for(kPollInterval);
  }

  Terminate(SIGKILL);
  throw std::runtime_error("redis-server did not answer PING on " + socket_path_ + " within " +
                           std::to_string(options_.startup_timeout.count()) +
                           " ms (last error: " + last_error + "); log tail:\n" + LogTail());
}

void RedisServer::Terminate(int signal_number) {
  if (pid_ <= 0) return;
  kill(pid_, signal_number);
  if (!WaitForExit(pid_, kStopTimeout)) {
    kill(pid_, SIGKILL);
    WaitForExit(pid_, kStopTimeout);
  }
  pid_ = -1;
}

void RedisServer::Stop() { Terminate(SIGTERM); }

void RedisServer::Kill() { Terminate(SIGKILL); }

void RedisServer::Restart() {
  Terminate(SIGTERM);
  Start();
}

void RedisServer::FlushAll() {
  RedisReplyPtr reply = Command({"FLUSHALL"});
  if (reply->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error("FLUSHALL failed: " + std::string(reply->str, reply->len));
  }
}

RedisReplyPtr RedisServer::Command(std::initializer_list<std::string> args) const {
  timeval timeout{5, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> context(
      redisConnectUnixWithTimeout(socket_path_.c_str(), timeout), &redisFree);
  if (context == nullptr || context->err != 0) {
    throw std::runtime_error("connecting to " + socket_path_ + " failed: " +
                             (context ? context->errstr : "hiredis could not allocate a context"));
  }
  redisSetTimeout(context.get(), timeout);

  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    throw std::runtime_error("command on " + socket_path_ + " failed: " + context->errstr);
  }
  return RedisReplyPtr(reply);
}

std::string RedisServer::LogTail() const {
  std::ifstream log(directory_ + "/redis.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  constexpr size_t kTailLines = 20;
  size_t first = lines.size() > kTailLines ? lines.size() - kTailLines : 0;
  std::ostringstream tail;
  for (size_t i = first; i < lines.size(); ++i) tail << lines[i] << "\n";
  return tail.str();
}

}  // namespace canhbao::testing
