// fanout_load: opens N WebSocket subscribers to one server on loopback,
// triggers K publishes over HTTP one after another, and times how long each
// subscriber takes to receive each message. See bench/fanout/README.md.
//
// The client is deliberately small: one thread, raw epoll, non-blocking
// sockets, a fixed WebSocket key, and a frame parser that keeps a few bytes
// of state per connection. Payloads are skipped, never copied, so receiving
// a message allocates nothing.
//
// Several tool processes can measure one run together, one per server node:
// they share a folder (--sync-dir) through which they wait for each other
// and pass the publish times on. Another mode (--storm) drops every
// connection after the run and times the reconnect.

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
#include <filesystem>
#include <fstream>
#include <optional>
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
  bool publish = true;                // false with --no-publish
  std::string sync_dir;               // folder shared by the tools of one run
  int tools = 1;                      // tool processes that share sync_dir, this one included
  int sync_timeout_ms = 120000;       // per wait for the other tools
  int storm_replay = 0;               // messages each stream replays in the storm, or 0 for no storm
  int storm_batch = 0;                // handshakes in flight during the storm, or 0 for no cap
  std::string aggregate_dir;          // combine the results that the tools left here
};

void PrintHelp() {
  std::puts(
      "Usage: fanout_load --port PORT --body-file FILE [options]\n"
      "       fanout_load --port PORT --no-publish --sync-dir DIR --tools N [options]\n"
      "       fanout_load --aggregate DIR [--label NAME]\n"
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
      "  --connect-timeout-ms MS  give up connecting, or reconnecting in the storm,\n"
      "                           after this long [120000]\n"
      "  --server-pid PID         server process for CPU time and RSS\n"
      "  --body-file FILE         peer mode: the POST body; canhbao mode: the draft alert\n"
      "  --publish-path PATH      peer mode: POST target [/publish]\n"
      "  --canhbao-key KEY        canhbao mode: police key; each message is a draft\n"
      "                           created by POST /v1/alerts before the run and published\n"
      "                           by POST /v1/alerts/{id}/publish\n"
      "  --sources FIRST-LAST     last octets of the 127.0.0.x source addresses [2-254]\n"
      "  --label NAME             server name in the result line and in --sync-dir file\n"
      "                           names; letters, digits, '.', '_' and '-' [server]\n"
      "\n"
      "Several tools, one per server node:\n"
      "  --sync-dir DIR           folder shared by the tools of one run; created if missing\n"
      "  --tools N                tools that share DIR, this one included [1]\n"
      "  --no-publish             only subscribe: wait for the K messages that the one\n"
      "                           publishing tool of DIR sends, and time them against\n"
      "                           the publish times it writes there\n"
      "  --sync-timeout-ms MS     give up waiting for the other tools after this long [120000]\n"
      "  --aggregate DIR          print one result line for all tools of DIR and exit\n"
      "\n"
      "Reconnect storm, after the K messages:\n"
      "  --storm M                close every connection at once, then reconnect all.\n"
      "                           canhbao mode: each stream resumes with since= set M\n"
      "                           below the last seq it received, so it replays M messages\n"
      "                           (fewer when it received fewer). Peers: no replay.\n"
      "  --storm-batch N          handshakes in flight during the storm; 0 = no cap [0]\n"
      "\n"
      "Prints a human-readable summary, one line starting with RESULT and, with\n"
      "--storm, one line starting with STORM.");
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

// Labels become file names in --sync-dir, so they are kept to a safe set.
bool IsValidLabel(const std::string& label) {
  if (label.empty()) return false;
  for (char ch : label) {
    bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '.' || ch == '_' || ch == '-';
    if (!safe) return false;
  }
  return label != "." && label != "..";
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      PrintHelp();
      std::exit(0);
    }
    if (name == "--no-publish") {
      options.publish = false;
      continue;
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
    else if (name == "--sync-dir") options.sync_dir = value;
    else if (name == "--tools") options.tools = ParseInt(name, value, 1, 1000);
    else if (name == "--sync-timeout-ms") options.sync_timeout_ms = ParseInt(name, value, 1, 3600000);
    else if (name == "--storm") options.storm_replay = ParseInt(name, value, 1, 100000);
    else if (name == "--storm-batch") options.storm_batch = ParseInt(name, value, 0, 1000000);
    else if (name == "--aggregate") options.aggregate_dir = value;
    else if (name == "--sources") {
      size_t dash = value.find('-');
      if (dash == std::string::npos) throw std::invalid_argument("invalid --sources '" + value + "': expected FIRST-LAST");
      options.first_source = ParseInt(name, value.substr(0, dash), 1, 254);
      options.last_source = ParseInt(name, value.substr(dash + 1), options.first_source, 254);
    } else {
      throw std::invalid_argument("unknown option " + name + "; see --help");
    }
  }
  if (!IsValidLabel(options.label)) {
    throw std::invalid_argument("invalid --label '" + options.label +
                                "': use letters, digits, '.', '_' and '-' only");
  }
  if (!options.aggregate_dir.empty()) return options;

  if (options.port == 0) throw std::invalid_argument("missing --port");
  if (options.publish && options.body_file.empty()) throw std::invalid_argument("missing --body-file");
  if (!options.publish && options.sync_dir.empty()) {
    throw std::invalid_argument("--no-publish needs --sync-dir, because the publish times come from the publishing tool through it");
  }
  if (options.storm_replay > 0 && !options.sync_dir.empty()) {
    throw std::invalid_argument("--storm cannot be combined with --sync-dir, so run the storm with a single tool");
  }
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

// CLOCK_MONOTONIC is one clock for the whole system on Linux, so the
// timestamps of different tool processes can be subtracted.
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

// Counters of the TcpExt lines of /proc/net/netstat, which count for the
// whole network namespace: ListenDrops includes the connections that a full
// listen queue dropped (ListenOverflows), and TCPSynRetrans the SYNs sent
// again after such a drop. A counter that is missing stays -1.
struct TcpCounters {
  long long listen_drops = -1;
  long long syn_retransmits = -1;
};

TcpCounters ReadTcpCounters() {
  TcpCounters counters;
  std::ifstream file("/proc/net/netstat");
  std::string names, values;
  // The file has pairs of lines: "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ...".
  while (std::getline(file, names) && std::getline(file, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream name_fields(names), value_fields(values);
    std::string name, value;
    while (name_fields >> name && value_fields >> value) {
      if (name == "ListenDrops") counters.listen_drops = std::stoll(value);
      if (name == "TCPSynRetrans") counters.syn_retransmits = std::stoll(value);
    }
  }
  return counters;
}

// Server and tool CPU seconds spent between Start() and Stop().
class CpuMeter {
 public:
  explicit CpuMeter(int server_pid) : server_pid_(server_pid) {}

  void Start() {
    server_ = ProcessCpuSeconds(server_pid_);
    tool_ = SelfCpuSeconds();
  }

  void Stop() {
    server_ = ProcessCpuSeconds(server_pid_) - server_;
    tool_ = SelfCpuSeconds() - tool_;
  }

  double server() const { return server_; }
  double tool() const { return tool_; }

 private:
  int server_pid_;
  double server_ = 0;
  double tool_ = 0;
};

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

// Progress of the search for the top-level "seq" of a canhbao stream
// message. Values 0-5 count the bytes of kSeqKey matched so far.
constexpr char kSeqKey[] = "\"seq\":";
constexpr uint8_t kSeqDigits = 6;  // the key matched, so the number is being read
constexpr uint8_t kSeqDone = 7;    // the number ended, so the rest of the message is skipped

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
  uint8_t seq_match = 0;       // kSeqKey search state, only when seq scanning is on
  uint64_t seq_value = 0;      // "seq" of the current message; 0 until found
  uint64_t last_seq = 0;       // "seq" of the last complete message that had one
};

constexpr size_t kHandshakeMax = 1024;
constexpr uint64_t kPublishTag = ~uint64_t{0};

const char kUpgradeKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
// base64(SHA-1(key + RFC 6455 GUID)) for the key above, from RFC 6455 §1.3.
const char kUpgradeAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Times of one reconnect storm, in nanoseconds from the moment the first
// connection was closed.
struct StormOutcome {
  int64_t close_ns = 0;              // time to close every connection
  std::vector<int64_t> upgraded_ns;  // per connection: time of its new 101, or 0
  std::vector<int64_t> caught_up_ns; // per connection: time of its last replayed message, or 0
  uint32_t min_replay = 0;           // minimum and maximum messages a connection had to replay
  uint32_t max_replay = 0;
  size_t without_seq = 0;            // resuming connections that had no seq before the drop
  size_t wrong_seq = 0;              // replays that ended at another seq than before the drop
  std::string first_error;
};

class Subscribers {
 public:
  // With `scan_seq`, every data message is searched for its top-level
  // "seq" number, which the storm needs for since=.
  Subscribers(const Options& options, bool scan_seq)
      : options_(options),
        connections_(static_cast<size_t>(options.connections)),
        handshake_buffers_(static_cast<size_t>(options.connections) * kHandshakeMax),
        receive_ns_(static_cast<size_t>(options.connections) * static_cast<size_t>(options.messages), 0),
        recorded_messages_(static_cast<uint32_t>(options.messages)),
        scan_seq_(scan_seq) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1 failed: ") + std::strerror(errno));
    upgrade_request_ = UpgradeRequest(options.path);
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
  // publish response, if one is watched, has arrived. Returns false on
  // timeout.
  bool WaitForMessage(uint32_t expected, int64_t deadline_ns) {
    expected_ = expected;
    waiting_ = 0;
    for (const Connection& connection : connections_) {
      if (connection.state == State::kOpen && connection.messages < expected) ++waiting_;
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

  // Closes every connection at once and opens them all again, with no cap
  // on handshakes in flight unless --storm-batch sets one. With `resume`,
  // each canhbao stream requests since= set `replay` below the last seq it
  // received, and is caught up once that many messages have arrived.
  // Without it, a connection is caught up at its 101. Returns once every
  // connection is caught up or has failed, or at `deadline_ns`.
  StormOutcome Storm(uint32_t replay, bool resume, int64_t deadline_ns) {
    size_t count = connections_.size();
    StormOutcome outcome;
    std::vector<uint64_t> seq_before(count);
    storm_since_.assign(count, 0);
    storm_expected_.assign(count, 0);
    for (size_t i = 0; i < count; ++i) {
      uint64_t last = connections_[i].last_seq;
      seq_before[i] = last;
      if (!resume) continue;
      if (last == 0) ++outcome.without_seq;
      storm_since_[i] = last > replay ? last - replay : 0;
      storm_expected_[i] = static_cast<uint32_t>(last - storm_since_[i]);
    }
    if (count > 0) {
      auto [min, max] = std::minmax_element(storm_expected_.begin(), storm_expected_.end());
      outcome.min_replay = *min;
      outcome.max_replay = *max;
    }
    storm_resume_ = resume;
    storm_upgraded_ns_.assign(count, 0);
    storm_caught_up_ns_.assign(count, 0);
    storm_first_error_.clear();
    // The replayed messages must not overwrite the arrival times of the run.
    recorded_messages_ = 0;
    expected_ = 0;

    int64_t drop = NowNs();
    for (Connection& connection : connections_) {
      // Closing the last descriptor of a socket also removes it from epoll.
      if (connection.state != State::kClosed) close(connection.fd);
      connection = Connection{};
    }
    open_ = 0;
    in_flight_ = 0;
    outcome.close_ns = NowNs() - drop;

    storm_active_ = true;
    storm_pending_ = count;
    size_t next = 0;
    while (storm_pending_ > 0 && NowNs() <= deadline_ns) {
      while (next < count && (options_.storm_batch == 0 || in_flight_ < options_.storm_batch)) {
        StartConnect(next++);
      }
      Poll(5);
    }
    storm_active_ = false;

    outcome.upgraded_ns.assign(count, 0);
    outcome.caught_up_ns.assign(count, 0);
    for (size_t i = 0; i < count; ++i) {
      if (storm_upgraded_ns_[i] != 0) outcome.upgraded_ns[i] = storm_upgraded_ns_[i] - drop;
      if (storm_caught_up_ns_[i] == 0) continue;
      outcome.caught_up_ns[i] = storm_caught_up_ns_[i] - drop;
      if (resume && connections_[i].last_seq != seq_before[i]) ++outcome.wrong_seq;
    }
    outcome.first_error = storm_pending_ > 0 && storm_first_error_.empty()
                              ? "timed out with " + std::to_string(storm_pending_) +
                                    " connections not caught up"
                              : storm_first_error_;
    return outcome;
  }

  // Waits up to `timeout_ms` for events on the connections and handles them.
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

  int publish_status() const { return publish_status_; }
  // Arrival time of message `message` (0-based) at connection `index`, or 0.
  int64_t receive_time(size_t message, size_t index) const {
    return receive_ns_[message * connections_.size() + index];
  }
  size_t closed() const { return closed_; }
  uint64_t payload_bytes() const { return payload_bytes_; }
  uint64_t data_messages() const { return message_count_; }
  const std::string& first_error() const { return first_error_; }

 private:
  std::string UpgradeRequest(const std::string& path) const {
    return "GET " + path + " HTTP/1.1\r\nHost: " + options_.host + ":" +
           std::to_string(options_.port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + kUpgradeKey +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

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

  void SendUpgrade(size_t index) {
    Connection& connection = connections_[index];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Fail(index, std::string("connect failed: ") + std::strerror(error));
      return;
    }
    // A resuming storm connection sends its own since=.
    std::string resume_request;
    const std::string* request = &upgrade_request_;
    if (storm_active_ && storm_resume_) {
      char separator = options_.path.find('?') == std::string::npos ? '?' : '&';
      resume_request = UpgradeRequest(options_.path + separator + "since=" +
                                      std::to_string(storm_since_[index]));
      request = &resume_request;
    }
    // The request is small enough to fit the empty send buffer at once.
    ssize_t n = write(connection.fd, request->data(), request->size());
    if (n != static_cast<ssize_t>(request->size())) {
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
        if (storm_active_) {
          storm_upgraded_ns_[index] = NowNs();
          if (storm_expected_[index] == 0) MarkCaughtUp(index);
        }
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
        } else if (scan_seq_ && c.seq_match != kSeqDone) {
          ScanSeq(c, data, take);
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
      // A text or binary frame starts a message; continuations keep the search going.
      if (c.opcode == 0x1 || c.opcode == 0x2) {
        c.seq_match = 0;
        c.seq_value = 0;
      }
      if (c.opcode < 0x8) payload_bytes_ += length;
      c.payload_left = length;
      if (length == 0) FinishFrame(index);
      if (c.state == State::kClosed) return;
    }
  }

  // Looks for the first `"seq":` and reads the decimal number after it.
  // The search stops there, so the rest of the payload costs nothing. JSON
  // escapes every '"' inside strings, so text values cannot match the key.
  static void ScanSeq(Connection& c, const uint8_t* data, size_t size) {
    for (size_t i = 0; i < size && c.seq_match != kSeqDone; ++i) {
      char byte = static_cast<char>(data[i]);
      if (c.seq_match == kSeqDigits) {
        if (byte >= '0' && byte <= '9') {
          c.seq_value = c.seq_value * 10 + static_cast<uint64_t>(byte - '0');
        } else {
          c.seq_match = kSeqDone;
        }
      } else if (byte == kSeqKey[c.seq_match]) {
        ++c.seq_match;
      } else if (c.seq_match == 5 && byte == 's') {
        c.seq_match = 2;  // the '"' just matched may open the key
      } else {
        c.seq_match = byte == '"' ? 1 : 0;
      }
    }
  }

  void FinishFrame(size_t index) {
    Connection& c = connections_[index];
    switch (c.opcode) {
      case 0x0:  // continuation
      case 0x1:  // text
      case 0x2:  // binary
        if (!c.fin) break;
        // canhbao's sequence numbers start at 1, so 0 means none was found.
        if (c.seq_value != 0) c.last_seq = c.seq_value;
        OnMessage(index);
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
    if (c.messages <= recorded_messages_) {
      receive_ns_[size_t{c.messages - 1} * connections_.size() + index] = NowNs();
    }
    if (c.messages == expected_) --waiting_;
    if (storm_active_ && c.messages == storm_expected_[index]) MarkCaughtUp(index);
  }

  void MarkCaughtUp(size_t index) {
    storm_caught_up_ns_[index] = NowNs();
    --storm_pending_;
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
    std::string error = "subscriber " + std::to_string(index) + ": " + reason;
    if (closed_++ == 0) first_error_ = error;
    if (storm_active_ && storm_caught_up_ns_[index] == 0) {
      --storm_pending_;
      if (storm_first_error_.empty()) storm_first_error_ = error;
    }
  }

  static constexpr int kMaxEvents = 1024;

  const Options& options_;
  std::vector<Connection> connections_;
  std::vector<char> handshake_buffers_;
  // Arrival time of message k at connection i, at [k * connections + i]; 0
  // until it arrives. Only the first recorded_messages_ messages are kept.
  std::vector<int64_t> receive_ns_;
  uint32_t recorded_messages_;
  bool scan_seq_;
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

  // Reconnect storm state, used only while Storm() runs.
  bool storm_active_ = false;
  bool storm_resume_ = false;
  std::vector<uint64_t> storm_since_;
  std::vector<uint32_t> storm_expected_;  // messages each connection must replay
  std::vector<int64_t> storm_upgraded_ns_;
  std::vector<int64_t> storm_caught_up_ns_;
  size_t storm_pending_ = 0;  // connections neither caught up nor failed
  std::string storm_first_error_;
};

// ---------------------------------------------------------------------------
// Coordination of several tools through files in --sync-dir
//
// ready.LABEL      a tool has all its connections open and has read idle RSS
// go               the publishing tool is about to send the first message
// delivered.K.LABEL  a --no-publish tool is done waiting for message K
//                  (1-based): all its subscribers have it, or the wait timed
//                  out. The publishing tool waits for these before the pause
//                  and the next message, so one message at a time is in flight.
// publish-times    the publish time of each message, one CLOCK_MONOTONIC
//                  nanosecond value a line, written after the last message
// summary.LABEL,   a tool's measurement, for --aggregate
// latencies.LABEL
// done.LABEL       a tool has finished measuring
// failed.LABEL     a tool stopped with the error inside
//
// Each file is written under a temporary name and renamed, so a reader
// never sees it half-written.

class SyncDir {
 public:
  explicit SyncDir(std::string path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
  }

  void Write(const std::string& name, const std::string& content) const {
    std::string temporary = path_ + "/.tmp-" + name;
    {
      std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
      file.write(content.data(), static_cast<std::streamsize>(content.size()));
      if (!file) throw std::runtime_error("writing " + temporary + " failed");
    }
    std::filesystem::rename(temporary, path_ + "/" + name);
  }

  bool Exists(const std::string& name) const { return std::filesystem::exists(path_ + "/" + name); }

  std::string Read(const std::string& name) const {
    std::ifstream file(path_ + "/" + name, std::ios::binary);
    if (!file) throw std::runtime_error("reading " + path_ + "/" + name + " failed");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  // Names of the files that start with `prefix`, sorted.
  std::vector<std::string> List(const std::string& prefix) const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void ThrowIfAnyFailed() const {
    std::vector<std::string> failed = List("failed.");
    if (failed.empty()) return;
    throw std::runtime_error("tool '" + failed.front().substr(7) + "' failed: " + Read(failed.front()));
  }

 private:
  std::string path_;
};

// Serves the subscribers until `done()` returns true. Throws when another
// tool has failed, or after `timeout_ms`.
template <typename Done>
void ServeUntil(Subscribers& subscribers, const SyncDir& sync, int64_t timeout_ms,
                const std::string& what, Done done) {
  int64_t deadline = NowNs() + timeout_ms * 1000000;
  while (!done()) {
    sync.ThrowIfAnyFailed();
    if (NowNs() > deadline) {
      throw std::runtime_error("timed out after " + std::to_string(timeout_ms) + " ms waiting for " + what);
    }
    subscribers.Poll(2);
  }
}

// ---------------------------------------------------------------------------
// Results

// Measurements of one tool, or of several tools combined.
struct Measurement {
  int connections = 0;
  std::vector<int64_t> last_ns;    // per message: latency of the slowest subscriber
  std::vector<uint64_t> received;  // per message: subscribers that got it
  std::vector<int64_t> latencies;  // every delivery
  double server_cpu = 0;           // seconds
  double tool_cpu = 0;             // seconds
  long rss_growth_kib = 0;         // server VmRSS with the idle connections minus before them
  uint64_t payload_bytes = 0;      // of every data message received
  uint64_t data_messages = 0;
  uint64_t missing = 0;            // deliveries that never arrived
};

double Percentile(std::vector<int64_t>& values, double fraction) {
  if (values.empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * double(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + long(rank), values.end());
  return double(values[rank]);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Turns the arrival times into latencies from each message's publish time
// and prints one line per message.
Measurement Collect(const Subscribers& subscribers, const Options& options,
                    const std::vector<int64_t>& publish_ns, const std::vector<bool>& timed_out) {
  Measurement m;
  m.connections = options.connections;
  m.latencies.reserve(size_t(options.connections) * size_t(options.messages));
  for (size_t k = 0; k < publish_ns.size(); ++k) {
    int64_t last = 0;
    uint64_t received = 0;
    for (size_t i = 0; i < size_t(options.connections); ++i) {
      int64_t at = subscribers.receive_time(k, i);
      if (at == 0) continue;
      int64_t latency = std::max<int64_t>(at - publish_ns[k], 0);
      m.latencies.push_back(latency);
      last = std::max(last, latency);
      ++received;
    }
    m.missing += uint64_t(options.connections) - received;
    m.last_ns.push_back(last);
    m.received.push_back(received);
    std::printf("%s: message %zu: %llu of %d received, last after %.2f ms%s\n", options.label.c_str(),
                k + 1, static_cast<unsigned long long>(received), options.connections,
                double(last) / 1e6, timed_out[k] ? " (timed out)" : "");
  }
  m.payload_bytes = subscribers.payload_bytes();
  m.data_messages = subscribers.data_messages();
  return m;
}

// Prints the summary line and the RESULT line that run.sh collects.
void PrintResult(const std::string& label, Measurement& m) {
  std::vector<double> last_ms;
  std::vector<double> rate;  // deliveries per second of each message
  for (size_t k = 0; k < m.last_ns.size(); ++k) {
    last_ms.push_back(double(m.last_ns[k]) / 1e6);
    rate.push_back(m.last_ns[k] > 0 ? double(m.received[k]) / (double(m.last_ns[k]) / 1e9) : 0);
  }
  double last_median = Median(last_ms);
  double last_max = last_ms.empty() ? 0 : *std::max_element(last_ms.begin(), last_ms.end());
  double rate_median = Median(rate);
  double p50 = Percentile(m.latencies, 0.50) / 1e6;
  double p99 = Percentile(m.latencies, 0.99) / 1e6;
  double deliveries = double(m.latencies.size());
  double per_cpu_second = m.server_cpu > 0 ? deliveries / m.server_cpu : 0;
  double rss_per_connection = double(m.rss_growth_kib) / m.connections;
  double message_bytes = m.data_messages == 0 ? 0 : double(m.payload_bytes) / double(m.data_messages);
  int messages = static_cast<int>(m.last_ns.size());

  std::printf(
      "%s: %d subscribers x %d messages: last delivery median %.2f ms (max %.2f), "
      "latency p50 %.2f ms p99 %.2f ms, %.0f deliveries/s (median of messages), "
      "%.0f deliveries per server CPU second, server CPU %.2f s, tool CPU %.2f s, "
      "RSS %.2f KiB per idle connection, %.0f-byte messages, %llu deliveries missing\n",
      label.c_str(), m.connections, messages, last_median, last_max, p50, p99, rate_median,
      per_cpu_second, m.server_cpu, m.tool_cpu, rss_per_connection, message_bytes,
      static_cast<unsigned long long>(m.missing));
  // One machine-readable line for run.sh.
  std::printf("RESULT %s %d %.2f %.2f %.2f %.2f %.0f %.0f %.2f %.2f %.2f %.0f %llu\n", label.c_str(),
              m.connections, last_median, last_max, p50, p99, rate_median, per_cpu_second,
              m.server_cpu, m.tool_cpu, rss_per_connection, message_bytes,
              static_cast<unsigned long long>(m.missing));
  std::fflush(stdout);
}

// Saves a measurement in the sync folder. The figures go to summary.LABEL
// as "name values..." lines and the latencies to latencies.LABEL as raw int64.
void SaveMeasurement(const SyncDir& sync, const std::string& label, const Measurement& m) {
  std::ostringstream text;
  text.precision(17);
  text << "connections " << m.connections << "\nserver_cpu " << m.server_cpu << "\ntool_cpu "
       << m.tool_cpu << "\nrss_growth_kib " << m.rss_growth_kib << "\npayload_bytes "
       << m.payload_bytes << "\ndata_messages " << m.data_messages << "\nmissing " << m.missing
       << "\nlast_ns";
  for (int64_t value : m.last_ns) text << ' ' << value;
  text << "\nreceived";
  for (uint64_t value : m.received) text << ' ' << value;
  text << '\n';
  sync.Write("latencies." + label,
             std::string(reinterpret_cast<const char*>(m.latencies.data()),
                         m.latencies.size() * sizeof(int64_t)));
  // The summary comes last: --aggregate looks for it.
  sync.Write("summary." + label, text.str());
}

Measurement LoadMeasurement(const SyncDir& sync, const std::string& label) {
  Measurement m;
  std::istringstream text(sync.Read("summary." + label));
  std::string line;
  while (std::getline(text, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name == "connections") fields >> m.connections;
    else if (name == "server_cpu") fields >> m.server_cpu;
    else if (name == "tool_cpu") fields >> m.tool_cpu;
    else if (name == "rss_growth_kib") fields >> m.rss_growth_kib;
    else if (name == "payload_bytes") fields >> m.payload_bytes;
    else if (name == "data_messages") fields >> m.data_messages;
    else if (name == "missing") fields >> m.missing;
    else if (name == "last_ns") for (int64_t value; fields >> value;) m.last_ns.push_back(value);
    else if (name == "received") for (uint64_t value; fields >> value;) m.received.push_back(value);
  }
  std::string raw = sync.Read("latencies." + label);
  m.latencies.resize(raw.size() / sizeof(int64_t));
  std::memcpy(m.latencies.data(), raw.data(), m.latencies.size() * sizeof(int64_t));
  return m;
}

// --aggregate: combines the measurements of every tool in the folder as if
// one tool had measured all their subscribers. The last delivery of a
// message is the latest over all tools. CPU times and RSS growth add up.
int Aggregate(const Options& options) {
  if (!std::filesystem::is_directory(options.aggregate_dir)) {
    throw std::runtime_error("--aggregate folder " + options.aggregate_dir + " not found");
  }
  SyncDir sync(options.aggregate_dir);
  std::vector<std::string> summaries = sync.List("summary.");
  if (summaries.empty()) {
    throw std::runtime_error("no summary.* files found in " + options.aggregate_dir +
                             ": run the tools with --sync-dir " + options.aggregate_dir + " first");
  }
  Measurement total;
  for (const std::string& name : summaries) {
    std::string label = name.substr(8);
    Measurement m = LoadMeasurement(sync, label);
    if (total.last_ns.empty()) {
      total.last_ns.assign(m.last_ns.size(), 0);
      total.received.assign(m.received.size(), 0);
    }
    if (m.last_ns.size() != total.last_ns.size() || m.received.size() != total.received.size()) {
      throw std::runtime_error("tool '" + label + "' measured " + std::to_string(m.last_ns.size()) +
                               " messages, the others " + std::to_string(total.last_ns.size()));
    }
    for (size_t k = 0; k < m.last_ns.size(); ++k) {
      total.last_ns[k] = std::max(total.last_ns[k], m.last_ns[k]);
      total.received[k] += m.received[k];
    }
    total.connections += m.connections;
    total.latencies.insert(total.latencies.end(), m.latencies.begin(), m.latencies.end());
    total.server_cpu += m.server_cpu;
    total.tool_cpu += m.tool_cpu;
    total.rss_growth_kib += m.rss_growth_kib;
    total.payload_bytes += m.payload_bytes;
    total.data_messages += m.data_messages;
    total.missing += m.missing;
  }
  std::printf("%s: %zu tools combined\n", options.label.c_str(), summaries.size());
  PrintResult(options.label, total);
  return total.missing == 0 ? 0 : 2;
}

// ---------------------------------------------------------------------------
// The run

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("reading " + path + " failed");
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// canhbao: creates every draft up front so that draft creation (matching)
// is outside the measured server CPU time.
std::vector<std::string> CreateDrafts(const Options& options, const std::string& body) {
  std::vector<std::string> draft_ids;
  for (int k = 0; k < options.messages; ++k) {
    std::string response = PostBlocking(options, "/v1/alerts", body);
    std::string id = ExtractId(response);
    if (ParseStatus(response) != 201 || id.empty()) {
      throw std::runtime_error("creating draft " + std::to_string(k) + " failed: " + response.substr(0, 400));
    }
    draft_ids.push_back(id);
  }
  return draft_ids;
}

// Publishes the K messages one after another. Before each next message it
// waits until every subscriber of this tool has the previous one (or the
// wait timed out) and every other tool of `sync` has reported the same,
// then pauses. Returns the publish time of each message.
std::vector<int64_t> PublishAll(Subscribers& subscribers, const Options& options, const SyncDir* sync,
                                const std::vector<std::string>& draft_ids, const std::string& body,
                                std::vector<bool>& timed_out) {
  bool canhbao = !options.canhbao_key.empty();
  std::vector<int64_t> publish_ns;
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
    publish_ns.push_back(start);
    timed_out.push_back(!complete);
    if (sync != nullptr) {
      std::string prefix = "delivered." + std::to_string(k + 1) + ".";
      ServeUntil(subscribers, *sync, options.sync_timeout_ms,
                 "the other tools to receive message " + std::to_string(k + 1),
                 [&] { return sync->List(prefix).size() + 1 >= size_t(options.tools); });
    }
    if (k + 1 < options.messages) subscribers.Idle(options.pause_ms);
  }
  return publish_ns;
}

// --no-publish: waits for the K messages that the publishing tool sends
// through its own node. Arrival times are recorded as they come, also
// before "go" is seen, so the CPU meter starting a little late costs no
// accuracy in the latencies.
void ReceiveAll(Subscribers& subscribers, const Options& options, const SyncDir& sync,
                CpuMeter& cpu, std::vector<bool>& timed_out) {
  // The publishing tool gives up on the other tools after the sync timeout
  // and leaves a failed.* file, so waiting twice as long here is enough.
  ServeUntil(subscribers, sync, 2 * int64_t{options.sync_timeout_ms}, "the publishing tool to start",
             [&] { return sync.Exists("go"); });
  cpu.Start();
  int64_t deadline = NowNs() + int64_t{options.message_timeout_ms} * 1000000;
  for (int k = 0; k < options.messages; ++k) {
    // Before the next message, the publishing tool may wait up to one
    // message timeout for the slowest tool, then pauses.
    if (k > 0) deadline = NowNs() + int64_t{options.pause_ms + 2 * options.message_timeout_ms} * 1000000;
    timed_out.push_back(!subscribers.WaitForMessage(uint32_t(k + 1), deadline));
    sync.Write("delivered." + std::to_string(k + 1) + "." + options.label, "");
  }
  cpu.Stop();
}

std::string FormatTimes(const std::vector<int64_t>& times) {
  std::string text;
  for (int64_t value : times) text += std::to_string(value) + "\n";
  return text;
}

std::vector<int64_t> ParseTimes(const std::string& text, int expected) {
  std::vector<int64_t> times;
  std::istringstream lines(text);
  for (int64_t value; lines >> value;) times.push_back(value);
  if (times.size() != size_t(expected)) {
    throw std::runtime_error("publish-times has " + std::to_string(times.size()) +
                             " values, expected " + std::to_string(expected) +
                             ": give every tool the same --messages");
  }
  return times;
}

// Summarizes a list of per-connection times (0 = never) as max and median
// over the connections that have one.
void MaxAndMedianMs(const std::vector<int64_t>& times, double& max_ms, double& median_ms) {
  std::vector<int64_t> present;
  for (int64_t value : times) {
    if (value != 0) present.push_back(value);
  }
  max_ms = present.empty() ? 0 : double(*std::max_element(present.begin(), present.end())) / 1e6;
  median_ms = Percentile(present, 0.50) / 1e6;
}

// Runs the reconnect storm and prints its summary and STORM line. Returns
// true when every connection caught up with the right replay.
bool RunStorm(Subscribers& subscribers, const Options& options, bool resume) {
  TcpCounters tcp_before = ReadTcpCounters();
  CpuMeter cpu(options.server_pid);
  cpu.Start();
  int64_t deadline = NowNs() + int64_t{options.connect_timeout_ms} * 1000000;
  StormOutcome outcome = subscribers.Storm(uint32_t(options.storm_replay), resume, deadline);
  cpu.Stop();
  TcpCounters tcp_after = ReadTcpCounters();
  long long listen_drops = tcp_after.listen_drops - tcp_before.listen_drops;
  long long syn_retransmits = tcp_after.syn_retransmits - tcp_before.syn_retransmits;

  size_t upgraded = 0;
  size_t caught_up = 0;
  for (size_t i = 0; i < outcome.upgraded_ns.size(); ++i) {
    if (outcome.upgraded_ns[i] != 0) ++upgraded;
    if (outcome.caught_up_ns[i] != 0) ++caught_up;
  }
  size_t failed = size_t(options.connections) - caught_up;
  double upgraded_max = 0, upgraded_median = 0, caught_up_max = 0, caught_up_median = 0;
  MaxAndMedianMs(outcome.upgraded_ns, upgraded_max, upgraded_median);
  MaxAndMedianMs(outcome.caught_up_ns, caught_up_max, caught_up_median);

  std::string replay = "-";
  if (resume) {
    replay = std::to_string(outcome.min_replay);
    if (outcome.max_replay != outcome.min_replay) replay += "-" + std::to_string(outcome.max_replay);
  }
  std::printf("%s: storm: closed %d connections in %.2f ms; %zu upgraded again, the last after %.2f ms "
              "(median %.2f ms)", options.label.c_str(), options.connections,
              double(outcome.close_ns) / 1e6, upgraded, upgraded_max, upgraded_median);
  if (resume) {
    std::printf("; %zu caught up with %s replayed messages each, the last after %.2f ms (median %.2f ms)",
                caught_up, replay.c_str(), caught_up_max, caught_up_median);
  } else {
    std::printf("; no resume, so caught up means upgraded");
  }
  std::printf("; server CPU %.2f s, tool CPU %.2f s; %zu failed\n", cpu.server(), cpu.tool(), failed);
  std::printf("%s: storm: the kernel dropped %lld connections at a full listen queue and sent %lld SYNs "
              "again (whole network namespace)\n",
              options.label.c_str(), listen_drops, syn_retransmits);
  if (outcome.without_seq > 0) {
    std::printf("%s: storm: %zu connections had no seq before the drop and resumed with since=0\n",
                options.label.c_str(), outcome.without_seq);
  }
  if (outcome.wrong_seq > 0) {
    std::printf("%s: storm: %zu replays ended at another seq than the connection had before the drop\n",
                options.label.c_str(), outcome.wrong_seq);
  }
  if (failed > 0) std::printf("%s: storm: first failure: %s\n", options.label.c_str(), outcome.first_error.c_str());

  // One machine-readable line for run.sh. A "-" marks a column that does not apply.
  char caught_up_columns[64] = "- -";
  if (resume) std::snprintf(caught_up_columns, sizeof caught_up_columns, "%.2f %.2f", caught_up_max, caught_up_median);
  std::printf("STORM %s %d %s %.2f %.2f %.2f %s %.2f %.2f %zu %lld %lld\n", options.label.c_str(),
              options.connections, replay.c_str(), double(outcome.close_ns) / 1e6, upgraded_max,
              upgraded_median, caught_up_columns, cpu.server(), cpu.tool(), failed, listen_drops,
              syn_retransmits);
  std::fflush(stdout);
  return failed == 0 && outcome.wrong_seq == 0;
}

int Run(const Options& options) {
  bool canhbao = !options.canhbao_key.empty();
  std::string body = options.publish ? ReadFile(options.body_file) : "";
  std::vector<std::string> draft_ids;
  if (canhbao && options.publish) draft_ids = CreateDrafts(options, body);

  long rss_before = ProcessRssKib(options.server_pid);
  Subscribers subscribers(options, canhbao && options.storm_replay > 0);
  int64_t connect_start = NowNs();
  subscribers.ConnectAll();
  double connect_seconds = double(NowNs() - connect_start) / 1e9;
  subscribers.Idle(options.idle_settle_ms);
  long rss_idle = ProcessRssKib(options.server_pid);
  std::printf("%s: %d subscribers upgraded in %.2f s; server RSS %ld KiB before, %ld KiB idle\n",
              options.label.c_str(), options.connections, connect_seconds, rss_before, rss_idle);
  std::fflush(stdout);

  std::optional<SyncDir> sync;
  if (!options.sync_dir.empty()) {
    sync.emplace(options.sync_dir);
    sync->Write("ready." + options.label, "");
  }

  CpuMeter cpu(options.server_pid);
  std::vector<int64_t> publish_ns;
  std::vector<bool> timed_out;
  if (options.publish) {
    if (sync) {
      ServeUntil(subscribers, *sync, options.sync_timeout_ms, "every tool to open its connections",
                 [&] { return sync->List("ready.").size() >= size_t(options.tools); });
      sync->Write("go", "");
    }
    cpu.Start();
    publish_ns = PublishAll(subscribers, options, sync ? &*sync : nullptr, draft_ids, body, timed_out);
    cpu.Stop();
    if (sync) sync->Write("publish-times", FormatTimes(publish_ns));
  } else {
    ReceiveAll(subscribers, options, *sync, cpu, timed_out);
    ServeUntil(subscribers, *sync, options.sync_timeout_ms, "the publish times",
               [&] { return sync->Exists("publish-times"); });
    publish_ns = ParseTimes(sync->Read("publish-times"), options.messages);
  }

  Measurement measurement = Collect(subscribers, options, publish_ns, timed_out);
  measurement.server_cpu = cpu.server();
  measurement.tool_cpu = cpu.tool();
  measurement.rss_growth_kib = rss_idle - rss_before;
  PrintResult(options.label, measurement);
  int status = measurement.missing == 0 && subscribers.closed() == 0 ? 0 : 2;

  if (sync) {
    SaveMeasurement(*sync, options.label, measurement);
    sync->Write("done." + options.label, "");
    // Connections stay open until every tool has measured, so that closing
    // them does not take CPU from the others while they still measure.
    try {
      ServeUntil(subscribers, *sync, options.sync_timeout_ms, "the other tools to finish",
                 [&] { return sync->List("done.").size() >= size_t(options.tools); });
    } catch (const std::exception& error) {
      std::fprintf(stderr, "fanout_load: %s: %s\n", options.label.c_str(), error.what());
    }
  }

  if (options.storm_replay > 0 && !RunStorm(subscribers, options, canhbao)) status = 2;
  return status;
}

// Leaves failed.LABEL in the sync folder so that the other tools stop
// waiting for this one.
void ReportFailure(const Options& options, const std::string& error) {
  try {
    SyncDir(options.sync_dir).Write("failed." + options.label, error);
  } catch (const std::exception& write_error) {
    std::fprintf(stderr, "fanout_load: writing failed.%s in %s failed: %s\n", options.label.c_str(),
                 options.sync_dir.c_str(), write_error.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = ParseOptions(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fanout_load: %s\n", error.what());
    return 1;
  }
  try {
    if (!options.aggregate_dir.empty()) return Aggregate(options);
    return Run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fanout_load: %s\n", error.what());
    if (!options.sync_dir.empty()) ReportFailure(options, error.what());
    return 1;
  }
}
