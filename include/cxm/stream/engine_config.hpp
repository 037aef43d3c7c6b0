#pragma once
/// \file
/// The engine's configuration: only what is engine-wide. The kind registry (which kinds are in use,
/// which carry a value and how it is validated) and the lateness bound. Everything a metric needs
/// besides (a scale's satisfied set, a threshold, a half-life) is a parameter of the metric instance.
/// Saved with the engine's state and compared by merge and load.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "cxm/core/score_scale.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// What is engine-wide: the kind registry and the lateness bound (the top of this header).
struct engine_config {
  kind_registry kinds{};  ///< which kinds are in use and what their events carry
  /// Events older than the latest time seen minus this bound are rejected as too_late (no bound by
  /// default). At most max_lateness_bound (any time minus it stays representable).
  std::optional<std::chrono::milliseconds> max_lateness;

  /// About 200 years.
  static constexpr std::chrono::milliseconds max_lateness_bound = std::chrono::days{73'000};

  /// Throws std::invalid_argument naming the field at fault.
  void validate() const {
    kinds.validate();
    if (max_lateness && (max_lateness->count() < 0 || *max_lateness > max_lateness_bound)) {
      throw std::invalid_argument("engine_config: max_lateness must be between 0 and 73000 days, got " +
                                  std::to_string(max_lateness->count()) + " ms");
    }
  }

  /// Compares every field.
  friend bool operator==(const engine_config&, const engine_config&) = default;

  /// The first difference from `other`, naming the field and both values; empty when equal.
  [[nodiscard]] std::string difference(const engine_config& other) const {
    if (auto d = kinds.difference(other.kinds); !d.empty()) return "kind registry: " + d;
    if (max_lateness != other.max_lateness) {
      auto text = [](const std::optional<std::chrono::milliseconds>& m) {
        return m ? std::to_string(m->count()) + " ms" : std::string("none");
      };
      return "max_lateness: " + text(max_lateness) + " vs " + text(other.max_lateness);
    }
    return {};
  }

  /// Writes the kind registry, then the lateness bound.
  void save(io::writer& w) const {
    kinds.save(w);
    w.boolean(max_lateness.has_value());
    w.i64(max_lateness ? max_lateness->count() : 0);
  }

  /// The configuration of a version-1 engine image (cxm 0.1): engagement weights per kind (which no
  /// metric read; dropped), host kinds, the csat scale and satisfied set, the ces scale and threshold,
  /// the lateness bound. The scales become the kind registry's; the satisfied set and the threshold
  /// are saved again in the 0.1 csat and ces states, whose fit with the metric instances the engine checks.
  static engine_config load_v1(io::reader& r) {
    engine_config config;
    for (std::size_t k = 0; k < max_event_kinds; ++k) {
      const double w = r.f64("engine_config (v1): engagement weight");
      if (w < 0) io::reader::fail("engine_config (v1): negative engagement weight");
    }
    const auto host_kinds = r.u32("engine_config (v1): host kinds");
    const score_scale csat_scale{r.i32("engine_config (v1): csat low"), r.i32("engine_config (v1): csat high")};
    const auto n = r.u32("engine_config (v1): csat satisfied count");
    if (n > r.remaining() / 4) io::reader::fail("truncated: engine_config (v1): csat satisfied set");
    for (std::uint32_t i = 0; i < n; ++i) (void)r.i32("engine_config (v1): csat satisfied");
    const score_scale ces_scale{r.i32("engine_config (v1): ces low"), r.i32("engine_config (v1): ces high")};
    (void)r.i32("engine_config (v1): ces threshold");
    const bool bounded = r.boolean("engine_config (v1): has max_lateness");
    const auto lateness = r.i64("engine_config (v1): max_lateness");
    if (!bounded && lateness != 0) io::reader::fail("engine_config (v1): max_lateness without a bound");
    try {
      if (host_kinds > max_event_kinds - builtin_kind_count) throw std::invalid_argument("too many host kinds");
      config.kinds.declare_host_kinds(host_kinds);
      config.kinds.set_scale(event_kind::csat_answer, csat_scale);
      config.kinds.set_scale(event_kind::ces_answer, ces_scale);
      if (bounded) config.max_lateness = std::chrono::milliseconds{lateness};
      config.validate();
    } catch (const std::invalid_argument& e) {
      io::reader::fail(std::string("engine_config (v1): ") + e.what());
    }
    return config;
  }

  /// Reads a configuration written by save and validates it; throws cxm::format_error naming the failed check.
  static engine_config load(io::reader& r) {
    engine_config c;
    c.kinds = kind_registry::load(r);
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
