// fanout_load: opens N WebSocket subscribers to one server on loopback,
// triggers K publishes over HTTP one after another, and times how long each
// subscriber takes to receive each message. See bench/fanout/README.md.
//
// The client is deliberately small: one thread, raw epoll, non-blocking
// sockets, a fixed WebSocket key, and a frame parser that keeps a few bytes
// of state per connection. Payloads are skipped, never copied, so receiving
// a message allocates nothing.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Options

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  int connections = 1000;
  int messages = 20;
  int pause_ms = 200;
  int connect_batch = 256;            // handshakes in flight at once
  int message_timeout_ms = 30000;     // per message, until every subscriber has it
  int connect_timeout_ms = 120000;    // until every subscriber is upgraded
  int idle_settle_ms = 1000;          // wait before the idle RSS reading
  int server_pid = 0;
  std::string publish_path = "/publish";  // peer mode: POST body here
  std::string canhbao_key;                // canhbao mode when set
  std::string body_file;
  std::string label = "server";
  int first_source = 2;  // source addresses 127.0.0.FIRST..LAST
  int last_source = 254;
};

void PrintHelp() {
  std::puts(
      "Usage: fanout_load --port PORT --body-file FILE [options]\n"
      "\n"
      "Opens N WebSocket subscribers to ws://HOST:PORT/PATH, then publishes K\n"
      "messages one after another and times each delivery.\n"
      "\n"
      "  --host ADDR              server address, must be in 127.0.0.0/8 [127.0.0.1]\n"
      "  --port PORT              server port (WebSocket and HTTP publish)\n"
      "  --path PATH              WebSocket path and query [/]\n"
      "  --connections N          subscribers [1000]\n"
      "  --messages K             messages to publish [20]\n"
      "  --pause-ms MS            pause between messages, milliseconds [200]\n"
      "  --connect-batch N        WebSocket handshakes in flight at once [256]\n"
      "  --message-timeout-ms MS  give up on one message after this long [30000]\n"
      "  --connect-timeout-ms MS  give up connecting after this long [120000]\n"
      "  --server-pid PID         server process for CPU time and RSS\n"
      "  --body-file FILE         peer mode: the POST body; canhbao mode: the draft alert\n"
      "  --publish-path PATH      peer mode: POST target [/publish]\n"
      "  --canhbao-key KEY        canhbao mode: police key; each message is a draft\n"
      "                           created by POST /v1/alerts before the run and published\n"
      "                           by POST /v1/alerts/{id}/publish\n"
      "  --sources FIRST-LAST     last octets of the 127.0.0.x source addresses [2-254]\n"
      "  --label NAME             server name in the result line [server]\n"
      "\n"
      "Prints a human-readable summary and one line starting with RESULT.");
}

int ParseInt(const std::string& name, const std::string& value, int min, int max) {
  char* end = nullptr;
  errno = 0;
  long parsed = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || parsed < min || parsed > max) {
    throw std::invalid_argument("invalid " + name + " '" + value + "': expected an integer from " +
                                std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(parsed);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      PrintHelp();
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + name);
    std::string value = argv[++i];
    if (name == "--host") options.host = value;
    else if (name == "--port") options.port = ParseInt(name, value, 1, 65535);
    else if (name == "--path") options.path = value;
    else if (name == "--connections") options.connections = ParseInt(name, value, 1, 1000000);
    else if (name == "--messages") options.messages = ParseInt(name, value, 1, 100000);
    else if (name == "--pause-ms") options.pause_ms = ParseInt(name, value, 0, 60000);
    else if (name == "--connect-batch") options.connect_batch = ParseInt(name, value, 1, 100000);
    else if (name == "--message-timeout-ms") options.message_timeout_ms = ParseInt(name, value, 1, 600000);
    else if (name == "--connect-timeout-ms") options.connect_timeout_ms = ParseInt(name, value, 1, 600000);
    else if (name == "--server-pid") options.server_pid = ParseInt(name, value, 1, 1 << 30);
    else if (name == "--body-file") options.body_file = value;
    else if (name == "--publish-path") options.publish_path = value;
    else if (name == "--canhbao-key") options.canhbao_key = value;
    else if (name == "--label") options.label = value;
    else if (name == "--sources") {
      size_t dash = value.find('-');
      if (dash == std::string::npos) throw std::invalid_argument("invalid --sources '" + value + "': expected FIRST-LAST");
      options.first_source = ParseInt(name, value.substr(0, dash), 1, 254);
      options.last_source = ParseInt(name, value.substr(dash + 1), options.first_source, 254);
    } else {
      throw std::invalid_argument("unknown option " + name + "; see --help");
    }
  }
  if (options.port == 0) throw std::invalid_argument("missing --port");
  if (options.body_file.empty()) throw std::invalid_argument("missing --body-file");
  in_addr address{};
  if (inet_pton(AF_INET, options.host.c_str(), &address) != 1 ||
      (ntohl(address.s_addr) >> 24) != 127) {
    throw std::invalid_argument("invalid --host '" + options.host +
                                "': only IPv4 loopback addresses (127.0.0.0/8) are allowed");
  }
  return options;
}

// ---------------------------------------------------------------------------
// Clocks and process readings

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process from /proc/PID/stat, in seconds; the
// kernel counts in clock ticks (usually 10 ms).
double ProcessCpuSeconds(int pid) {
  if (pid == 0) return 0;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name is in parentheses and may contain spaces, so fields are
  // counted from the last ')'. utime and stime are fields 14 and 15.
  size_t close = text.rfind(')');
  if (close == std::string::npos) {
    throw std::runtime_error("reading /proc/" + std::to_string(pid) + "/stat failed: check --server-pid");
  }
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// VmRSS of a process in KiB.
long ProcessRssKib(int pid) {
  if (pid == 0) return 0;
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  throw std::runtime_error("VmRSS not found in /proc/" + std::to_string(pid) + "/status: check --server-pid");
}

// ---------------------------------------------------------------------------
// Blocking HTTP/1.1 client for the publish requests, over loopback only.

int ConnectBlocking(const Options& options) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  inet_pton(AF_INET, options.host.c_str(), &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    close(fd);
    throw std::runtime_error("connect to " + options.host + ":" + std::to_string(options.port) +
                             " failed: " + std::strerror(error));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string FormatPost(const Options& options, const std::string& target, const std::string& body) {
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: " + options.host + ":" +
                        std::to_string(options.port) +
                        "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (!options.canhbao_key.empty()) request += "Authorization: Bearer " + options.canhbao_key + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return request;
}

void WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = write(fd, data.data() + sent, data.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("write of HTTP request failed: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
}

int ParseStatus(const std::string& response) {
  // "HTTP/1.1 200 OK"
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

// Sends one POST and reads the whole response (the server closes after it).
std::string PostBlocking(const Options& options, const std::string& target, const std::string& body) {
  int fd = ConnectBlocking(options);
  WriteAll(fd, FormatPost(options, target, body));
  std::string response;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

// The first "id":"..." in a JSON response body.
std::string ExtractId(const std::string& response) {
  size_t body = response.find("\r\n\r\n");
  size_t key = response.find("\"id\":\"", body == std::string::npos ? 0 : body);
  if (key == std::string::npos) return "";
  size_t start = key + 6;
  size_t end = response.find('"', start);
  return end == std::string::npos ? "" : response.substr(start, end - start);
}

// ---------------------------------------------------------------------------
// WebSocket subscribers

enum class State : uint8_t { kConnecting, kHandshake, kOpen, kClosed };

// Per-connection parser state. A server frame header is at most 14 bytes
// because servers send no mask. A control payload is at most 125 bytes, and
// it is kept only for ping, whose payload the pong must echo.
struct Connection {
  int fd = -1;
  State state = State::kConnecting;
  uint16_t handshake_size = 0;
  uint8_t header_size = 0;
  uint8_t header[14];
  uint8_t opcode = 0;          // opcode of the frame being read
  bool fin = false;
  uint64_t payload_left = 0;   // bytes of the current frame payload still to skip
  uint8_t control_size = 0;
  uint8_t control[125];
  uint32_t messages = 0;       // complete text or binary messages received
};

constexpr size_t kHandshakeMax = 1024;
constexpr uint64_t kPublishTag = ~uint64_t{0};

const char kUpgradeKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
// base64(SHA-1(key + RFC 6455 GUID)) for the key above, from RFC 6455 §1.3.
const char kUpgradeAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

class Subscribers {
 public:
  explicit Subscribers(const Options& options)
      : options_(options),
        connections_(static_cast<size_t>(options.connections)),
        handshake_buffers_(static_cast<size_t>(options.connections) * kHandshakeMax),
        receive_ns_(static_cast<size_t>(options.connections), 0) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1 failed: ") + std::strerror(errno));
    upgrade_request_ = "GET " + options.path + " HTTP/1.1\r\nHost: " + options.host + ":" +
                       std::to_string(options.port) +
                       "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                       kUpgradeKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  // Opens every connection, at most connect_batch handshakes at a time, and
  // returns once all are upgraded. Throws on the first failure or timeout.
  void ConnectAll() {
    int64_t deadline = NowNs() + int64_t{options_.connect_timeout_ms} * 1000000;
    size_t next = 0;
    while (open_ < connections_.size()) {
      while (next < connections_.size() && in_flight_ < options_.connect_batch) {
        StartConnect(next++);
      }
      if (NowNs() > deadline) {
        throw std::runtime_error("timed out connecting: " + std::to_string(open_) + " of " +
                                 std::to_string(connections_.size()) + " subscribers upgraded");
      }
      Poll(100);
      if (closed_ > 0) throw std::runtime_error(first_error_);
    }
  }

  // Serves the connections, replying to pings, for `milliseconds`.
  void Idle(int milliseconds) {
    int64_t deadline = NowNs() + int64_t{milliseconds} * 1000000;
    while (NowNs() < deadline) Poll(10);
  }

  // Waits until every open connection has `expected` messages and the
  // publish response has arrived. Returns false on timeout. receive_times()
  // then has the arrival time of message `expected` per connection, or 0.
  bool WaitForMessage(uint32_t expected, int64_t deadline_ns) {
    expected_ = expected;
    std::fill(receive_ns_.begin(), receive_ns_.end(), 0);
    waiting_ = 0;
    for (size_t i = 0; i < connections_.size(); ++i) {
      if (connections_[i].messages >= expected) receive_ns_[i] = NowNs();
      else if (connections_[i].state == State::kOpen) ++waiting_;
    }
    bool complete = true;
    while (waiting_ > 0 || publish_fd_ >= 0) {
      if (NowNs() > deadline_ns) {
        complete = false;
        break;
      }
      Poll(5);
    }
    // Later copies of this message must not count against the next wait.
    expected_ = 0;
    return complete;
  }

  // Registers the socket of a timed publish request; the response is read
  // by the same loop so that deliveries are timestamped as they arrive.
  void WatchPublish(int fd) {
    publish_fd_ = fd;
    publish_response_size_ = 0;
    publish_status_ = 0;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kPublishTag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }

  int publish_status() const { return publish_status_; }
  const std::vector<int64_t>& receive_times() const { return receive_ns_; }
  size_t closed() const { return closed_; }
  // Mean payload size of the data messages received so far, in bytes.
  double mean_message_bytes() const {
    return message_count_ == 0 ? 0 : double(payload_bytes_) / double(message_count_);
  }
  const std::string& first_error() const { return first_error_; }

 private:
  void StartConnect(size_t index) {
    Connection& connection = connections_[index];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno) +
                               " (raise the open-file limit with ulimit -n)");
    }

    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Choose the source port only at connect time, so the kernel can reuse a
    // port for different destinations and each source address gets its own
    // ephemeral range.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);

    int span = options_.last_source - options_.first_source + 1;
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl((127u << 24) | unsigned(options_.first_source + int(index % span)));
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      throw std::runtime_error(std::string("bind to a 127.0.0.x source address failed: ") + std::strerror(errno));
    }

    sockaddr_in destination{};
    destination.sin_family = AF_INET;
    destination.sin_port = htons(static_cast<uint16_t>(options_.port));
    inet_pton(AF_INET, options_.host.c_str(), &destination.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&destination), sizeof destination) != 0 &&
        errno != EINPROGRESS) {
      throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
    }

    connection.fd = fd;
    connection.state = State::kConnecting;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    event.data.u64 = index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    ++in_flight_;
  }

  void Poll(int timeout_ms) {
    int ready = epoll_wait(epoll_fd_, events_, kMaxEvents, timeout_ms);
    if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait failed: ") + std::strerror(errno));
    for (int i = 0; i < ready; ++i) {
      uint64_t tag = events_[i].data.u64;
      if (tag == kPublishTag) {
        ReadPublishResponse();
        continue;
      }
      Connection& connection = connections_[tag];
      if (connection.state == State::kConnecting) {
        if (!(events_[i].events & EPOLLOUT)) {
          Fail(tag, "connect failed");
          continue;
        }
        SendUpgrade(tag);
        continue;
      }
      if (connection.state == State::kClosed) continue;
      ReadConnection(tag);
    }
  }

  void SendUpgrade(size_t index) {
    Connection& connection = connections_[index];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Fail(index, std::string("connect failed: ") + std::strerror(error));
      return;
    }
    // The request is small enough to fit the empty send buffer at once.
    ssize_t n = write(connection.fd, upgrade_request_.data(), upgrade_request_.size());
    if (n != static_cast<ssize_t>(upgrade_request_.size())) {
      Fail(index, "sending the upgrade request failed");
      return;
    }
    connection.state = State::kHandshake;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
  }

  void ReadConnection(size_t index) {
    Connection& connection = connections_[index];
    for (;;) {
      ssize_t n = read(connection.fd, read_buffer_, sizeof read_buffer_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        Fail(index, n == 0 ? "server closed the connection" : std::string("read failed: ") + std::strerror(errno));
        return;
      }
      const uint8_t* data = read_buffer_;
      size_t size = static_cast<size_t>(n);
      if (connection.state == State::kHandshake) {
        size_t used = ConsumeHandshake(index, data, size);
        if (connection.state != State::kOpen) return;
        data += used;
        size -= used;
      }
      ParseFrames(index, data, size);
      if (connection.state == State::kClosed) return;
      if (static_cast<size_t>(n) < sizeof read_buffer_) return;
    }
  }

  // Appends handshake bytes until the end of the response headers; returns
  // how many bytes of `data` belong to the handshake.
  size_t ConsumeHandshake(size_t index, const uint8_t* data, size_t size) {
    Connection& connection = connections_[index];
    char* buffer = &handshake_buffers_[index * kHandshakeMax];
    size_t used = 0;
    while (used < size) {
      if (connection.handshake_size >= kHandshakeMax) {
        Fail(index, "upgrade response headers are larger than 1024 bytes");
        return used;
      }
      buffer[connection.handshake_size++] = static_cast<char>(data[used++]);
      std::string_view text(buffer, connection.handshake_size);
      if (text.size() >= 4 && text.substr(text.size() - 4) == "\r\n\r\n") {
        bool upgraded = text.rfind("HTTP/1.1 101", 0) == 0 &&
                        text.find(kUpgradeAccept) != std::string_view::npos;
        if (!upgraded) {
          size_t line_end = text.find("\r\n");
          Fail(index, "upgrade rejected: " + std::string(text.substr(0, line_end)));
          return used;
        }
        connection.state = State::kOpen;
        --in_flight_;
        ++open_;
        return used;
      }
    }
    return used;
  }

  void ParseFrames(size_t index, const uint8_t* data, size_t size) {
    Connection& c = connections_[index];
    while (size > 0) {
      if (c.payload_left > 0) {
        size_t take = static_cast<size_t>(std::min<uint64_t>(c.payload_left, size));
        if (c.opcode >= 0x8) {
          std::memcpy(c.control + c.control_size, data, take);
          c.control_size = static_cast<uint8_t>(c.control_size + take);
        }
        c.payload_left -= take;
        data += take;
        size -= take;
        if (c.payload_left == 0) FinishFrame(index);
        if (c.state == State::kClosed) return;
        continue;
      }
      // Collect the 2-byte base header, then its extended length.
      c.header[c.header_size++] = *data++;
      --size;
      if (c.header_size < 2) continue;
      uint8_t length7 = c.header[1] & 0x7f;
      size_t needed = 2;
      if (length7 == 126) needed += 2;
      if (length7 == 127) needed += 8;
      if (c.header[1] & 0x80) {
        Fail(index, "server sent a masked frame");
        return;
      }
      if (c.header_size < needed) continue;
      uint64_t length = length7;
      if (length7 == 126) length = (uint64_t{c.header[2]} << 8) | c.header[3];
      if (length7 == 127) {
        length = 0;
        for (int i = 2; i < 10; ++i) length = (length << 8) | c.header[i];
      }
      c.fin = (c.header[0] & 0x80) != 0;
      c.opcode = c.header[0] & 0x0f;
      c.header_size = 0;
      c.control_size = 0;
      if (c.opcode >= 0x8 && length > 125) {
        Fail(index, "control frame longer than 125 bytes");
        return;
      }
      if (c.opcode < 0x8) payload_bytes_ += length;
      c.payload_left = length;
      if (length == 0) FinishFrame(index);
      if (c.state == State::kClosed) return;
    }
  }

  void FinishFrame(size_t index) {
    Connection& c = connections_[index];
    switch (c.opcode) {
      case 0x0:  // continuation
      case 0x1:  // text
      case 0x2:  // binary
        if (c.fin) OnMessage(index);
        break;
      case 0x8:
        Fail(index, "server sent a close frame");
        break;
      case 0x9:
        SendPong(index);
        break;
      default:  // pong or reserved: ignored
        break;
    }
  }

  void OnMessage(size_t index) {
    Connection& c = connections_[index];
    ++c.messages;
    ++message_count_;
    if (c.messages == expected_) {
      receive_ns_[index] = NowNs();
      --waiting_;
    }
  }

  // Echoes a ping payload in a masked pong, as RFC 6455 requires of clients.
  // The zero mask keeps the payload bytes unchanged.
  void SendPong(size_t index) {
    Connection& c = connections_[index];
    uint8_t frame[2 + 4 + 125];
    frame[0] = 0x8a;
    frame[1] = static_cast<uint8_t>(0x80 | c.control_size);
    std::memset(frame + 2, 0, 4);
    std::memcpy(frame + 6, c.control, c.control_size);
    // NOTE: a pong that does not fit the socket buffer is dropped. Pings are
    // rare (canhbao sends one every 30 s by default), so there is room.
    ssize_t ignored = write(c.fd, frame, 6 + c.control_size);
    (void)ignored;
  }

  void ReadPublishResponse() {
    for (;;) {
      char chunk[4096];
      ssize_t n = read(publish_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n > 0) {
        size_t keep = std::min<size_t>(static_cast<size_t>(n), sizeof publish_response_ - publish_response_size_);
        std::memcpy(publish_response_ + publish_response_size_, chunk, keep);
        publish_response_size_ += keep;
        continue;
      }
      publish_status_ = ParseStatus(std::string(publish_response_, publish_response_size_));
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, publish_fd_, nullptr);
      close(publish_fd_);
      publish_fd_ = -1;
      return;
    }
  }

  void Fail(size_t index, const std::string& reason) {
    Connection& c = connections_[index];
    if (c.state == State::kClosed) return;
    if (c.state == State::kConnecting || c.state == State::kHandshake) --in_flight_;
    if (c.state == State::kOpen) {
      --open_;
      if (expected_ > 0 && c.messages < expected_) --waiting_;
    }
    c.state = State::kClosed;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    if (closed_++ == 0) first_error_ = "subscriber " + std::to_string(index) + ": " + reason;
  }

  static constexpr int kMaxEvents = 1024;

  const Options& options_;
  std::vector<Connection> connections_;
  std::vector<char> handshake_buffers_;
  std::vector<int64_t> receive_ns_;
  std::string upgrade_request_;
  int epoll_fd_ = -1;
  epoll_event events_[kMaxEvents];
  uint8_t read_buffer_[64 * 1024];
  size_t open_ = 0;
  size_t closed_ = 0;
  int in_flight_ = 0;
  uint32_t expected_ = 0;
  size_t waiting_ = 0;
  uint64_t payload_bytes_ = 0;
  uint64_t message_count_ = 0;
  std::string first_error_;
  int publish_fd_ = -1;
  char publish_response_[64];
  size_t publish_response_size_ = 0;
  int publish_status_ = 0;
};

// ---------------------------------------------------------------------------
// The run

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("reading " + path + " failed");
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

double Percentile(std::vector<int64_t>& values, double fraction) {
  if (values.empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * double(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + long(rank), values.end());
  return double(values[rank]);
}

int Run(const Options& options) {
  std::string body = ReadFile(options.body_file);
  bool canhbao = !options.canhbao_key.empty();

  // canhbao: create every draft up front so that draft creation (matching)
  // is outside the measured server CPU time.
  std::vector<std::string> draft_ids;
  if (canhbao) {
    for (int k = 0; k < options.messages; ++k) {
      std::string response = PostBlocking(options, "/v1/alerts", body);
      std::string id = ExtractId(response);
      if (ParseStatus(response) != 201 || id.empty()) {
        throw std::runtime_error("creating draft " + std::to_string(k) + " failed: " +
                                 response.substr(0, 400));
      }
      draft_ids.push_back(id);
    }
  }

  long rss_before = ProcessRssKib(options.server_pid);
  Subscribers subscribers(options);
  int64_t connect_start = NowNs();
  subscribers.ConnectAll();
  double connect_seconds = double(NowNs() - connect_start) / 1e9;
  subscribers.Idle(options.idle_settle_ms);
  long rss_idle = ProcessRssKib(options.server_pid);
  std::printf("%s: %d subscribers upgraded in %.2f s; server RSS %ld KiB before, %ld KiB idle\n",
              options.label.c_str(), options.connections, connect_seconds, rss_before, rss_idle);

  std::vector<int64_t> all_latencies;
  all_latencies.reserve(size_t(options.connections) * size_t(options.messages));
  std::vector<double> last_ms;
  std::vector<double> rate;  // deliveries per second of each message
  size_t missing = 0;
  double server_cpu_start = ProcessCpuSeconds(options.server_pid);
  double self_cpu_start = SelfCpuSeconds();

  for (int k = 0; k < options.messages; ++k) {
    std::string target = canhbao ? "/v1/alerts/" + draft_ids[size_t(k)] + "/publish" : options.publish_path;
    std::string request = FormatPost(options, target, canhbao ? "{}" : body);
    int fd = ConnectBlocking(options);

    int64_t start = NowNs();
    WriteAll(fd, request);
    subscribers.WatchPublish(fd);
    bool complete = subscribers.WaitForMessage(uint32_t(k + 1), start + int64_t{options.message_timeout_ms} * 1000000);
    if (subscribers.publish_status() != 200) {
      throw std::runtime_error("publish " + std::to_string(k) + " returned HTTP " +
                               std::to_string(subscribers.publish_status()));
    }

    int64_t last = 0;
    size_t received = 0;
    for (int64_t at : subscribers.receive_times()) {
      if (at == 0) continue;
      int64_t latency = std::max<int64_t>(at - start, 0);
      all_latencies.push_back(latency);
      last = std::max(last, latency);
      ++received;
    }
    missing += size_t(options.connections) - received;
    last_ms.push_back(double(last) / 1e6);
    rate.push_back(last > 0 ? double(received) / (double(last) / 1e9) : 0);
    std::printf("%s: message %d: %zu of %d received, last after %.2f ms%s\n", options.label.c_str(),
                k + 1, received, options.connections, double(last) / 1e6, complete ? "" : " (timed out)");
    if (k + 1 < options.messages) subscribers.Idle(options.pause_ms);
  }

  double server_cpu = ProcessCpuSeconds(options.server_pid) - server_cpu_start;
  double self_cpu = SelfCpuSeconds() - self_cpu_start;

  std::vector<double> sorted_last = last_ms;
  std::sort(sorted_last.begin(), sorted_last.end());
  double last_median = sorted_last[sorted_last.size() / 2];
  double last_max = sorted_last.back();
  std::sort(rate.begin(), rate.end());
  double rate_median = rate[rate.size() / 2];
  double p50 = Percentile(all_latencies, 0.50) / 1e6;
  double p99 = Percentile(all_latencies, 0.99) / 1e6;
  double deliveries = double(all_latencies.size());
  double per_cpu_second = server_cpu > 0 ? deliveries / server_cpu : 0;
  double rss_per_connection = double(rss_idle - rss_before) / options.connections;

  std::printf(
      "%s: %d subscribers x %d messages: last delivery median %.2f ms (max %.2f), "
      "latency p50 %.2f ms p99 %.2f ms, %.0f deliveries/s (median of messages), "
      "%.0f deliveries per server CPU second, server CPU %.2f s, tool CPU %.2f s, "
      "RSS %.2f KiB per idle connection, %.0f-byte messages, %zu deliveries missing\n",
      options.label.c_str(), options.connections, options.messages, last_median, last_max, p50,
      p99, rate_median, per_cpu_second, server_cpu, self_cpu, rss_per_connection,
      subscribers.mean_message_bytes(), missing);
  // One machine-readable line for run.sh.
  std::printf("RESULT %s %d %.2f %.2f %.2f %.2f %.0f %.0f %.2f %.2f %.2f %.0f %zu\n",
              options.label.c_str(), options.connections, last_median, last_max, p50, p99,
              rate_median, per_cpu_second, server_cpu, self_cpu, rss_per_connection,
              subscribers.mean_message_bytes(), missing);
  std::fflush(stdout);
  return missing == 0 && subscribers.closed() == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options = ParseOptions(argc, argv);
    return Run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fanout_load: %s\n", error.what());
    return 1;
  }
}
