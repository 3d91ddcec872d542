#include "store/redis_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/detached.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/redis_endpoint.hpp"
#include "store/redis_error.hpp"
#include "tests/store/io_threads.hpp"
#include "tests/support/redis_server.hpp"

namespace canhbao::store {
namespace {

using boost::asio::awaitable;
using boost::system::result;
using canhbao::testing::IoThreads;
using canhbao::testing::RedisServer;
using canhbao::testing::WaitFor;
using std::chrono::milliseconds;
using Commands = std::vector<std::vector<std::string>>;

// Records the state callback's calls, from whichever thread runs the strand.
class StateLog {
 public:
  void Add(bool connected) {
    std::lock_guard lock(mutex_);
    events_.push_back(connected);
  }
  std::vector<bool> Events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<bool> events_;
};

class RedisClientTest : public ::testing::Test {
 protected:
  void StartClient(RedisOptions options = {}, int db = 0) {
    auto endpoint = RedisEndpoint::Parse(server_.Url());
    ASSERT_TRUE(endpoint) << server_.Url();
    endpoint->db = db;
    client_ = RedisClient::Create(io_.executor(), *endpoint, options);
    client_->SetStateCallback([this](bool connected) { states_.Add(connected); });
    client_->Start();
    ASSERT_TRUE(WaitFor([&] { return client_->IsConnected(); })) << "never connected";
  }

  void TearDown() override {
    if (client_) client_->Stop();
  }

  result<RedisReply> Exec(std::vector<std::string> args) {
    auto client = client_;
    return io_.Run([client, args = std::move(args)]() -> awaitable<result<RedisReply>> {
      co_return co_await client->Exec(args);
    });
  }

  // Starts a command without waiting for it; the future is ready once it completes.
  std::future<result<RedisReply>> ExecLater(std::vector<std::string> args) {
    auto client = client_;
    return boost::asio::co_spawn(
        io_.io(),
        [client, args = std::move(args)]() -> awaitable<result<RedisReply>> {
          co_return co_await client->Exec(args);
        },
        boost::asio::use_future);
  }

  // Destroyed in reverse order: the io threads stop before the state log and the server go.
  RedisServer server_;
  StateLog states_;
  IoThreads io_;
  std::shared_ptr<RedisClient> client_;
};

TEST_F(RedisClientTest, SetGetIsBinarySafe) {
  StartClient();
  const std::string key("key\0with\0nul", 12);
  const std::string value("a\0b\xff\0c\r\n", 8);

  auto set = Exec({"SET", key, value});
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_TRUE(set->IsStatus());
  EXPECT_EQ(set->str, "OK");

  auto get = Exec({"GET", key});
  ASSERT_TRUE(get) << get.error().message();
  ASSERT_TRUE(get->IsString());
  EXPECT_EQ(get->str, value);
  EXPECT_EQ(get->str.size(), 8u);

  auto missing = Exec({"GET", "no-such-key"});
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->IsNil());
}

TEST_F(RedisClientTest, ErrorReplyIsNotAFailure) {
  StartClient();
  uint64_t errors_before = client_->command_errors();

  auto unknown = Exec({"NOSUCHCOMMAND", "x"});
  ASSERT_TRUE(unknown) << unknown.error().message();
  EXPECT_TRUE(unknown->IsError());
  EXPECT_EQ(unknown->str.rfind("ERR", 0), 0u) << unknown->str;

  ASSERT_TRUE(Exec({"SET", "text", "abc"}));
  auto wrong_type = Exec({"INCR", "text"});
  ASSERT_TRUE(wrong_type);
  EXPECT_TRUE(wrong_type->IsError());

  EXPECT_EQ(client_->command_errors(), errors_before + 2);
  EXPECT_TRUE(client_->IsConnected());
}

TEST_F(RedisClientTest, IntegerAndArrayReplies) {
  StartClient();
  auto incr = Exec({"INCRBY", "counter", "41"});
  ASSERT_TRUE(incr);
  ASSERT_TRUE(incr->IsInteger());
  EXPECT_EQ(incr->integer, 41);

  ASSERT_TRUE(Exec({"RPUSH", "list", "x", "", "z"}));
  auto range = Exec({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range);
  ASSERT_TRUE(range->IsArray());
  ASSERT_EQ(range->elements.size(), 3u);
  EXPECT_EQ(range->elements[0].str, "x");
  EXPECT_EQ(range->elements[1].str, "");
  EXPECT_EQ(range->elements[2].str, "z");
}

TEST_F(RedisClientTest, BatchOfThousandKeepsOrder) {
  StartClient();
  constexpr int kCount = 1000;
  Commands commands;
  for (int i = 0; i < kCount; ++i) {
    if (i == 500) {
      commands.push_back({"NOSUCHCOMMAND"});
    } else {
      commands.push_back({"ECHO", std::to_string(i)});
    }
  }

  auto client = client_;
  auto replies = io_.Run([client, commands]() -> awaitable<result<std::vector<RedisReply>>> {
    co_return co_await client->ExecBatch(commands);
  });
  ASSERT_TRUE(replies) << replies.error().message();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    SCOPED_TRACE("reply " + std::to_string(i));
    const RedisReply& reply = (*replies)[i];
    if (i == 500) {
      EXPECT_TRUE(reply.IsError());
    } else {
      ASSERT_TRUE(reply.IsString());
      EXPECT_EQ(reply.str, std::to_string(i));
    }
  }
}

TEST_F(RedisClientTest, EmptyBatchReturnsNoReplies) {
  StartClient();
  auto client = client_;
  auto replies = io_.Run([client]() -> awaitable<result<std::vector<RedisReply>>> {
    co_return co_await client->ExecBatch(Commands{});
  });
  ASSERT_TRUE(replies) << replies.error().message();
  EXPECT_TRUE(replies->empty());
}

TEST_F(RedisClientTest, TenThousandConcurrentExecFromTwoThreads) {
  StartClient();
  constexpr int kPerThread = 5000;
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};

  auto spawn_all = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      boost::asio::co_spawn(
          io_.io(),
          [client = client_, &succeeded, &failed]() -> awaitable<void> {
            // A braced list inside co_await trips GCC 12 ("array used as initializer").
            std::vector<std::string> command = {"INCR", "concurrent"};
            auto reply = co_await client->Exec(std::move(command));
            if (reply && reply->IsInteger()) {
              ++succeeded;
            } else {
              ++failed;
            }
          },
          boost::asio::detached);
    }
  };
  std::thread first(spawn_all);
  std::thread second(spawn_all);
  first.join();
  second.join();

  ASSERT_TRUE(WaitFor([&] { return succeeded + failed == 2 * kPerThread; },
                      std::chrono::seconds(30)))
      << "completed " << succeeded + failed << " of " << 2 * kPerThread;
  EXPECT_EQ(failed.load(), 0);
  auto count = server_.Command({"GET", "concurrent"});
  ASSERT_EQ(count->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(count->str, count->len), std::to_string(2 * kPerThread));
}

TEST_F(RedisClientTest, ExecBeforeStartFailsWithNotConnected) {
  auto endpoint = RedisEndpoint::Parse(server_.Url());
  ASSERT_TRUE(endpoint);
  client_ = RedisClient::Create(io_.executor(), *endpoint);
  auto reply = Exec({"PING"});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), RedisErrc::kNotConnected);
}

TEST_F(RedisClientTest, ExecWhileServerDownFailsFast) {
  StartClient();
  server_.Stop();
  ASSERT_TRUE(WaitFor([&] { return !client_->IsConnected(); })) << "client missed the close";

  auto started = std::chrono::steady_clock::now();
  auto reply = Exec({"PING"});
  auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), RedisErrc::kNotConnected) << reply.error().message();
  EXPECT_LT(elapsed, milliseconds(500)) << "the command waited instead of failing fast";
}

TEST_F(RedisClientTest, ReconnectsAfterServerRestart) {
  RedisOptions options;
  options.backoff_initial = milliseconds(20);
  options.backoff_max = milliseconds(200);
  StartClient(options);
  ASSERT_TRUE(Exec({"SET", "survivor", "still here"}));

  server_.Restart();
  ASSERT_TRUE(WaitFor([&] {
    auto events = states_.Events();
    return events.size() >= 3 && client_->IsConnected();
  })) << "state callback calls: " << states_.Events().size();

  std::vector<bool> events = states_.Events();
  EXPECT_EQ(events, (std::vector<bool>{true, false, true}));
  auto get = Exec({"GET", "survivor"});
  ASSERT_TRUE(get) << get.error().message();
  EXPECT_EQ(get->str, "still here") << "the AOF should have kept the key";
}

TEST_F(RedisClientTest, InFlightCommandsFailWhenServerKilled) {
  StartClient();
  uint64_t sent_before = client_->commands_sent();
  // BLPOP with timeout 0 blocks forever, and the commands behind it on the same connection
  // wait for it, so all three stay in flight until the server dies.
  std::vector<std::future<result<RedisReply>>> pending;
  for (int i = 0; i < 3; ++i) pending.push_back(ExecLater({"BLPOP", "never-filled", "0"}));
  ASSERT_TRUE(WaitFor([&] { return client_->commands_sent() == sent_before + 3; }));
  std::this_thread::sleep_for(milliseconds(50));  // lets hiredis write them to the socket

  server_.Kill();
  for (auto& future : pending) {
    ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "a command in flight hung after the server was killed";
    auto reply = future.get();
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), RedisErrc::kConnectionLost) << reply.error().message();
  }
}

TEST_F(RedisClientTest, StopFailsPendingCommandsWithStopped) {
  StartClient();
  uint64_t sent_before = client_->commands_sent();
  auto pending = ExecLater({"BLPOP", "never-filled", "0"});
  ASSERT_TRUE(WaitFor([&] { return client_->commands_sent() == sent_before + 1; }));

  client_->Stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto reply = pending.get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), RedisErrc::kStopped) << reply.error().message();

  auto after = Exec({"PING"});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error(), RedisErrc::kStopped);
  EXPECT_TRUE(WaitFor([&] { return states_.Events() == std::vector<bool>{true, false}; }));
}

TEST_F(RedisClientTest, CommandTimeoutReconnects) {
  RedisOptions options;
  options.command_timeout = milliseconds(300);
  options.backoff_initial = milliseconds(20);
  StartClient(options);

  auto started = std::chrono::steady_clock::now();
  auto reply = Exec({"BLPOP", "never-filled", "0"});
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), RedisErrc::kTimeout) << reply.error().message();
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(2000));

  ASSERT_TRUE(WaitFor([&] { return states_.Events().size() >= 3; }))
      << "state callback calls: " << states_.Events().size();
  EXPECT_EQ(states_.Events(), (std::vector<bool>{true, false, true}));
  ASSERT_TRUE(WaitFor([&] { return client_->IsConnected(); }));
  auto ping = Exec({"PING"});
  ASSERT_TRUE(ping) << ping.error().message();
  EXPECT_EQ(ping->str, "PONG");
}

TEST_F(RedisClientTest, SelectsDatabaseFromEndpoint) {
  StartClient({}, 3);
  auto info = Exec({"CLIENT", "INFO"});
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_NE(info->str.find(" db=3 "), std::string::npos) << info->str;
}

TEST_F(RedisClientTest, RejectsBatchOverMaxPending) {
  RedisOptions options;
  options.max_pending = 2;
  StartClient(options);
  auto client = client_;
  auto replies = io_.Run([client]() -> awaitable<result<std::vector<RedisReply>>> {
    Commands commands = {{"PING"}, {"PING"}, {"PING"}};
    co_return co_await client->ExecBatch(std::move(commands));
  });
  ASSERT_FALSE(replies);
  EXPECT_EQ(replies.error(), RedisErrc::kQueueFull);
}

TEST_F(RedisClientTest, RejectsEmptyCommand) {
  StartClient();
  auto reply = Exec({});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), RedisErrc::kProtocol);
}


TEST(RedisClientTcp, ConnectsByHostName) {
  canhbao::testing::ServerOptions server_options;
  server_options.tcp = true;
  RedisServer server(server_options);
  IoThreads io;

  const std::string url = "redis://localhost:" + std::to_string(server.TcpPort()) + "/2";
  auto endpoint = RedisEndpoint::Parse(url);
  ASSERT_TRUE(endpoint) << url;
  auto client = RedisClient::Create(io.executor(), *endpoint);
  // Stops the client on every exit path, so the io threads can run dry and be joined.
  struct StopOnExit {
    std::shared_ptr<RedisClient> client;
    ~StopOnExit() { client->Stop(); }
  } stop_on_exit{client};

  client->Start();
  ASSERT_TRUE(WaitFor([&] { return client->IsConnected(); })) << "never connected to " << url;

  auto info = io.Run([client]() -> awaitable<result<RedisReply>> {
    std::vector<std::string> command = {"CLIENT", "INFO"};
    co_return co_await client->Exec(std::move(command));
  });
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_NE(info->str.find(" db=2 "), std::string::npos) << info->str;
}

}  // namespace
}  // namespace canhbao::store
