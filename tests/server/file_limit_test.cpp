// `canhbao serve` at its process's open-file limit. It logs the condition
// once and sends 503 to the connections it cannot serve instead of leaving
// them in the backlog. It does not spin, and it recovers when descriptors
// are free again. The server runs as a child process with a small
// RLIMIT_NOFILE, so the test process keeps its own limit.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/service_fixture.hpp"
#include "tests/support/redis_server.hpp"

namespace canhbao::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A loopback port that was free a moment ago.
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Everything the server sends on `fd` until it closes or `timeout` passes.
std::string ReadAll(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd descriptor{fd, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
    if (received <= 0) break;
    out.append(buffer, static_cast<size_t>(received));
  }
  return out;
}

std::string Request(uint16_t port, const std::string& target) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply = ReadAll(fd, 5s);
  ::close(fd);
  return reply;
}

// User plus system CPU seconds of `pid` so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class FileLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<RedisServer>();
    port_ = FreePort();
    log_path_ = redis_->Directory() + "/serve.log";
    std::string state = redis_->Directory() + "/state";
    std::string redis_url = redis_->Url();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string metrics = "127.0.0.1:" + std::to_string(FreePort());
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      rlimit limit{kFileLimit, kFileLimit};
      ::setrlimit(RLIMIT_NOFILE, &limit);
      int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, STDERR_FILENO);
      ::dup2(log, STDOUT_FILENO);
      ::setenv("CANHBAO_REDIS", redis_url.c_str(), 1);
      ::setenv("CANHBAO_LISTEN", listen.c_str(), 1);
      ::setenv("CANHBAO_METRICS_LISTEN", metrics.c_str(), 1);
      ::setenv("CANHBAO_STATE_DIR", state.c_str(), 1);
      ::setenv("CANHBAO_THREADS", "2", 1);
      ::execl(CANHBAO_BINARY, CANHBAO_BINARY, "serve", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    Clock::time_point deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      if (Request(port_, "/healthz").rfind("HTTP/1.1 200", 0) == 0) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "canhbao serve did not answer /healthz within 20 s:\n" << Log();
  }

  void TearDown() override {
    for (int fd : held_) ::close(fd);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static constexpr rlim_t kFileLimit = 96;
  std::unique_ptr<RedisServer> redis_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
  std::vector<int> held_;
};

TEST_F(FileLimitTest, Returns503ThenRecovers) {
  // Idle connections that the server keeps open until its read timeout
  // use up its descriptors; more than the limit are opened.
  for (rlim_t i = 0; i < kFileLimit + 20; ++i) {
    int fd = ConnectLoopback(port_);
    ASSERT_GE(fd, 0) << "connect failed after " << i << " connections";
    held_.push_back(fd);
  }
  // The last ones were accepted by the kernel but not by the server: each
  // must get a 503, not silence.
  std::string busy = ReadAll(held_.back(), 5s);
  EXPECT_EQ(busy.rfind("HTTP/1.1 503", 0), 0u) << "got: " << busy;
  EXPECT_NE(busy.find("Retry-After: 5"), std::string::npos) << busy;
  EXPECT_NE(busy.find("quá nhiều kết nối mở"), std::string::npos) << busy;
  EXPECT_NE(busy.find("too many open connections"), std::string::npos) << busy;

  // While at the limit, further connections get a 503 too, and the server
  // does not spin on accept.
  double cpu_before = CpuSeconds(pid_);
  for (int i = 0; i < 10; ++i) {
    int fd = ConnectLoopback(port_);
    ASSERT_GE(fd, 0);
    std::string reply = ReadAll(fd, 5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << "connection " << i << " got: " << reply;
    ::close(fd);
  }
  std::this_thread::sleep_for(1s);
  double cpu_used = CpuSeconds(pid_) - cpu_before;
  EXPECT_LT(cpu_used, 0.5) << "the server used " << cpu_used
                           << " CPU seconds while at the open-file limit";

  std::string log = Log();
  EXPECT_EQ(CountOccurrences(log, "open-file limit reached"), 1u)
      << "the condition must be logged once:\n" << log;

  // Descriptors come back when the idle clients leave.
  for (int fd : held_) ::close(fd);
  held_.clear();
  Clock::time_point deadline = Clock::now() + 10s;
  std::string reply;
  while (Clock::now() < deadline) {
    reply = Request(port_, "/healthz");
    if (reply.rfind("HTTP/1.1 200", 0) == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << "no recovery after the clients left: " << reply;
}

}  // namespace
}  // namespace canhbao::testing
