#pragma once
// The engine: a host's events flow through one object that validates each event once, looks its
// customer up once, and routes it by kind to the metrics that listen to it: global accumulators (NPS,
// CSAT, CES, windows) and per-customer ones (the customer record). The composition is chosen at
// compile time; there is no virtual call and no allocation per event (beyond a new customer's slot).
//
//   cxm::engine<> e;                              // uint64 ids, surveys + activity/spend/satisfaction
//   e.add(cxm::event<>{42, t, cxm::event_kind::purchase, 19.90});
//   e.add(orders, projection);                    // any input range, any host type
//   other.merge(e);                               // shards, threads, machines
//   auto r = e.report(as_of);                     // plain struct of results
//   auto bytes = cxm::io::save_state(e);          // checkpoint; io::load_state<engine<>>(bytes)
//
// Bad input (DESIGN.md): an empty customer id, a time outside [1970, 2106], an unknown kind, a NaN,
// infinite or negative amount, a score off its scale, an event later than the lateness bound is never
// folded in. Every rejection is counted by reason in the engine (report().rejected); the policy then
// throws cxm::invalid_event (default) or hands the event and its rejection to a callback.

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <span>

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/customer_id.hpp"
#include "cxm/stream/customer_metrics.hpp"
#include "cxm/stream/customer_table.hpp"
#include "cxm/stream/engine_config.hpp"
#include "cxm/stream/event.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "cxm/events/observation.hpp"

namespace cxm {

/// A compile-time list of metrics.
template <class... Metrics>
struct metric_list {};

using default_global_metrics = metric_list<nps_answers, csat_answers, ces_answers>;
/// 96 bytes of state per customer: spend (16) + activity (52) + satisfaction (28).
using default_customer_metrics = metric_list<spend, activity, satisfaction>;

/// Policy: throw cxm::invalid_event (after counting the rejection).
struct throw_invalid_events {
  template <class E>
  [[noreturn]] void operator()(const E&, const rejection& r) const {
    throw invalid_event(r.message());
  }
};

/// Policy: skip the event (it is counted) and hand it with its rejection to `callback(event, rejection)`.
template <class Callback = ignore_rejected>
struct skip_invalid_events {
  mutable Callback callback{};  // mutable: a const policy object can still hand events to a stateful callback
  template <class E>
  void operator()(const E& e, const rejection& r) const {
    if constexpr (std::is_invocable_v<Callback&, const E&, const rejection&>) {
      callback(e, r);
    } else {
      callback(r);
    }
  }
};
template <class Callback>
skip_invalid_events(Callback) -> skip_invalid_events<Callback>;

/// P reads customer, time, kind and value from E.
template <class P, class E>
concept event_projection = requires(const P& p, const E& e) {
  p.customer(e);
  { to_timestamp(p.time(e)) } -> std::same_as<timestamp>;
  { p.kind(e) } -> std::convertible_to<event_kind>;
  { p.value(e) } -> std::convertible_to<double>;
};

template <class Id = std::uint64_t, class Globals = default_global_metrics, class PerCustomer = default_customer_metrics,
          template <class, class> class Map = dense_customer_map>
class engine;

template <class Id, class... G, class... C, template <class, class> class Map>
class engine<Id, metric_list<G...>, metric_list<C...>, Map> {
 public:
  using id_type = Id;
  using record_type = customer_record<C...>;
  using table_type = customer_table<Id, record_type, Map>;
  static constexpr std::uint32_t type_tag = fourcc("engn");
  static constexpr std::uint16_t format_version = 1;

  struct report_type {
    timestamp as_of;
    std::uint64_t events;                                      ///< accepted events
    std::array<std::uint64_t, max_event_kinds> events_by_kind;  ///< accepted events by kind
    rejection_counts::result_type rejected;                    ///< rejected events by reason
    std::uint64_t customers;                                   ///< customers in the table
    std::uint64_t active_customers;     ///< last activity within `active_window` up to as_of (needs activity)
    std::uint64_t saturated_customers;  ///< customers with a saturated narrow counter (needs activity)
    std::tuple<decltype(G::result(std::declval<const typename G::state&>(), timestamp{}))...> metrics;

    /// The result of global metric M: report.get<cxm::nps_answers>().score
    template <class M>
    [[nodiscard]] const auto& get() const {
      return std::get<index_of<M, G...>()>(metrics);
    }
  };

  engine() : engine(engine_config{}) {}
  /// Throws std::invalid_argument (naming the field) for an invalid configuration.
  explicit engine(engine_config config) : config_(validated(std::move(config))), globals_(G::make(config_)...) {}

  [[nodiscard]] const engine_config& config() const noexcept { return config_; }
  [[nodiscard]] const table_type& customers() const noexcept { return table_; }
  /// The state of global metric M (e.g. the tumbling window of a per_period metric).
  template <class M>
  [[nodiscard]] const typename M::state& global() const {
    return std::get<index_of<M, G...>()>(globals_);
  }
  template <class Key>
  [[nodiscard]] const record_type* find(const Key& customer) const {
    return table_.find(customer);
  }

  // --- one event ------------------------------------------------------------------------------
  template <has_event_traits E>
  bool add(const E& e) {
    return add(e, traits_projection{}, throw_invalid_events{});
  }
  template <class E, event_projection<E> P>
  bool add(const E& e, const P& proj) {
    return add(e, proj, throw_invalid_events{});
  }
  /// Returns whether the event was folded in.
  template <class E, event_projection<E> P, class Policy>
  bool add(const E& e, const P& proj, Policy&& on_invalid) {
    decltype(auto) customer = proj.customer(e);
    const timestamp time = to_timestamp(proj.time(e));
    const event_kind kind = static_cast<event_kind>(proj.kind(e));
    const double value = static_cast<double>(proj.value(e));
    std::uint16_t score_index = 0;
    if (auto why = validate(customer, time, kind, value, score_index)) [[unlikely]] {
      rejections_.add(why->reason);
      if constexpr (std::is_invocable_v<Policy&, const E&, const rejection&>) {
        on_invalid(e, *why);
      } else {
        on_invalid(*why);  // a core policy: cxm::throw_on_invalid, cxm::skip_invalid{counts, callback}
      }
      return false;
    }
    // Only amounts and answers carry a value; metrics see 0 for every other kind.
    const bool has_value = kind == event_kind::purchase || kind == event_kind::refund || is_survey_answer(kind);
    const observation o{time, to_seconds32(time), kind, has_value ? value : 0.0, score_index};
    record_type& record = table_.find_or_insert(customer);
    (route_customer<C>(record, o), ...);
    route_globals(o, std::index_sequence_for<G...>{});
    ++events_by_kind_[static_cast<std::size_t>(kind)];
    if (!watermark_ || time > *watermark_) watermark_ = time;
    return true;
  }

  // --- a range of events ----------------------------------------------------------------------
  template <ranges::input_range R>
    requires(!has_event_traits<std::remove_cvref_t<R>> && has_event_traits<ranges::range_value_t<R>>)
  std::size_t add(R&& events) {
    return add(std::forward<R>(events), traits_projection{}, throw_invalid_events{});
  }
  template <ranges::input_range R, event_projection<ranges::range_value_t<R>> P>
  std::size_t add(R&& events, const P& proj) {
    return add(std::forward<R>(events), proj, throw_invalid_events{});
  }
  /// Returns the number of events folded in. On a sized random-access range (a vector, a span, a
  /// random-access view) and a table that takes prefetch hints, the customers of the events ahead are
  /// prefetched: the index slot `slot_lead` events ahead, the record `record_lead` events ahead, so that
  /// the memory misses of a large table overlap instead of following one another.
  template <ranges::input_range R, event_projection<ranges::range_value_t<R>> P, class Policy>
  std::size_t add(R&& events, const P& proj, Policy&& on_invalid) {
    std::size_t added = 0;
    if constexpr (table_type::prefetches && ranges::random_access_range<R> && ranges::sized_range<R>) {
      constexpr std::ptrdiff_t slot_lead = 16, record_lead = 8;
      auto it = ranges::begin(events);
      const auto end = it + static_cast<std::ptrdiff_t>(ranges::size(events));
      if (end - it > slot_lead) {
        // Three iterators walk the range together: no index arithmetic for GCC's -Warray-bounds to misread.
        auto slot_ahead = it + slot_lead, record_ahead = it + record_lead;
        // A table that fits in the caches gains nothing from the hints and pays for three more hashes.
        constexpr std::size_t prefetch_from_customers = std::size_t{1} << 15;
        for (; slot_ahead != end; ++it, ++slot_ahead, ++record_ahead) {
          if (table_.size() >= prefetch_from_customers) {
            table_.prefetch_slot(proj.customer(*slot_ahead));
            table_.prefetch_record(proj.customer(*record_ahead));
          }
          added += add(*it, proj, on_invalid) ? 1u : 0u;
        }
      }
      for (; it != end; ++it) added += add(*it, proj, on_invalid) ? 1u : 0u;
    } else {
      for (auto&& e : events) added += add(e, proj, on_invalid) ? 1u : 0u;
    }
    return added;
  }

  // --- merge ----------------------------------------------------------------------------------
  /// Folds in another engine's state. Commutative and associative (per-customer "latest" values are
  /// decided by event time). Throws std::invalid_argument when the configurations differ.
  void merge(const engine& other) {
    if (!(other.config_ == config_)) throw std::invalid_argument("engine: cannot merge engines with different configurations");
    table_.reserve(table_.size() + other.table_.size() / 2);
    for (const auto& [id, theirs] : other.table_) {
      record_type& mine = table_.find_or_insert(id);
      (C::merge(mine.template get<C>(), theirs.template get<C>()), ...);
    }
    merge_globals(other, std::index_sequence_for<G...>{});
    for (std::size_t k = 0; k < max_event_kinds; ++k) events_by_kind_[k] += other.events_by_kind_[k];
    rejections_.merge(other.rejections_);
    if (other.watermark_ && (!watermark_ || *other.watermark_ > *watermark_)) watermark_ = other.watermark_;
  }

  // --- report ---------------------------------------------------------------------------------
  /// The figures as of `as_of`: windows end at as_of's period; a customer is active when their last
  /// activity lies in (as_of − active_window, as_of].
  [[nodiscard]] report_type report(timestamp as_of,
                                   std::chrono::milliseconds active_window = std::chrono::days{30}) const {
    report_type r{as_of, 0, events_by_kind_, rejections_.result(), table_.size(), 0, 0,
                  results(as_of, std::index_sequence_for<G...>{})};
    for (const auto c : events_by_kind_) r.events += c;
    constexpr bool has_activity = (std::is_same_v<C, activity> || ...);
    constexpr bool has_satisfaction = (std::is_same_v<C, satisfaction> || ...);
    if constexpr (has_activity || has_satisfaction) {
      const auto from = as_of - active_window;
      for (const auto& [id, record] : table_) {
        bool saturated = false;
        if constexpr (has_activity) {
          const auto& a = record.template get<activity>();
          const auto last = from_seconds32(a.last_seen);
          if (a.seen() && last > from && last <= as_of) ++r.active_customers;
          saturated = a.saturated != 0;
        }
        if constexpr (has_satisfaction) saturated = saturated || record.template get<satisfaction>().saturated != 0;
        if (saturated) ++r.saturated_customers;
      }
    }
    return r;
  }

  /// The report as of the latest event time seen (the accumulator contract's result()).
  [[nodiscard]] report_type result() const { return report(watermark_.value_or(earliest_time)); }

  // --- state ----------------------------------------------------------------------------------
  /// The composition signature: id type and metric ids. Saved and checked on load.
  [[nodiscard]] static std::string composition() {
    std::string s = "id=" + std::string(customer_id_traits<Id>::type_name) + ";global=";
    std::string sep;
    ((s += sep + G::id(), sep = ","), ...);
    s += ";customer=";
    sep.clear();
    ((s += sep + C::id(), sep = ","), ...);
    return s;
  }

  void save(io::writer& w) const {
    const auto sig = composition();
    w.u64(sig.size());
    w.raw(std::as_bytes(std::span(sig.data(), sig.size())));
    config_.save(w);
    for (const auto c : events_by_kind_) w.u64(c);
    rejections_.save(w);
    w.boolean(watermark_.has_value());
    w.i64(watermark_ ? watermark_->time_since_epoch().count() : 0);
    std::apply([&](const auto&... state) { (state.save(w), ...); }, globals_);
    w.u64(table_.size());
    for (const auto& [id, record] : table_) {
      customer_id_traits<Id>::save(id, w);
      (C::save(record.template get<C>(), w), ...);
    }
  }

  /// Loads a state saved by an engine of the same composition (any configuration).
  static engine load(io::reader& r) {
    const auto n = r.length("engine: composition length", 1);
    const auto bytes = r.raw(n, "engine: composition");
    const std::string saved(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (saved != composition()) {
      io::reader::fail("engine: the state was saved by an engine composed as '" + saved + "', this one is '" +
                       composition() + "'");
    }
    engine out(engine_config::load(r));
    for (auto& c : out.events_by_kind_) c = r.u64("engine: events by kind");
    out.rejections_ = rejection_counts::load(r);
    const bool has_watermark = r.boolean("engine: has watermark");
    const auto watermark = r.i64("engine: watermark");
    if (has_watermark) {
      out.watermark_ = timestamp{std::chrono::milliseconds{watermark}};
    } else if (watermark != 0) {
      io::reader::fail("engine: watermark value without a watermark");
    }
    // Braced initialisation: the global states are read in order.
    out.globals_ = std::tuple<typename G::state...>{G::state::load(r)...};
    out.check_globals_fit_config(std::index_sequence_for<G...>{});
    const auto customers = r.length("engine: customers", 1);
    out.table_.reserve(customers);
    for (std::size_t i = 0; i < customers; ++i) {
      Id id = customer_id_traits<Id>::load(r);
      record_type record;
      ((record.template get<C>() = C::load(r)), ...);
      if (out.table_.find(id) != nullptr) io::reader::fail("engine: a customer appears twice");
      out.table_.find_or_insert(id) = record;
    }
    return out;
  }

  /// Loads a state and checks that it was saved with `expected` as configuration.
  static engine load(io::reader& r, const engine_config& expected) {
    engine out = load(r);
    if (!(out.config_ == expected)) io::reader::fail("engine: the state was saved with another configuration");
    return out;
  }

  friend bool operator==(const engine& a, const engine& b) {
    return a.config_ == b.config_ && a.events_by_kind_ == b.events_by_kind_ && a.rejections_ == b.rejections_ &&
           a.watermark_ == b.watermark_ && a.globals_ == b.globals_ && a.table_ == b.table_;
  }

 private:
  template <class M, class First, class... Rest>
  static constexpr std::size_t index_of() {
    if constexpr (std::is_same_v<M, First>) {
      return 0;
    } else {
      static_assert(sizeof...(Rest) > 0, "engine: no such global metric");
      return 1 + index_of<M, Rest...>();
    }
  }

  static engine_config validated(engine_config config) {
    config.validate();
    return config;
  }

  /// A loaded global state must have the parameters the configuration gives it (scale, threshold...):
  /// merging it into a fresh state made from the configuration throws otherwise.
  template <std::size_t... I>
  void check_globals_fit_config(std::index_sequence<I...>) const {
    try {
      ((void)[&] {
        auto probe = G::make(config_);
        probe.merge(std::get<I>(globals_));
      }(), ...);
    } catch (const std::invalid_argument& e) {
      io::reader::fail(std::string("engine: a global state does not fit the saved configuration: ") + e.what());
    }
  }

  template <class Key>
  std::optional<rejection> validate(const Key& customer, timestamp time, event_kind kind, double value,
                                    std::uint16_t& score_index) const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if constexpr (std::is_integral_v<Id> && std::is_integral_v<std::remove_cvref_t<Key>> &&
                  !std::is_same_v<std::remove_cvref_t<Key>, Id>) {
      if (!std::in_range<Id>(customer)) {
        return rejection{rejection_reason::customer_id_out_of_range, "engine", "customer", static_cast<double>(customer),
                         static_cast<double>(std::numeric_limits<Id>::min()), static_cast<double>(std::numeric_limits<Id>::max())};
      }
    } else if (customer_id_traits<Id>::empty(customer)) {
      return rejection{rejection_reason::empty_customer_id, "engine", "customer", nan, nan, nan};
    }
    const auto ms = static_cast<double>(time.time_since_epoch().count());
    if (!representable(time)) {
      return rejection{rejection_reason::time_out_of_range, "engine", "time (ms since 1970)", ms,
                       static_cast<double>(earliest_time.time_since_epoch().count()),
                       static_cast<double>(latest_time.time_since_epoch().count())};
    }
    const auto k = static_cast<std::size_t>(kind);
    if (k >= config_.kinds_in_use()) {
      return rejection{rejection_reason::unknown_kind, "engine", "kind", static_cast<double>(k), 0,
                       static_cast<double>(config_.kinds_in_use() - 1)};
    }
    if (config_.max_lateness && watermark_ && time < *watermark_ - *config_.max_lateness) {
      return rejection{rejection_reason::too_late, "engine", "time (ms since 1970)", ms,
                       static_cast<double>((*watermark_ - *config_.max_lateness).time_since_epoch().count()), inf};
    }
    switch (kind) {
      case event_kind::purchase:
      case event_kind::refund:
        if (!std::isfinite(value)) return rejection{rejection_reason::amount_not_finite, "engine", "amount", value, 0, inf};
        if (value < 0) return rejection{rejection_reason::amount_negative, "engine", "amount", value, 0, inf};
        break;
      case event_kind::csat_answer: return check_score("csat score", config_.csat_scale, value, score_index);
      case event_kind::ces_answer: return check_score("ces score", config_.ces_scale, value, score_index);
      case event_kind::nps_answer: return check_score("nps score", nps::scale, value, score_index);
      default: break;
    }
    return std::nullopt;
  }

  static std::optional<rejection> check_score(std::string_view field, const score_scale& scale, double value,
                                              std::uint16_t& score_index) {
    if (!(value >= scale.low && value <= scale.high) || value != std::floor(value)) {
      return rejection{rejection_reason::score_out_of_scale, "engine", field, value, double(scale.low), double(scale.high)};
    }
    score_index = static_cast<std::uint16_t>(static_cast<int>(value) - scale.low);
    return std::nullopt;
  }

  template <class M>
  static void route_customer(record_type& record, const observation& o) {
    if (M::listens.contains(o.kind)) M::on(record.template get<M>(), o);
  }

  template <std::size_t... I>
  void route_globals(const observation& o, std::index_sequence<I...>) {
    ((G::listens.contains(o.kind) ? G::on(std::get<I>(globals_), o) : void()), ...);
  }

  template <std::size_t... I>
  void merge_globals(const engine& other, std::index_sequence<I...>) {
    (std::get<I>(globals_).merge(std::get<I>(other.globals_)), ...);
  }

  template <std::size_t... I>
  auto results(timestamp as_of, std::index_sequence<I...>) const {
    return std::make_tuple(G::result(std::get<I>(globals_), as_of)...);
  }

  engine_config config_;
  std::tuple<typename G::state...> globals_;
  table_type table_;
  std::array<std::uint64_t, max_event_kinds> events_by_kind_{};
  rejection_counts rejections_;
  std::optional<timestamp> watermark_;
};

}  // namespace cxm
