#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace canhbao::testing {

// An io_context run by `count` threads for the length of a test.
class IoThreads {
 public:
  explicit IoThreads(int count = 2) : work_(io_.get_executor()) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  // Lets queued handlers finish for up to `drain_timeout`, then stops the loop and joins.
  ~IoThreads() {
    work_.reset();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }

  boost::asio::io_context& io() { return io_; }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

  // Runs the coroutine that `make` returns on the io_context and waits for its result. Throws
  // std::runtime_error when it has not finished within `timeout`, so no test can hang on it.
  template <typename Function>
  auto Run(Function make, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto future = boost::asio::co_spawn(io_, std::move(make), boost::asio::use_future);
    if (future.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("coroutine did not finish within " +
                               std::to_string(timeout.count()) + " ms");
    }
    return future.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// Polls `condition` every 10 ms; returns false if it is still false after `timeout`.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace canhbao::testing
