#pragma once
/// \file
/// The engine: a host for metrics. A host's events flow through one object that validates each event
/// once (against the kind registry), looks its customer up once, and hands it to the metrics that
/// listen to its kind: per-customer metrics (whose states form the customer record) and global ones.
/// The engine knows no metric by name: every metric, cxm's own and a host's, plugs in through the
/// protocols of events/metric.hpp. There is no virtual call and no allocation per event (beyond a new
/// customer's slot).
///
///   cxm::engine<> e;                              // uint64 ids, the default metrics
///   e.add(cxm::event<>{42, t, cxm::event_kind::purchase, 19.90});
///   e.add(orders, projection);                    // any input range, any host type
///   other.merge(e);                               // shards, threads, machines
///   auto r = e.report(as_of);                     // plain struct of results
///   auto bytes = cxm::io::save_state(e);          // checkpoint; io::load_state<engine<>>(bytes)
///
/// Bad input (docs/architecture.md, "Bad input"): an empty customer id, a time outside [1970, 2106], a
/// kind not in use, a value the registry rejects (NaN, infinite or negative amount, a score off its
/// scale or not whole), an event later than the lateness bound is never folded in. Every rejection is
/// counted by reason in the engine (report().rejected); the policy then throws cxm::invalid_event
/// (cxm::throw_on_invalid, the default) or hands the event and its rejection to a callback.

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/iso8601.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/customer_id.hpp"
#include "cxm/stream/customer_table.hpp"
#include "cxm/stream/engine_config.hpp"
#include "cxm/stream/event.hpp"
#include "cxm/stream/default_metrics.hpp"

namespace cxm {



/// P reads customer, time, kind and value from E. The kind must be a cxm::event_kind: a host enum or
/// string is mapped explicitly (cxm::kind_map), never converted by a cast.
template <class P, class E>
concept event_projection = requires(const P& p, const E& e) {
  p.customer(e);
  { to_timestamp(p.time(e)) } -> std::same_as<timestamp>;
  { p.kind(e) } -> std::same_as<event_kind>;
  { p.value(e) } -> std::convertible_to<double>;
};

template <class Id = std::uint64_t, class Globals = default_global_metrics, class PerCustomer = default_customer_metrics,
          template <class, class> class Map = dense_customer_map,
          class Records = typename record_metrics<Globals, PerCustomer>::type>
class engine;

namespace detail {
template <class T, class... Ts>
constexpr std::size_t count_of() {
  return (std::size_t{std::is_same_v<T, Ts>} + ... + 0);
}
template <class M>
concept exact_only_when_partitioned = requires { requires M::exact_only_when_partitioned; };
template <class M>
concept reports_saturation = requires(const M& m, const typename M::state& s) {
  { m.saturated(s) } -> std::same_as<bool>;
};
template <class M>
concept has_global_state = requires { typename M::state; };

/// The state a global metric keeps in the engine: its own, or nothing for a report-time metric.
struct no_state {
  friend constexpr bool operator==(no_state, no_state) noexcept { return true; }
};
template <class M>
struct global_state {
  using type = no_state;
};
template <class M>
  requires requires { typename M::state; }
struct global_state<M> {
  using type = typename M::state;
};

/// The type of a global metric's result in the report.
template <class M, class Context>
struct global_result {
  using type = decltype(std::declval<const M&>().result(std::declval<const Context&>()));
};
template <class M, class Context>
  requires requires { typename M::state; }
struct global_result<M, Context> {
  using type = decltype(std::declval<const M&>().result(std::declval<const typename M::state&>(),
                                                        std::declval<const Context&>()));
};

template <class M>
void configure_metric(M& m, const kind_registry& kinds) {
  if constexpr (requires { m.configure(kinds); }) m.configure(kinds);
}

}  // namespace detail

/// The engine: validates each event once against the kind registry, looks its customer up once
/// and hands it to the metrics listening to its kind (the top of this header; docs/architecture.md,
/// "The event-stream layer"). Input: any event type with event_traits, or a projection. Result:
/// report(as_of) (report_type), customer(id)->result<M>(as_of). Parameters: engine_config and the
/// metric instances, saved with the state and compared by merge and load. Per event: one lookup, no
/// virtual call, no allocation but a new customer's slot; memory: record_bytes per customer plus the
/// map's own (docs/architecture.md, "The customer table"). Mergeable: associative and commutative;
/// throws std::invalid_argument when configurations or parameters differ. Not synchronised: const
/// members may run concurrently on an engine no thread modifies (docs/architecture.md, "Thread safety").
/// The formulas are the metrics' own.
template <class Id, class... G, class... C, template <class, class> class Map, class... R>
class engine<Id, metric_list<G...>, metric_list<C...>, Map, metric_list<R...>> {
  static_assert((detail::check_customer_metric<R>() && ...));
  static_assert((detail::check_global_metric<G>() && ...));
  static_assert(((detail::count_of<C, C...>() == 1) && ...), "cxm: a per-customer metric type is composed twice");
  static_assert(((detail::count_of<G, G...>() == 1) && ...), "cxm: a global metric type is composed twice");

 public:
  using id_type = Id;  ///< the customer id type
  /// The per-customer metrics of the record: the composed ones and their dependencies, each once,
  /// every metric after those it depends on (the order of updates).
  using record_metric_list = metric_list<R...>;
  using record_type = customer_record<R...>;  ///< the per-customer record
  using table_type = customer_table<Id, record_type, Map>;  ///< the customer table
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("engn");
  /// Version 2: per-metric framing (id, version, parameters before each payload), the kind registry.
  /// Version 1 images (cxm 0.1) still load.
  static constexpr std::uint16_t format_version = 2;
  /// Bytes of state per customer: the sum of the record's states, plus alignment padding.
  static constexpr std::size_t record_bytes = sizeof(record_type);
  /// Whether every metric merges exactly even when both sides hold the same customer (no metric
  /// declares exact_only_when_partitioned).
  static constexpr bool exact_under_any_merge =
      !(detail::exact_only_when_partitioned<R> || ...) && !(detail::exact_only_when_partitioned<G> || ...);

  /// What a global metric's result and a report-time metric see: the evaluation time, the kind
  /// registry, and the customer table through views restricted to the metric's declared dependencies.
  template <class M>
  class report_context {
   public:
    using customer_view = context_for<record_type, M>;  ///< one customer, restricted to M's dependencies
    /// The context of `e` as of `as_of`.
    report_context(const engine& e, timestamp as_of) noexcept : engine_(&e), as_of_(as_of) {}
    [[nodiscard]] timestamp as_of() const noexcept { return as_of_; }  ///< the evaluation time
    /// The engine's kind registry.
    [[nodiscard]] const kind_registry& kinds() const noexcept { return engine_->config_.kinds; }
    [[nodiscard]] std::size_t customers() const noexcept { return engine_->table_.size(); }  ///< customers in the table
    /// The instance (parameters) of a per-customer metric D that M declares in depends_on: a
    /// report-time metric reads its dependency's parameters (a period, a unit) from here rather than
    /// keeping a copy that could differ.
    template <class D>
    [[nodiscard]] const D& customer_metric() const noexcept {
      static_assert(detail::declares_dependency<M, D>, "cxm: a metric reads a sub-state it did not declare in depends_on");
      return std::get<detail::index_of<D, R...>()>(engine_->records_);
    }
    /// Calls f(view) or f(id, view) once per customer, in table order.
    template <class F>
    void for_each_customer(F&& f) const {
      for (const auto& [id, record] : engine_->table_) {
        const customer_view view(record, false, engine_->config_.kinds, as_of_);
        if constexpr (std::is_invocable_v<F&, const Id&, const customer_view&>) {
          f(id, view);
        } else {
          f(view);
        }
      }
    }

   private:
    const engine* engine_;
    timestamp as_of_;
  };

  /// One customer as its metrics report it: results as of a time, and the raw sub-states.
  class customer_view {
   public:
    /// A view of `record` in `e`.
    customer_view(const engine& e, const record_type& record) noexcept : engine_(&e), record_(&record) {}
    /// The result of per-customer metric M for this customer as of `as_of` (M must have a result()).
    template <class M>
    [[nodiscard]] auto result(timestamp as_of) const {
      const auto& metric = std::get<detail::index_of<M, R...>()>(engine_->records_);
      const context_for<record_type, M> ctx(*record_, false, engine_->config_.kinds, as_of);
      return metric.result(record_->template get<M>(), ctx);
    }
    /// The stored sub-state of M (its layout is M's, documented with M).
    template <class M>
    [[nodiscard]] const typename M::state& state() const noexcept {
      return record_->template get<M>();
    }
    [[nodiscard]] const record_type& record() const noexcept { return *record_; }  ///< the whole record

   private:
    const engine* engine_;
    const record_type* record_;
  };

  /// The report: counts, rejections and every global metric's result as of a time.
  struct report_type {
    timestamp as_of;  ///< the evaluation time
    std::optional<timestamp> watermark;  ///< the latest event time seen
    /// true when events later than as_of were seen: the cumulative figures below (events,
    /// events_by_kind, rejected, customers, and global metrics over all events such as nps, csat,
    /// ces) then include them. Windows leave out the periods after as_of's (as_of's own period holds
    /// its events up to the watermark), active customers count no activity after as_of, and each
    /// per-customer result says in its own includes_later_events whether it covers later events.
    bool includes_later_events;
    std::uint64_t events;                                       ///< accepted events
    std::array<std::uint64_t, max_event_kinds> events_by_kind;  ///< accepted events by kind
    rejection_counts::result_type rejected;                     ///< rejected events by reason
    std::uint64_t customers;                                    ///< customers in the table
    std::uint64_t saturated_customers;  ///< customers with a saturated narrow counter in any metric
    /// Customers that merges found on both sides (0 under parallel_ingest, which partitions by customer).
    std::uint64_t customers_merged_from_both_sides;
    /// The global metrics' results, in composition order (get<M>()).
    std::tuple<typename detail::global_result<G, report_context<G>>::type...> metrics;

    /// The result of global metric M: report.get<cxm::nps_answers>().score
    template <class M>
    [[nodiscard]] const auto& get() const {
      return std::get<detail::index_of<M, G...>()>(metrics);
    }
  };

  engine() : engine(engine_config{}) {}
  /// Throws std::invalid_argument (naming the field or the metric and parameter) when the
  /// configuration or a metric's parameters are invalid.
  explicit engine(engine_config config, metric_list<G...> globals = {}, metric_list<C...> per_customer = {})
      : config_(validated(std::move(config))),
        globals_(std::move(globals.metrics)),
        records_(record_instances(per_customer)) {
    configure_metrics();
    refresh_late_before();
  }

  [[nodiscard]] const engine_config& config() const noexcept { return config_; }  ///< the configuration
  [[nodiscard]] const table_type& customers() const noexcept { return table_; }  ///< the customer table
  /// The latest event time folded in (the watermark); empty before the first event.
  [[nodiscard]] std::optional<timestamp> watermark() const noexcept {
    return has_events() ? std::optional<timestamp>(latest_) : std::nullopt;
  }
  /// The earliest event time folded in; empty before the first event.
  [[nodiscard]] std::optional<timestamp> first_event_time() const noexcept {
    return has_events() ? std::optional<timestamp>(earliest_) : std::nullopt;
  }
  /// The instance (parameters) of a global or per-customer metric M.
  template <class M>
  [[nodiscard]] const M& metric() const {
    if constexpr (detail::contains_type<M, G...>) {
      return std::get<detail::index_of<M, G...>()>(globals_);
    } else {
      return std::get<detail::index_of<M, R...>()>(records_);
    }
  }
  /// An engine with the same configuration and metric instances (parameters), and no data.
  [[nodiscard]] engine empty_copy() const {
    engine out(config_, metric_list<G...>{}, metric_list<C...>{});
    out.globals_ = globals_;
    out.records_ = records_;
    out.global_states_ = out.make_global_states(std::index_sequence_for<G...>{});
    return out;
  }
  /// The state of global metric M (e.g. the tumbling window of a per_period metric).
  template <class M>
  [[nodiscard]] const auto& global() const {
    return std::get<detail::index_of<M, G...>()>(global_states_);
  }
  /// The raw record of a customer, or nullptr.
  template <class Key>
  [[nodiscard]] const record_type* find(const Key& customer) const {
    return table_.find(customer);
  }
  /// A customer's view (results as of a time), or an empty optional for an unknown customer.
  template <class Key>
  [[nodiscard]] std::optional<customer_view> customer(const Key& id) const {
    const record_type* r = table_.find(id);
    if (r == nullptr) return std::nullopt;
    return customer_view(*this, *r);
  }
  /// Calls f(id, view) for every customer, in table order.
  template <class F>
  void for_each_customer(F&& f) const {
    for (const auto& [id, record] : table_) f(id, customer_view(*this, record));
  }

  // --- one event ------------------------------------------------------------------------------
  // Inlined into the caller's loop (the rejection stays out of line): the call's register saves and
  // restores would cost as much as a metric's update.
  /// add(e, traits_projection{}, throw_on_invalid).
  template <has_event_traits E>
  [[gnu::always_inline]] inline bool add(const E& e) {
    return add(e, traits_projection{}, throw_on_invalid);
  }
  /// add(e, proj, throw_on_invalid).
  template <class E, event_projection<E> P>
  [[gnu::always_inline]] inline bool add(const E& e, const P& proj) {
    return add(e, proj, throw_on_invalid);
  }
  /// Returns whether the event was folded in.
  template <class E, event_projection<E> P, class Policy>
  [[gnu::always_inline]] inline bool add(const E& e, const P& proj, Policy&& on_invalid) {
    decltype(auto) customer = proj.customer(e);
    const timestamp time = to_timestamp(proj.time(e));
    const event_kind kind = proj.kind(e);
    const double value = static_cast<double>(proj.value(e));
    checked_value checked;
    if (!accepts(customer, time, kind, value, checked)) [[unlikely]] {
      reject(e, customer, time, kind, value, on_invalid);
      return false;
    }
    const observation o{time, to_seconds32(time), kind, checked.value, checked.score_index};
    // The kind is in use (< max_event_kinds): its bit is tested against each metric's listens set.
    const std::uint32_t kind_bit = std::uint32_t{1} << static_cast<unsigned>(kind);
    const std::size_t before = table_.size();
    record_type& record = table_.find_or_insert(customer);
    const bool created = table_.size() != before;
    (update_record<R>(record, o, kind_bit, created), ...);
    update_globals(record, o, kind_bit, created, std::index_sequence_for<G...>{});
    ++events_by_kind_[static_cast<std::size_t>(kind)];
    if (time > latest_) {
      latest_ = time;
      late_before_ = time - lateness_;  // no overflow: time >= 0 and lateness_ <= 2^62 ms
    }
    if (time < earliest_) earliest_ = time;
    return true;
  }

  // --- a range of events ----------------------------------------------------------------------
  /// add(events, traits_projection{}, throw_on_invalid).
  template <ranges::input_range R2>
    requires(!has_event_traits<std::remove_cvref_t<R2>> && has_event_traits<ranges::range_value_t<R2>>)
  std::size_t add(R2&& events) {
    return add(std::forward<R2>(events), traits_projection{}, throw_on_invalid);
  }
  /// add(events, proj, throw_on_invalid).
  template <ranges::input_range R2, event_projection<ranges::range_value_t<R2>> P>
  std::size_t add(R2&& events, const P& proj) {
    return add(std::forward<R2>(events), proj, throw_on_invalid);
  }
  /// Returns the number of events folded in. On a sized random-access range (a vector, a span, a
  /// random-access view) and a table that takes prefetch hints, the customers of the events ahead are
  /// prefetched: the index slot `slot_lead` events ahead, the record `record_lead` events ahead, so that
  /// the memory misses of a large table overlap instead of following one another.
  template <ranges::input_range R2, event_projection<ranges::range_value_t<R2>> P, class Policy>
  std::size_t add(R2&& events, const P& proj, Policy&& on_invalid) {
    std::size_t added = 0;
    if constexpr (table_type::prefetches && ranges::random_access_range<R2> && ranges::sized_range<R2>) {
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

  // --- erase ----------------------------------------------------------------------------------
  /// Removes a customer's record (a privacy request). What stays: the global metrics' anonymous
  /// aggregates (NPS counts, event counts by kind, windows), which hold no customer id
  /// (docs/guide/events.md, "erasing a customer"). Returns whether the customer was known.
  template <class Key>
  bool erase(const Key& customer) {
    return table_.erase(customer);
  }

  // --- merge ----------------------------------------------------------------------------------
  /// Folds in another engine's state. Commutative and associative (per-customer "latest" values are
  /// decided by event time). Throws std::invalid_argument, naming the field or the metric and the
  /// parameter with both values, when the configurations or the metrics' parameters differ.
  void merge(const engine& other) {
    if (!(other.config_ == config_)) {
      throw std::invalid_argument("engine: cannot merge: configuration differs: " + config_.difference(other.config_));
    }
    check_parameters(other, "merge");
    table_.reserve(table_.size() + other.table_.size() / 2);
    for (const auto& [id, theirs] : other.table_) {
      const std::size_t before = table_.size();
      record_type& mine = table_.find_or_insert(id);
      if (table_.size() == before && &other != this) ++merged_from_both_sides_;
      (std::get<detail::index_of<R, R...>()>(records_).merge(mine.template get<R>(), theirs.template get<R>()), ...);
    }
    merge_globals(other, std::index_sequence_for<G...>{});
    for (std::size_t k = 0; k < max_event_kinds; ++k) events_by_kind_[k] += other.events_by_kind_[k];
    rejections_.merge(other.rejections_);
    merged_from_both_sides_ += other.merged_from_both_sides_;
    latest_ = std::max(latest_, other.latest_);
    earliest_ = std::min(earliest_, other.earliest_);
    refresh_late_before();
  }

  // --- report ---------------------------------------------------------------------------------
  /// The figures as of `as_of` (see report_type::includes_later_events for what that covers). Throws
  /// std::invalid_argument when as_of is before the first event (nothing is known then) or outside
  /// the representable range.
  [[nodiscard]] report_type report(timestamp as_of) const {
    if (!representable(as_of)) {
      throw std::invalid_argument("engine: report as of " + format_iso8601(as_of) + " is outside the representable range");
    }
    if (has_events() && as_of < earliest_) {
      throw std::invalid_argument("engine: report as of " + format_iso8601(as_of) + " is before the first event (" +
                                  format_iso8601(earliest_) + "): no figure is known then");
    }
    report_type r{as_of,
                  watermark(),
                  has_events() && latest_ > as_of,
                  0,
                  events_by_kind_,
                  rejections_.result(),
                  table_.size(),
                  0,
                  merged_from_both_sides_,
                  results(as_of, std::index_sequence_for<G...>{})};
    for (const auto c : events_by_kind_) r.events += c;
    constexpr bool any_saturates = (detail::reports_saturation<R> || ...);
    if constexpr (any_saturates) {
      for (const auto& [id, record] : table_) {
        if ((saturated<R>(record) || ...)) ++r.saturated_customers;
      }
    }
    return r;
  }

  /// The report as of the latest event time seen (the accumulator contract's result()).
  [[nodiscard]] report_type result() const { return report(watermark().value_or(earliest_time)); }

  // --- state ----------------------------------------------------------------------------------
  /// The composition signature: id type, global metric ids, record metric ids (saved and checked on load).
  [[nodiscard]] static std::string composition() {
    std::string s = "id=" + std::string(customer_id_traits<Id>::type_name) + ";global=";
    std::string sep;
    ((s += sep + std::string(G::id), sep = ","), ...);
    s += ";customer=";
    sep.clear();
    ((s += sep + std::string(R::id), sep = ","), ...);
    return s;
  }

  /// Writes the payload: composition, configuration, counts, then each metric's framed state (docs/state-format.md).
  void save(io::writer& w) const {
    w.string(composition());
    config_.save(w);
    for (const auto c : events_by_kind_) w.u64(c);
    rejections_.save(w);
    save_optional_time(w, watermark());
    save_optional_time(w, first_event_time());
    w.u64(merged_from_both_sides_);
    w.u32(static_cast<std::uint32_t>(sizeof...(G)));
    save_globals(w, std::index_sequence_for<G...>{});
    w.u32(static_cast<std::uint32_t>(sizeof...(R)));
    w.u64(table_.size());
    for (const auto& [id, record] : table_) customer_id_traits<Id>::save(id, w);
    (save_column<R>(w), ...);
  }

  /// Loads a state saved by an engine of the same composition. The metrics' parameters are those saved
  /// (version 2), or the default instances' (version 1 images, which saved none).
  static engine load(io::reader& r) { return load_with(r, engine{}, false); }

  /// Loads a state and checks that its configuration and parameters are those of `expected`.
  static engine load(io::reader& r, const engine_config& expected) {
    engine out = load(r);
    if (!(out.config_ == expected)) {
      io::reader::fail("engine: the state was saved with another configuration: " + out.config_.difference(expected));
    }
    return out;
  }

  /// Loads a state using `prototype`'s metric instances where the image has none (version 1), and
  /// checks saved parameters against them otherwise: throws cxm::format_error naming the parameter.
  static engine load(io::reader& r, const engine& prototype) { return load_with(r, prototype, true); }

  /// Whether two engines hold the same figures: everything `==` compares, except that per-customer
  /// floating-point sums (a metric's close(a, b, rel), such as spend's) may differ by `rel` relative,
  /// as sums added in another grouping do, and that how often merges met a customer on both sides
  /// is not compared (it records how the engine was built, not a figure). docs/guide/merging.md,
  /// "Comparing merged states".
  [[nodiscard]] bool same_figures(const engine& other, double rel = 1e-12) const {
    if (!(config_ == other.config_) || !same_parameters(other) || events_by_kind_ != other.events_by_kind_ ||
        !(rejections_ == other.rejections_) || latest_ != other.latest_ || earliest_ != other.earliest_ ||
        !(global_states_ == other.global_states_) || table_.size() != other.table_.size()) {
      return false;
    }
    for (const auto& [id, mine] : table_) {
      const record_type* theirs = other.table_.find(id);
      if (theirs == nullptr || !(close_record<R>(mine, *theirs, rel) && ...)) return false;
    }
    return true;
  }

  /// Compares the whole state: configuration, counts, global states, customers and metric parameters.
  friend bool operator==(const engine& a, const engine& b) {
    return a.config_ == b.config_ && a.events_by_kind_ == b.events_by_kind_ && a.rejections_ == b.rejections_ &&
           a.latest_ == b.latest_ && a.earliest_ == b.earliest_ &&
           a.merged_from_both_sides_ == b.merged_from_both_sides_ && a.global_states_ == b.global_states_ &&
           a.table_ == b.table_ && a.same_parameters(b);
  }

 private:
  template <class M>
  using state_of = typename detail::global_state<M>::type;

  static engine_config validated(engine_config config) {
    config.validate();
    return config;
  }

  /// One instance per record metric: the composed one when listed, a default-constructed one otherwise.
  static std::tuple<R...> record_instances(const metric_list<C...>& per_customer) {
    return std::tuple<R...>{record_instance<R>(per_customer)...};
  }
  template <class M>
  static M record_instance(const metric_list<C...>& per_customer) {
    if constexpr (detail::contains_type<M, C...>) {
      return std::get<detail::index_of<M, C...>()>(per_customer.metrics);
    } else {
      return M{};
    }
  }

  /// Hands every metric the kind registry (configure), then makes the empty global states from the
  /// configured metrics. Throws std::invalid_argument when a metric refuses the registry.
  void configure_metrics() {
    std::apply([&](auto&... m) { (detail::configure_metric(m, config_.kinds), ...); }, globals_);
    std::apply([&](auto&... m) { (detail::configure_metric(m, config_.kinds), ...); }, records_);
    global_states_ = make_global_states(std::index_sequence_for<G...>{});
  }

  template <std::size_t... I>
  std::tuple<state_of<G>...> make_global_states(std::index_sequence<I...>) const {
    return std::tuple<state_of<G>...>{make_global_state<G>(std::get<I>(globals_))...};
  }
  template <class M>
  static state_of<M> make_global_state(const M& m) {
    if constexpr (requires { typename M::state; }) {
      return m.make();
    } else {
      return {};
    }
  }

  // Validation: a fast test on the hot path; the rejection (with its message) is built only on failure.
  template <class Key>
  bool accepts(const Key& customer, timestamp time, event_kind kind, double value, checked_value& checked) const {
    if constexpr (std::is_integral_v<Id> && std::is_integral_v<std::remove_cvref_t<Key>> &&
                  !std::is_same_v<std::remove_cvref_t<Key>, Id>) {
      if (!std::in_range<Id>(customer)) return false;
    } else if (customer_id_traits<Id>::empty(customer)) {
      return false;
    }
    if (!representable(time) || time < late_before_) return false;
    return config_.kinds.accepts(kind, value, checked);  // the kind in use, its value valid
  }

  template <class Key>
  [[gnu::cold]] rejection rejection_of(const Key& customer, timestamp time, event_kind kind, double value) const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const auto ms = static_cast<double>(time.time_since_epoch().count());
    rejection out{rejection_reason::unknown_kind, "engine", "kind", nan, nan, nan};
    if constexpr (std::is_integral_v<Id> && std::is_integral_v<std::remove_cvref_t<Key>> &&
                  !std::is_same_v<std::remove_cvref_t<Key>, Id>) {
      if (!std::in_range<Id>(customer)) {
        out = rejection{rejection_reason::customer_id_out_of_range, "engine", "customer", static_cast<double>(customer),
                        static_cast<double>(std::numeric_limits<Id>::min()), static_cast<double>(std::numeric_limits<Id>::max())};
        out.detail = std::to_string(customer) + " does not fit the engine's id type " +
                     std::string(customer_id_traits<Id>::type_name) + " (" + std::to_string(std::numeric_limits<Id>::min()) +
                     ".." + std::to_string(std::numeric_limits<Id>::max()) + ")";
        return out;
      }
    } else if (customer_id_traits<Id>::empty(customer)) {
      return rejection{rejection_reason::empty_customer_id, "engine", "customer", nan, nan, nan};
    }
    const std::string who = customer_id_traits<Id>::text(customer);
    if (!representable(time)) {
      out = rejection{rejection_reason::time_out_of_range, "engine", "time", ms,
                      static_cast<double>(earliest_time.time_since_epoch().count()),
                      static_cast<double>(latest_time.time_since_epoch().count())};
      out.unit = rejection_unit::time_ms;
    } else if (!config_.kinds.in_use(kind)) {
      out = rejection{rejection_reason::unknown_kind, "engine", "kind", static_cast<double>(static_cast<unsigned>(kind)), 0,
                      static_cast<double>(config_.kinds.kinds_in_use() - 1)};
    } else if (time < late_before_) {
      out = rejection{rejection_reason::too_late, "engine", "time", ms,
                      static_cast<double>(late_before_.time_since_epoch().count()), inf};
      out.unit = rejection_unit::time_ms;
    } else {
      out = config_.kinds.rejection_of(kind, value);
    }
    out.customer = who;
    return out;
  }

  // Out of line and cold: the hot path keeps no rejection (and its strings) in its frame.
  template <class E, class Key, class Policy>
  [[gnu::noinline, gnu::cold]] void reject(const E& e, const Key& customer, timestamp time, event_kind kind, double value,
                                           Policy& on_invalid) {
    const rejection why = rejection_of(customer, time, kind, value);
    rejections_.add(why.reason);
    if constexpr (std::is_invocable_v<Policy&, const E&, const rejection&>) {
      on_invalid(e, why);
    } else {
      on_invalid(why);  // cxm::throw_on_invalid, or a policy that takes the rejection alone
    }
  }

  template <class M>
  void update_record(record_type& record, const observation& o, std::uint32_t kind_bit, bool created) const {
    const M& metric = std::get<detail::index_of<M, R...>()>(records_);
    if ((listens_of(metric).bits() & kind_bit) != 0) {
      metric.on(record.template get<M>(), o, context_for<record_type, M>(record, created, config_.kinds, o.time));
    }
  }

  template <std::size_t... I>
  void update_globals(const record_type& record, const observation& o, std::uint32_t kind_bit, bool created,
                      std::index_sequence<I...>) {
    (update_global<G>(std::get<I>(globals_), std::get<I>(global_states_), record, o, kind_bit, created), ...);
  }
  template <class M>
  void update_global(const M& metric, state_of<M>& state, const record_type& record, const observation& o,
                     std::uint32_t kind_bit, bool created) const {
    if constexpr (requires { typename M::state; }) {
      if ((listens_of(metric).bits() & kind_bit) != 0) {
        metric.on(state, o, context_for<record_type, M>(record, created, config_.kinds, o.time));
      }
    } else {
      (void)metric, (void)state, (void)record, (void)o, (void)kind_bit, (void)created;
    }
  }

  template <std::size_t... I>
  void merge_globals(const engine& other, std::index_sequence<I...>) {
    (merge_global<G>(std::get<I>(global_states_), std::get<I>(other.global_states_)), ...);
  }
  template <class M>
  static void merge_global(state_of<M>& mine, const state_of<M>& theirs) {
    if constexpr (requires { typename M::state; }) mine.merge(theirs);
  }

  template <std::size_t... I>
  auto results(timestamp as_of, std::index_sequence<I...>) const {
    return std::make_tuple(global_result<G>(std::get<I>(globals_), std::get<I>(global_states_), as_of)...);
  }
  template <class M>
  auto global_result(const M& metric, const state_of<M>& state, timestamp as_of) const {
    const report_context<M> rc(*this, as_of);
    if constexpr (requires { typename M::state; }) {
      return metric.result(state, rc);
    } else {
      (void)state;
      return metric.result(rc);
    }
  }

  template <class M>
  bool close_record(const record_type& a, const record_type& b, double rel) const {
    const M& metric = std::get<detail::index_of<M, R...>()>(records_);
    if constexpr (requires { { metric.close(a.template get<M>(), b.template get<M>(), rel) } -> std::same_as<bool>; }) {
      return metric.close(a.template get<M>(), b.template get<M>(), rel);
    } else {
      return a.template get<M>() == b.template get<M>();
    }
  }

  template <class M>
  bool saturated(const record_type& record) const {
    if constexpr (detail::reports_saturation<M>) {
      return std::get<detail::index_of<M, R...>()>(records_).saturated(record.template get<M>());
    } else {
      (void)record;
      return false;
    }
  }

  void check_parameters(const engine& other, std::string_view action) const {
    std::apply([&](const auto&... mine) {
      std::apply([&](const auto&... theirs) { (check_same_parameters(mine, theirs, action), ...); }, other.globals_);
    }, globals_);
    std::apply([&](const auto&... mine) {
      std::apply([&](const auto&... theirs) { (check_same_parameters(mine, theirs, action), ...); }, other.records_);
    }, records_);
  }
  [[nodiscard]] bool same_parameters(const engine& other) const {
    try {
      check_parameters(other, "compare");
      return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
  }

  [[nodiscard]] bool has_events() const noexcept { return latest_ != timestamp::min(); }
  void set_event_times(std::optional<timestamp> watermark, std::optional<timestamp> first_event) noexcept {
    latest_ = watermark.value_or(timestamp::min());
    earliest_ = first_event.value_or(timestamp::max());
    refresh_late_before();
  }
  void refresh_late_before() noexcept {
    lateness_ = config_.max_lateness.value_or(unbounded_lateness);
    late_before_ = has_events() ? latest_ - lateness_ : timestamp::min();
  }

  // --- saving and loading -----------------------------------------------------------------------
  /// A saved optional time of the engine: representable (1970..2106), as every accepted event time is.
  static std::optional<timestamp> load_event_time(io::reader& r, std::string_view what) {
    static const std::string range =
        "the representable range " + format_iso8601(earliest_time) + " .. " + format_iso8601(latest_time);
    return load_optional_time(r, what, earliest_time, latest_time, range);
  }

  /// Event counts by kind: none for a kind the registry does not have in use.
  void load_events_by_kind(io::reader& r) {
    for (auto& c : events_by_kind_) c = r.u64("engine: events by kind");
    for (std::size_t k = config_.kinds.kinds_in_use(); k < max_event_kinds; ++k) {
      if (events_by_kind_[k] != 0) {
        io::reader::fail("engine: events counted for " + to_string(static_cast<event_kind>(k)) + ", a kind not in use");
      }
    }
  }

  template <class M>
  static void save_frame_header(io::writer& w, const M& metric) {
    w.string(M::id);
    w.u16(M::version);
    io::writer params;
    save_parameters(metric, params);
    w.u64(params.size());
    w.raw(params.bytes());
  }
  /// Reads a frame header into `metric`: the id must be M's, the version at most M's; the parameters
  /// are read into the metric, which is then configured for the registry. Returns the saved version.
  template <class M>
  static std::uint16_t load_frame_header(io::reader& r, M& metric, const kind_registry& kinds) {
    const std::string id = r.string("engine: metric id");
    if (id != M::id) {
      io::reader::fail("engine: the state has metric '" + id + "' where this engine has '" + std::string(M::id) + "'");
    }
    const auto version = r.u16("engine: metric version");
    if (version == 0 || version > M::version) {
      io::reader::fail("engine: metric '" + id + "' was saved at version " + std::to_string(version) +
                       ", this build reads 1.." + std::to_string(M::version));
    }
    const auto length = r.length("engine: metric '" + id + "' parameters", 1);
    const auto bytes = r.raw(length, "engine: metric parameters");
    io::reader params(bytes, version);
    load_parameters(metric, params);
    params.expect_end("engine: metric '" + id + "' parameters");
    try {
      detail::configure_metric(metric, kinds);
    } catch (const std::invalid_argument& e) {
      io::reader::fail("engine: metric '" + id + "': " + e.what());
    }
    return version;
  }

  template <std::size_t... I>
  void save_globals(io::writer& w, std::index_sequence<I...>) const {
    (save_global(w, std::get<I>(globals_), std::get<I>(global_states_)), ...);
  }
  template <class M>
  static void save_global(io::writer& w, const M& metric, const state_of<M>& state) {
    save_frame_header(w, metric);
    io::writer payload;
    if constexpr (requires { typename M::state; }) state.save(payload);
    w.u64(payload.size());
    w.raw(payload.bytes());
  }

  template <class M>
  void save_column(io::writer& w) const {
    const M& metric = std::get<detail::index_of<M, R...>()>(records_);
    save_frame_header(w, metric);
    io::writer payload;
    for (const auto& [id, record] : table_) metric.save(record.template get<M>(), payload);
    w.u64(payload.size());
    w.raw(payload.bytes());
  }

  /// The fewest bytes one customer takes in a saved image: its id and every record state (each metric's
  /// empty state encodes in its minimum size), so that a customer count is bounded by the bytes present
  /// before anything is reserved for it.
  [[nodiscard]] std::size_t min_customer_bytes() const {
    io::writer w;
    (std::get<detail::index_of<R, R...>()>(records_).save(typename R::state{}, w), ...);
    return w.size() + customer_id_traits<Id>::min_encoded_size;
  }

  static engine load_with(io::reader& r, const engine& prototype, bool check_prototype) {
    engine out = r.format_version() == 1 ? load_v1(r, prototype) : load_v2(r, prototype);
    if (check_prototype) {
      if (!(out.config_ == prototype.config_)) {
        io::reader::fail("engine: the state was saved with another configuration: " +
                         out.config_.difference(prototype.config_));
      }
      out.check_metrics_fit(prototype);
    }
    return out;
  }

  static engine load_v2(io::reader& r, const engine& prototype) {
    const std::string saved = r.string("engine: composition");
    if (saved != composition()) {
      io::reader::fail("engine: the state was saved by an engine composed as '" + saved + "', this one is '" +
                       composition() + "'");
    }
    engine out = prototype.empty_copy();
    out.config_ = engine_config::load(r);
    out.load_events_by_kind(r);
    out.rejections_ = rejection_counts::load(r);
    const auto watermark = load_event_time(r, "engine: watermark");
    const auto first_event = load_event_time(r, "engine: first event time");
    if (watermark.has_value() != first_event.has_value() || (watermark && *first_event > *watermark)) {
      io::reader::fail("engine: the first and latest event times do not agree");
    }
    out.set_event_times(watermark, first_event);
    out.merged_from_both_sides_ = r.u64("engine: customers merged from both sides");
    if (r.u32("engine: global metrics") != sizeof...(G)) io::reader::fail("engine: the state has another number of global metrics");
    out.load_globals(r, std::index_sequence_for<G...>{});
    if (r.u32("engine: per-customer metrics") != sizeof...(R)) {
      io::reader::fail("engine: the state has another number of per-customer metrics");
    }
    const auto customers = r.length("engine: customers", out.min_customer_bytes());
    std::vector<Id> ids;
    ids.reserve(customers);
    out.table_.reserve(customers);
    for (std::size_t i = 0; i < customers; ++i) {
      ids.push_back(customer_id_traits<Id>::load(r));
      const std::size_t before = out.table_.size();
      out.table_.find_or_insert(ids.back());
      if (out.table_.size() == before) io::reader::fail("engine: a customer appears twice");
    }
    // The table may relocate records while it grows: take their addresses once it is complete, in the
    // saved order (a map's iteration order need not be its insertion order).
    std::vector<record_type*> records;
    records.reserve(customers);
    for (const Id& id : ids) records.push_back(&out.table_.find_or_insert(id));
    (out.template load_column<R>(r, records), ...);
    return out;
  }

  template <std::size_t... I>
  void load_globals(io::reader& r, std::index_sequence<I...>) {
    (load_global<G>(r, std::get<I>(globals_), std::get<I>(global_states_)), ...);
  }
  template <class M>
  void load_global(io::reader& r, M& metric, state_of<M>& state) {
    // The payload's reader carries the saved version: a state type that reads older layouts asks it
    // (r.format_version()), as with io::load_state.
    const auto version = load_frame_header(r, metric, config_.kinds);
    const auto length = r.length("engine: metric '" + std::string(M::id) + "' payload", 1);
    io::reader payload(r.raw(length, "engine: metric payload"), version);
    if constexpr (requires { typename M::state; }) {
      state = M::state::load(payload);
      // The state must have the metric's parameters (scale, satisfied set, ...): merging it into a
      // fresh state made from the metric throws otherwise.
      try {
        auto probe = metric.make();
        probe.merge(state);
      } catch (const std::invalid_argument& e) {
        io::reader::fail("engine: metric '" + std::string(M::id) + "': the state does not fit its parameters: " + e.what());
      }
    }
    payload.expect_end("engine: metric '" + std::string(M::id) + "' payload");
  }

  template <class M>
  void load_column(io::reader& r, const std::vector<record_type*>& records) {
    M& metric = std::get<detail::index_of<M, R...>()>(records_);
    const auto version = load_frame_header(r, metric, config_.kinds);
    const auto length = r.length("engine: metric '" + std::string(M::id) + "' payload", 1);
    io::reader payload(r.raw(length, "engine: metric payload"), version);
    for (record_type* record : records) record->template get<M>() = metric.load(payload, version);
    payload.expect_end("engine: metric '" + std::string(M::id) + "' payload");
  }

  /// A loaded engine's metric parameters must be those of the prototype it was loaded for.
  void check_metrics_fit(const engine& prototype) const {
    try {
      check_parameters(prototype, "load");
    } catch (const std::invalid_argument& e) {
      io::reader::fail(std::string("engine: ") + e.what());
    }
  }


  /// Version 1 (cxm 0.1): a composition string, the 0.1 configuration (engagement weights, which no
  /// metric read, are dropped; scales become the kind registry's), the global states in order, then
  /// one row per customer. The metric instances are the prototype's.
  static engine load_v1(io::reader& r, const engine& prototype) {
    const std::string saved = r.string("engine: composition");
    if (saved != v1_composition()) {
      io::reader::fail("engine: the state was saved by an engine composed as '" + saved + "', this one is '" +
                       v1_composition() + "'");
    }
    const engine_config config = engine_config::load_v1(r);
    engine out = prototype.empty_copy();
    out.config_ = config;
    try {
      out.configure_metrics();
    } catch (const std::invalid_argument& e) {
      io::reader::fail(std::string("engine (v1): ") + e.what());
    }
    out.load_events_by_kind(r);
    out.rejections_ = rejection_counts::load(r);
    const auto watermark = load_event_time(r, "engine: watermark");
    // 0.1 kept no first event time: the earliest first activity of any customer bounds it, when known.
    out.set_event_times(watermark, watermark ? std::optional<timestamp>(earliest_time) : std::nullopt);
    out.load_v1_globals(r, std::index_sequence_for<G...>{});
    const auto customers = r.length("engine: customers", out.min_customer_bytes());
    out.table_.reserve(customers);
    for (std::size_t i = 0; i < customers; ++i) {
      Id id = customer_id_traits<Id>::load(r);
      record_type record;
      ((record.template get<R>() = std::get<detail::index_of<R, R...>()>(out.records_).load(r, 1)), ...);
      const std::size_t before = out.table_.size();
      record_type& slot = out.table_.find_or_insert(id);
      if (out.table_.size() == before) io::reader::fail("engine: a customer appears twice");
      slot = record;
    }
    return out;
  }

  template <std::size_t... I>
  void load_v1_globals(io::reader& r, std::index_sequence<I...>) {
    (load_v1_global<G>(r, std::get<I>(globals_), std::get<I>(global_states_)), ...);
  }
  template <class M>
  static void load_v1_global(io::reader& r, const M& metric, state_of<M>& state) {
    if constexpr (requires { typename M::state; }) {
      state = M::state::load(r);
      try {
        auto probe = metric.make();
        probe.merge(state);
      } catch (const std::invalid_argument& e) {
        io::reader::fail("engine (v1): metric '" + std::string(M::id) +
                         "': the saved state does not fit this engine's metric parameters (load it with a prototype "
                         "engine whose metrics have them): " + e.what());
      }
    }
  }

  /// The 0.1 composition signature: only the metrics with a global state were saved.
  static std::string v1_composition() {
    std::string s = "id=" + std::string(customer_id_traits<Id>::type_name) + ";global=";
    std::string sep;
    ((detail::has_global_state<G> ? (s += sep + std::string(G::id), sep = ",", 0) : 0), ...);
    s += ";customer=";
    sep.clear();
    ((s += sep + std::string(R::id), sep = ","), ...);
    return s;
  }

  engine_config config_;
  std::tuple<G...> globals_;
  std::tuple<R...> records_;
  std::tuple<state_of<G>...> global_states_;
  table_type table_;
  std::array<std::uint64_t, max_event_kinds> events_by_kind_{};
  rejection_counts rejections_;
  // The latest and earliest event times seen, timestamp::min() and max() before the first event
  // (plain values: the hot path compares them without testing a flag), and the time before which an
  // event is too late (watermark − max_lateness; timestamp::min() without a bound or an event).
  // An engine without a lateness bound uses 2^62 ms (146 million years): every representable time is
  // after watermark − that, and the subtraction cannot overflow.
  static constexpr std::chrono::milliseconds unbounded_lateness{std::int64_t{1} << 62};
  static_assert(engine_config::max_lateness_bound < unbounded_lateness);
  timestamp latest_ = timestamp::min();
  timestamp earliest_ = timestamp::max();
  timestamp late_before_ = timestamp::min();
  std::chrono::milliseconds lateness_ = unbounded_lateness;
  std::uint64_t merged_from_both_sides_ = 0;
};

/// The bytes of state per customer of the default composition (checked: 96, docs/architecture.md,
/// "customer record").
inline constexpr std::size_t default_record_bytes = engine<>::record_bytes;
static_assert(default_record_bytes == 96, "the default customer record is documented as 96 bytes");

}  // namespace cxm
