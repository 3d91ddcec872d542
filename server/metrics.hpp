#pragma once

// Prometheus metrics of one node, served in the text format on their own
// listener. Counters are updated by request handlers and sessions; values
// that other components already count (Redis round trips, hub deliveries)
// are read when /metrics is scraped.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace canhbao {

class Metrics {
 public:
  Metrics();

  // Any thread.
  void CountRequest(const std::string& route, unsigned status);
  prometheus::Gauge& http_connections() { return *http_connections_; }
  prometheus::Gauge& stream_connections() { return *stream_connections_; }
  // Clients closed with 4008, by the limit they passed: "messages" or
  // "bytes".
  prometheus::Counter& slow_consumer_closes(const std::string& reason);
  // Stream connections that ended, by reason: "client" (it sent a close
  // frame), "network", "slow_consumer", "protocol_error", "ping_timeout",
  // "close_timeout" or "shutdown".
  prometheus::Counter& stream_closes(const std::string& reason);
  // Records one publish-to-send delay per delivery, in seconds.
  void ObservePublishToSend(std::span<const double> seconds);
  // Bytes queued for WebSocket clients and not yet written, over all
  // connections of this node.
  prometheus::Gauge& stream_queued_bytes() { return *stream_queued_bytes_; }
  // Connections that asked for a replay with since=, and how many log
  // entries back they reached.
  prometheus::Counter& stream_resumes() { return *stream_resumes_; }
  prometheus::Histogram& stream_resume_depth() { return *stream_resume_depth_; }
  prometheus::Counter& stream_rejected(const std::string& reason);

  // Called at each scrape before rendering, to copy values kept elsewhere.
  void SetScrapeHook(std::function<void(Metrics&)> hook) { scrape_hook_ = std::move(hook); }
  prometheus::Gauge& Gauge(const std::string& name, const std::string& help);
  // Exposes `total`, a count kept elsewhere that only grows, as a counter.
  // The counter advances by what was added since the last scrape.
  void SetTotal(const std::string& name, const std::string& help, uint64_t total);

  // The text exposition of every metric.
  std::string Render();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Gauge* http_connections_;
  prometheus::Gauge* stream_connections_;
  prometheus::Family<prometheus::Counter>* slow_consumer_closes_;
  prometheus::Family<prometheus::Counter>* stream_closes_;
  std::vector<double> publish_to_send_bounds_;
  prometheus::Histogram* publish_to_send_;
  prometheus::Gauge* stream_queued_bytes_;
  prometheus::Counter* stream_resumes_;
  prometheus::Histogram* stream_resume_depth_;
  prometheus::Family<prometheus::Counter>* stream_rejected_;
  std::function<void(Metrics&)> scrape_hook_;
  std::mutex mutex_;
  std::map<std::string, prometheus::Gauge*> gauges_;
  struct Total {
    prometheus::Counter* counter;
    uint64_t exported;
  };
  std::map<std::string, Total> totals_;
};

}  // namespace canhbao
