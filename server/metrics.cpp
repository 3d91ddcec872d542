#include "server/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>

namespace canhbao {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("canhbao_http_requests_total")
                   .Help("HTTP requests by route pattern and status code")
                   .Register(*registry_);
  auto& connections = prometheus::BuildGauge()
                          .Name("canhbao_connections")
                          .Help("Open client connections by kind")
                          .Register(*registry_);
  http_connections_ = &connections.Add({{"kind", "http"}});
  stream_connections_ = &connections.Add({{"kind", "websocket"}});
  slow_consumer_closes_ =
      &prometheus::BuildCounter()
           .Name("canhbao_stream_slow_consumer_closes_total")
           .Help("WebSocket clients closed with 4008, by the send queue limit they passed")
           .Register(*registry_);
  slow_consumer_closes_->Add({{"reason", "messages"}});
  slow_consumer_closes_->Add({{"reason", "bytes"}});
  stream_closes_ = &prometheus::BuildCounter()
                        .Name("canhbao_stream_closes_total")
                        .Help("WebSocket stream connections that ended, by reason")
                        .Register(*registry_);
  publish_to_send_bounds_ = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  publish_to_send_ =
      &prometheus::BuildHistogram()
           .Name("canhbao_publish_to_send_seconds")
           .Help("Time from an alert's publication until this node wrote it to a subscriber's "
                 "socket (or queued it, when the socket was full), per delivery")
           .Register(*registry_)
           .Add({}, publish_to_send_bounds_);
  stream_queued_bytes_ = &prometheus::BuildGauge()
                              .Name("canhbao_stream_queued_bytes")
                              .Help("Bytes queued for WebSocket clients and not yet written")
                              .Register(*registry_)
                              .Add({});
  stream_resumes_ = &prometheus::BuildCounter()
                         .Name("canhbao_stream_resumes_total")
                         .Help("WebSocket connections that asked for a replay with since=")
                         .Register(*registry_)
                         .Add({});
  stream_resume_depth_ =
      &prometheus::BuildHistogram()
           .Name("canhbao_stream_resume_depth")
           .Help("How many alert log entries back a resuming connection reached")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0, 1, 10, 100, 1000, 10000, 100000});
  stream_rejected_ = &prometheus::BuildCounter()
                          .Name("canhbao_stream_rejected_total")
                          .Help("WebSocket upgrades refused, by reason")
                          .Register(*registry_);
}

prometheus::Counter& Metrics::slow_consumer_closes(const std::string& reason) {
  return slow_consumer_closes_->Add({{"reason", reason}});
}

prometheus::Counter& Metrics::stream_closes(const std::string& reason) {
  return stream_closes_->Add({{"reason", reason}});
}

void Metrics::ObservePublishToSend(std::span<const double> seconds) {
  // Binned here and added in one call, so a fan-out of thousands of
  // deliveries takes the histogram's mutex once.
  std::vector<double> counts(publish_to_send_bounds_.size() + 1, 0.0);
  double sum = 0;
  for (double value : seconds) {
    size_t bucket = static_cast<size_t>(
        std::lower_bound(publish_to_send_bounds_.begin(), publish_to_send_bounds_.end(), value) -
        publish_to_send_bounds_.begin());
    counts[bucket] += 1;
    sum += value;
  }
  publish_to_send_->ObserveMultiple(counts, sum);
}

prometheus::Counter& Metrics::stream_rejected(const std::string& reason) {
  return stream_rejected_->Add({{"reason", reason}});
}

void Metrics::CountRequest(const std::string& route, unsigned status) {
  requests_->Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
}

prometheus::Gauge& Metrics::Gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  auto it = gauges_.find(name);
  if (it != gauges_.end()) return *it->second;
  auto& gauge = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  gauges_[name] = &gauge;
  return gauge;
}

void Metrics::SetTotal(const std::string& name, const std::string& help, uint64_t total) {
  std::lock_guard lock(mutex_);
  auto it = totals_.find(name);
  if (it == totals_.end()) {
    auto& counter = prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
    it = totals_.emplace(name, Total{&counter, 0}).first;
  }
  if (total > it->second.exported) {
    it->second.counter->Increment(static_cast<double>(total - it->second.exported));
    it->second.exported = total;
  }
}

std::string Metrics::Render() {
  if (scrape_hook_) scrape_hook_(*this);
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace canhbao
