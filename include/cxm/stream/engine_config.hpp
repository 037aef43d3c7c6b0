#pragma once
// The engine's configuration: engagement weight per kind, host kinds in use, survey scales and the
// lateness bound. Saved with the engine's state and compared by merge and load, so that states of
// differently configured engines never mix silently.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/events/event_kind.hpp"

namespace cxm {

struct engine_config {
  /// Engagement weight of each kind (host kinds included). Defaults: purchase 5, refund 0, visit 1,
  /// interaction 2, loyalty 3, referral 4, support_contact 1, signup 1, cancel 0, answers 1, host 1.
  std::array<double, max_event_kinds> engagement_weights = default_engagement_weights();
  /// Host-defined kinds in use: host_kind(0) .. host_kind(host_kinds − 1). Others are unknown kinds.
  unsigned host_kinds = 0;
  score_scale csat_scale{1, 5};
  std::vector<int> csat_satisfied{4, 5};
  score_scale ces_scale{1, 7};
  int ces_threshold = 5;
  /// Events older than the latest time seen minus this bound are rejected as too_late (no bound by default).
  std::optional<std::chrono::milliseconds> max_lateness;

  static constexpr std::array<double, max_event_kinds> default_engagement_weights() noexcept {
    std::array<double, max_event_kinds> w{};
    w.fill(1.0);
    w[static_cast<std::size_t>(event_kind::purchase)] = 5;
    w[static_cast<std::size_t>(event_kind::refund)] = 0;
    w[static_cast<std::size_t>(event_kind::interaction)] = 2;
    w[static_cast<std::size_t>(event_kind::loyalty)] = 3;
    w[static_cast<std::size_t>(event_kind::referral)] = 4;
    w[static_cast<std::size_t>(event_kind::cancel)] = 0;
    return w;
  }

  [[nodiscard]] double weight(event_kind k) const noexcept { return engagement_weights[static_cast<std::size_t>(k)]; }
  [[nodiscard]] std::size_t kinds_in_use() const noexcept { return builtin_kind_count + host_kinds; }

  /// Throws std::invalid_argument naming the field at fault.
  void validate() const {
    for (std::size_t k = 0; k < engagement_weights.size(); ++k) {
      if (!std::isfinite(engagement_weights[k]) || engagement_weights[k] < 0) {
        throw std::invalid_argument("engine_config: engagement weight of " + to_string(static_cast<event_kind>(k)) +
                                    " must be finite and >= 0");
      }
    }
    if (host_kinds > max_event_kinds - builtin_kind_count) {
      throw std::invalid_argument("engine_config: at most " + std::to_string(max_event_kinds - builtin_kind_count) +
                                  " host kinds, got " + std::to_string(host_kinds));
    }
    for (const auto* s : {&csat_scale, &ces_scale}) {
      s->validate("engine_config");
      // Per-customer satisfaction keeps a score as one byte (0xFF = no answer).
      if (s->points() > 255) throw std::invalid_argument("engine_config: survey scales have at most 255 points");
    }
    if (csat_satisfied.empty()) throw std::invalid_argument("engine_config: the csat satisfied set is empty");
    if (!std::is_sorted(csat_satisfied.begin(), csat_satisfied.end()) ||
        std::adjacent_find(csat_satisfied.begin(), csat_satisfied.end()) != csat_satisfied.end()) {
      throw std::invalid_argument("engine_config: csat satisfied scores must be strictly increasing (e.g. {4, 5})");
    }
    for (const int v : csat_satisfied) {
      if (!csat_scale.contains(v)) throw std::invalid_argument("engine_config: csat satisfied score outside the scale");
    }
    if (!ces_scale.contains(ces_threshold)) throw std::invalid_argument("engine_config: ces threshold outside the scale");
    if (max_lateness && max_lateness->count() < 0) throw std::invalid_argument("engine_config: negative max_lateness");
  }

  friend bool operator==(const engine_config&, const engine_config&) = default;

  void save(io::writer& w) const {
    for (const double v : engagement_weights) w.f64(v);
    w.u32(host_kinds);
    w.i32(csat_scale.low);
    w.i32(csat_scale.high);
    w.u32(static_cast<std::uint32_t>(csat_satisfied.size()));
    for (const int v : csat_satisfied) w.i32(v);
    w.i32(ces_scale.low);
    w.i32(ces_scale.high);
    w.i32(ces_threshold);
    w.boolean(max_lateness.has_value());
    w.i64(max_lateness ? max_lateness->count() : 0);
  }

  static engine_config load(io::reader& r) {
    engine_config c;
    for (double& v : c.engagement_weights) v = r.f64("engine_config: engagement weight");
    c.host_kinds = r.u32("engine_config: host kinds");
    c.csat_scale = {r.i32("engine_config: csat low"), r.i32("engine_config: csat high")};
    const auto n = r.u32("engine_config: csat satisfied count");
    if (n > r.remaining() / 4) io::reader::fail("truncated: engine_config: csat satisfied set");
    c.csat_satisfied.clear();
    for (std::uint32_t i = 0; i < n; ++i) c.csat_satisfied.push_back(r.i32("engine_config: csat satisfied"));
    c.ces_scale = {r.i32("engine_config: ces low"), r.i32("engine_config: ces high")};
    c.ces_threshold = r.i32("engine_config: ces threshold");
    const bool bounded = r.boolean("engine_config: has max_lateness");
    const auto lateness = r.i64("engine_config: max_lateness");
    if (bounded) c.max_lateness = std::chrono::milliseconds{lateness};
    else if (lateness != 0) io::reader::fail("engine_config: max_lateness without a bound");
    try {
      c.validate();
    } catch (const std::invalid_argument& e) {
      io::reader::fail(e.what());
    }
    return c;
  }
};

}  // namespace cxm
