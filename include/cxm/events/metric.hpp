#pragma once
/// \file
/// The metric protocols: what a metric provides to be hosted by the engine (stream/engine.hpp), for
/// metrics written inside cxm and outside it alike. docs/guide/custom-metrics.md walks through one of
/// each kind; this header is the reference.
///
/// A metric is a VALUE built with its parameters (a half-life, a threshold, a satisfied set) and handed
/// to the engine. Three kinds:
///
///   per-customer metric: its `state` lives in every customer's record.
///     using state = ...;                          trivially copyable; value-initialised = no events yet
///     static constexpr std::string_view id;       stable name, part of the saved engine
///     static constexpr std::uint16_t version;     format version of its state (and parameters)
///     kind_set listens (static constexpr member, or a const member function)
///     void on(state&, const observation&, const Context&) const;   Context: see customer_context
///     void merge(state&, const state&) const;    commutative: "latest" decided by event time
///     void save(const state&, io::writer&) const;
///     state load(io::reader&, std::uint16_t version) const;   validates every field
///   optional:
///     using depends_on = metric_list<OtherPerCustomerMetric, ...>;  read through the context
///     template <class Self, class V> static void parameters(Self& self, V& visit);  visit("name", self.field)...
///     void configure(const kind_registry&);       engine-wide facts (scales) before first use; may throw
///     auto result(const state&, const Context&) const;   the customer's figures as of context.as_of()
///     bool saturated(const state&) const;        a narrow counter reached its maximum
///     static constexpr bool exact_only_when_partitioned = true;  see "exact merges" below
///
///   global metric: one state for all customers.
///     using state = ...;    an accumulator: merge(const state&), ==, save(writer&), static load(reader&)
///     id, version, listens, on(state&, const observation&, const Context&) const as above
///     state make() const;                         an empty state with the metric's parameters
///     auto result(const state&, const report_context&) const;   its figures in the report
///   optional: depends_on (per-customer metrics it reads), parameters, configure.
///
///   report-time metric: no state; its figures are computed from the whole customer table at report
///   time (one pass, plus at most a sort).
///     id, version, optional depends_on / parameters / configure;
///     auto result(const ReportContext&) const;   ReportContext: as_of(), kinds(), for_each_customer(f)
///
/// Order of updates within one event: the per-customer metrics in record order (every metric after the
/// metrics it depends on), then the global metrics in the order they were composed. A metric's context
/// exposes only the sub-states it declared in depends_on (a compile-time error otherwise), already
/// updated with the current event, plus `created()` (whether this event created the customer's record).
///
/// Exact merges: parallel_ingest partitions events by customer, so every customer lives in one part.
/// A per-customer metric whose merge is exact only then (distinct purchase periods, say) declares
/// `exact_only_when_partitioned`; an engine merge that meets a customer on both sides counts it, and
/// the report shows that count (customers_merged_from_both_sides), so that it is never silently wrong.

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

// --- a list of metric instances ----------------------------------------------------------------------

/// A compile-time list of metric types that also holds their instances (their parameters):
///   cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{3, 4, 5}}}
template <class... Metrics>
struct metric_list {
  std::tuple<Metrics...> metrics;  ///< the instances, with their parameters
  constexpr metric_list() = default;
  /// The list of these instances.
  constexpr explicit metric_list(Metrics... m) : metrics(std::move(m)...) {}
};
/// Deduction: metric_list{m1, m2, ...}.
template <class... Metrics>
metric_list(Metrics...) -> metric_list<Metrics...>;

namespace detail {

template <class T, class... Ts>
inline constexpr bool contains_type = (std::is_same_v<T, Ts> || ...);

template <class T, class First, class... Rest>
constexpr std::size_t index_of() {
  if constexpr (std::is_same_v<T, First>) {
    return 0;
  } else {
    static_assert(sizeof...(Rest) > 0, "cxm: no such metric in this composition");
    return 1 + index_of<T, Rest...>();
  }
}

template <class M>
struct dependencies_of {
  using type = metric_list<>;
};
template <class M>
  requires requires { typename M::depends_on; }
struct dependencies_of<M> {
  using type = typename M::depends_on;
};

template <class List, class D>
struct list_contains : std::false_type {};
template <class... Ms, class D>
struct list_contains<metric_list<Ms...>, D> : std::bool_constant<contains_type<D, Ms...>> {};
/// Whether metric M declares D in its depends_on.
template <class M, class D>
inline constexpr bool declares_dependency = list_contains<typename dependencies_of<M>::type, D>::value;

template <class List, class M>
struct append_unique;
template <class... Ms, class M>
struct append_unique<metric_list<Ms...>, M> {
  using type = std::conditional_t<contains_type<M, Ms...>, metric_list<Ms...>, metric_list<Ms..., M>>;
};

/// The closure of a list of metrics under depends_on, each metric after its dependencies, each once:
/// the per-customer metrics a record must hold.
template <class Done, class... Todo>
struct closure {
  using type = Done;
};
template <class Done, class M, class... Rest>
struct closure<Done, M, Rest...> {
  template <class D, class Deps>
  struct expand;
  template <class D, class... Deps>
  struct expand<D, metric_list<Deps...>> {
    using type = typename closure<D, Deps...>::type;
  };
  using with_dependencies = typename expand<Done, typename dependencies_of<M>::type>::type;
  using type = typename closure<typename append_unique<with_dependencies, M>::type, Rest...>::type;
};

template <class... Lists>
struct concat;
template <>
struct concat<> {
  using type = metric_list<>;
};
template <class... A>
struct concat<metric_list<A...>> {
  using type = metric_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<metric_list<A...>, metric_list<B...>, Rest...> {
  using type = typename concat<metric_list<A..., B...>, Rest...>::type;
};

}  // namespace detail

/// The per-customer metrics that a record holds for per-customer metrics `C...` and the per-customer
/// dependencies of global metrics `G...`: each metric after the ones it depends on, each once.
template <class Globals, class PerCustomer>
struct record_metrics;
/// The record's metrics: `type` is a metric_list of C... and the global metrics' dependencies,
/// closed under depends_on.
template <class... G, class... C>
struct record_metrics<metric_list<G...>, metric_list<C...>> {
  /// The per-customer metrics the global metrics depend on.
  using global_dependencies = typename detail::concat<typename detail::dependencies_of<G>::type...>::type;
  template <class List>
  struct close;
  /// C... and D..., closed under depends_on.
  template <class... D>
  struct close<metric_list<D...>> {
    using type = typename detail::closure<metric_list<>, C..., D...>::type;  ///< the closure
  };
  using type = typename close<global_dependencies>::type;  ///< the per-customer metrics of the record, in update order
};

// --- parameters ---------------------------------------------------------------------------------------

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

/// One parameter's encoding: a type code (so that a changed parameter type is an error, not a
/// misread; a container's code includes its element's), then the value. A parameter's value must be
/// loadable: a metric refuses NaN or infinite doubles in its constructor or configure(). Supported: bool, integers, enums, double, durations, score_scale,
/// kind_set, std::string, and std::vector / std::array / std::optional of these.
template <class T>
struct param_codec {
  static constexpr std::uint8_t code() {
    if constexpr (std::is_same_v<T, bool>) return 1;
    else if constexpr (std::is_enum_v<T> || (std::is_integral_v<T> && std::is_signed_v<T>)) return 2;
    else if constexpr (std::is_integral_v<T>) return 10;  // unsigned: saved as u64
    else if constexpr (std::is_floating_point_v<T>) return 3;
    else if constexpr (is_duration<T>::value) return 4;
    else if constexpr (std::is_same_v<T, score_scale>) return 5;
    else if constexpr (std::is_same_v<T, kind_set>) return 6;
    else if constexpr (std::is_same_v<T, std::string>) return 7;
    // Containers carry their element's code too: {1, 2} as vector<int> never reads as vector<double>.
    else if constexpr (is_vector<T>::value) return static_cast<std::uint8_t>(0x40 | param_codec<typename T::value_type>::code());
    else if constexpr (is_std_array<T>::value) return static_cast<std::uint8_t>(0x80 | param_codec<typename T::value_type>::code());
    else if constexpr (is_optional<T>::value) return static_cast<std::uint8_t>(0xC0 | param_codec<typename T::value_type>::code());
    else static_assert(sizeof(T) == 0, "cxm: unsupported parameter type (see events/metric.hpp)");
    return 0;
  }

  static void save(io::writer& w, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      w.boolean(v);
    } else if constexpr (std::is_enum_v<T> || (std::is_integral_v<T> && std::is_signed_v<T>)) {
      w.i64(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
      w.u64(static_cast<std::uint64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      w.f64(static_cast<double>(v));
    } else if constexpr (is_duration<T>::value) {
      w.i64(static_cast<std::int64_t>(v.count()));
    } else if constexpr (std::is_same_v<T, score_scale>) {
      w.i32(v.low);
      w.i32(v.high);
    } else if constexpr (std::is_same_v<T, kind_set>) {
      w.u32(v.bits());
    } else if constexpr (std::is_same_v<T, std::string>) {
      w.string(v);
    } else if constexpr (is_vector<T>::value || is_std_array<T>::value) {
      w.u64(v.size());
      for (const auto& x : v) param_codec<std::remove_cvref_t<decltype(x)>>::save(w, x);
    } else if constexpr (is_optional<T>::value) {
      w.boolean(v.has_value());
      if (v) param_codec<typename T::value_type>::save(w, *v);
    }
  }

  static T load(io::reader& r, const std::string& what) {
    if constexpr (std::is_same_v<T, bool>) {
      return r.boolean(what);
    } else if constexpr (std::is_enum_v<T> || std::is_integral_v<T>) {
      using U = std::conditional_t<std::is_enum_v<T>, std::underlying_type<T>, std::type_identity<T>>;
      if constexpr (std::is_enum_v<T> || std::is_signed_v<T>) {
        const auto v = r.i64(what);
        if (!std::in_range<typename U::type>(v)) io::reader::fail(what + " is out of range: " + std::to_string(v));
        return static_cast<T>(v);
      } else {
        const auto v = r.u64(what);
        if (!std::in_range<T>(v)) io::reader::fail(what + " is out of range: " + std::to_string(v));
        return static_cast<T>(v);
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(r.f64(what));
    } else if constexpr (is_duration<T>::value) {
      const auto v = r.i64(what);
      if (!std::in_range<typename T::rep>(v)) io::reader::fail(what + " is out of range: " + std::to_string(v));
      return T{static_cast<typename T::rep>(v)};
    } else if constexpr (std::is_same_v<T, score_scale>) {
      score_scale s;
      s.low = r.i32(what);
      s.high = r.i32(what);
      return s;
    } else if constexpr (std::is_same_v<T, kind_set>) {
      return kind_set::from_bits(r.u32(what));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return r.string(what);
    } else if constexpr (is_vector<T>::value) {
      const auto n = r.length(what, 1);
      T out;
      for (std::size_t i = 0; i < n; ++i) out.push_back(param_codec<typename T::value_type>::load(r, what));
      return out;
    } else if constexpr (is_std_array<T>::value) {
      T out{};
      const auto n = r.u64(what);
      if (n != out.size()) io::reader::fail(what + " has " + std::to_string(n) + " elements, expected " + std::to_string(out.size()));
      for (auto& x : out) x = param_codec<std::remove_cvref_t<decltype(x)>>::load(r, what);
      return out;
    } else {
      if (!r.boolean(what)) return T{};
      return T{param_codec<typename T::value_type>::load(r, what)};
    }
  }

  static std::string text(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "true" : "false";
    } else if constexpr (std::is_enum_v<T>) {
      return std::to_string(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<T>) {
      return std::to_string(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      return detail::format_number(static_cast<double>(v));
    } else if constexpr (is_duration<T>::value) {
      return std::to_string(static_cast<std::int64_t>(v.count())) + unit_suffix();
    } else if constexpr (std::is_same_v<T, score_scale>) {
      return v.to_string();
    } else if constexpr (std::is_same_v<T, kind_set>) {
      std::string out = "{";
      for (std::size_t k = 0; k < max_event_kinds; ++k) {
        if (!v.contains(static_cast<event_kind>(k))) continue;
        if (out.size() > 1) out += ", ";
        out += to_string(static_cast<event_kind>(k));
      }
      return out + "}";
    } else if constexpr (std::is_same_v<T, std::string>) {
      return "\"" + v + "\"";
    } else if constexpr (is_vector<T>::value || is_std_array<T>::value) {
      std::string out = "{";
      for (const auto& x : v) {
        if (out.size() > 1) out += ", ";
        out += param_codec<std::remove_cvref_t<decltype(x)>>::text(x);
      }
      return out + "}";
    } else {
      return v ? param_codec<typename T::value_type>::text(*v) : std::string("none");
    }
  }

 private:
  static std::string unit_suffix() {
    using P = typename T::period;
    if constexpr (std::is_same_v<P, std::milli>) return " ms";
    else if constexpr (std::is_same_v<P, std::ratio<1>>) return " s";
    else if constexpr (std::is_same_v<P, std::ratio<60>>) return " min";
    else if constexpr (std::is_same_v<P, std::ratio<3600>>) return " h";
    else if constexpr (std::is_same_v<P, std::ratio<86400>>) return " days";
    else return " x " + std::to_string(P::num) + "/" + std::to_string(P::den) + " s";
  }
};

struct parameter_saver {
  io::writer& w;
  template <class T>
  void operator()(std::string_view name, const T& value) {
    w.string(name);
    w.u8(param_codec<T>::code());
    param_codec<T>::save(w, value);
  }
};

struct parameter_loader {
  io::reader& r;
  std::string_view metric;
  template <class T>
  void operator()(std::string_view name, T& value) {
    const std::string what = std::string(metric) + ": parameter '" + std::string(name) + "'";
    const std::string_view saved = r.string_view(what + " name", what);
    if (saved != name) {
      io::reader::fail(std::string(metric) + ": the state has parameter '" + std::string(saved) + "' where this build has '" +
                       std::string(name) + "'");
    }
    const auto code = r.u8(what + " type");
    if (code != param_codec<T>::code()) io::reader::fail(what + " has another type in the state");
    value = param_codec<T>::load(r, what);
  }
};

struct parameter_texts {
  std::vector<std::pair<std::string, std::string>> out;
  template <class T>
  void operator()(std::string_view name, const T& value) {
    out.emplace_back(std::string(name), param_codec<T>::text(value));
  }
};

}  // namespace detail

/// Whether M declares parameters.
template <class M>
concept has_parameters = requires(M& m, detail::parameter_texts& v) { M::parameters(m, v); };

/// M's parameters as (name, text) pairs, in declaration order.
template <class M>
std::vector<std::pair<std::string, std::string>> parameter_list(const M& m) {
  detail::parameter_texts texts;
  if constexpr (has_parameters<M>) M::parameters(m, texts);
  return texts.out;
}

/// Throws std::invalid_argument naming the metric and the first parameter that differs, with both values.
template <class M>
void check_same_parameters(const M& mine, const M& theirs, std::string_view action = "merge") {
  if constexpr (has_parameters<M>) {
    const auto a = parameter_list(mine), b = parameter_list(theirs);
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a[i].second != b[i].second) {
        throw std::invalid_argument("metric '" + std::string(M::id) + "': cannot " + std::string(action) +
                                    ": parameter '" + a[i].first + "' is " + a[i].second + " here and " + b[i].second +
                                    " there");
      }
    }
  } else {
    (void)mine, (void)theirs, (void)action;
  }
}

/// Writes the parameters of `m` (none when it declares none), as compared on load.
template <class M>
void save_parameters(const M& m, io::writer& w) {
  detail::parameter_saver saver{w};
  if constexpr (has_parameters<M>) M::parameters(m, saver);
}

/// Reads parameters saved by save_parameters into `m` (names and types must match this build's).
template <class M>
void load_parameters(M& m, io::reader& r) {
  detail::parameter_loader loader{r, M::id};
  if constexpr (has_parameters<M>) M::parameters(m, loader);
}

// --- the protocols as concepts ----------------------------------------------------------------------

/// What every metric has: a stable id and a format version.
template <class M>
concept named_metric = requires {
  { M::id } -> std::convertible_to<std::string_view>;
  { M::version } -> std::convertible_to<std::uint16_t>;
};

/// The kinds a metric listens to: a static constexpr `listens`, or a const member function `listens()`.
template <class M>
constexpr kind_set listens_of(const M& m) noexcept {
  if constexpr (requires { { m.listens() } -> std::convertible_to<kind_set>; }) {
    return m.listens();
  } else if constexpr (requires { { M::listens } -> std::convertible_to<kind_set>; }) {
    return M::listens;
  } else {
    (void)m;
    return kind_set{};
  }
}
template <class M>
concept listening_metric =
    requires(const M& m) { { m.listens() } -> std::convertible_to<kind_set>; } ||
    requires { { M::listens } -> std::convertible_to<kind_set>; };

/// A per-customer metric (without its update, which is checked with the engine's context).
template <class M>
concept customer_metric =
    named_metric<M> && listening_metric<M> && std::copy_constructible<M> && requires { typename M::state; } &&
    std::is_trivially_copyable_v<typename M::state> && std::equality_comparable<typename M::state> &&
    requires(const M& m, typename M::state& s, const typename M::state& cs, io::writer& w, io::reader& r) {
      m.merge(s, cs);
      m.save(cs, w);
      { m.load(r, std::uint16_t{1}) } -> std::same_as<typename M::state>;
    };

/// A global metric (without its update and result, which are checked with the engine's contexts).
template <class M>
concept global_metric =
    named_metric<M> && listening_metric<M> && std::copy_constructible<M> && requires { typename M::state; } &&
    requires(const M& m, typename M::state& s, const typename M::state& cs, io::writer& w, io::reader& r) {
      { m.make() } -> std::same_as<typename M::state>;
      s.merge(cs);
      cs.save(w);
      { M::state::load(r) } -> std::same_as<typename M::state>;
      { cs == cs } -> std::convertible_to<bool>;
    };

/// A report-time metric: no state, a result computed from the whole table at report time.
template <class M>
concept report_metric = named_metric<M> && std::copy_constructible<M> && !requires { typename M::state; };

namespace detail {
/// The checks behind the concepts, one static_assert per member, so that a malformed metric fails at
/// the point of composition with the name of what is missing.
template <class M>
consteval bool check_customer_metric() {
  static_assert(requires { M::id; }, "cxm: a per-customer metric needs `static constexpr std::string_view id`");
  static_assert(requires { M::version; }, "cxm: a per-customer metric needs `static constexpr std::uint16_t version`");
  static_assert(requires { typename M::state; }, "cxm: a per-customer metric needs a `state` type");
  static_assert(listening_metric<M>, "cxm: a per-customer metric needs `listens` (a kind_set, or listens() const)");
  static_assert(std::is_trivially_copyable_v<typename M::state>, "cxm: a per-customer metric's state must be trivially copyable");
  static_assert(std::equality_comparable<typename M::state>, "cxm: a per-customer metric's state needs ==");
  static_assert(requires(const M& m, typename M::state& s, const typename M::state& cs) { m.merge(s, cs); },
                "cxm: a per-customer metric needs `void merge(state&, const state&) const`");
  static_assert(requires(const M& m, const typename M::state& cs, io::writer& w) { m.save(cs, w); },
                "cxm: a per-customer metric needs `void save(const state&, io::writer&) const`");
  static_assert(requires(const M& m, io::reader& r) {
                  { m.load(r, std::uint16_t{1}) } -> std::same_as<typename M::state>;
                }, "cxm: a per-customer metric needs `state load(io::reader&, std::uint16_t version) const`");
  return true;
}

template <class M>
consteval bool check_global_metric() {
  if constexpr (!requires { typename M::state; }) {
    static_assert(requires { M::id; }, "cxm: a report-time metric needs `static constexpr std::string_view id`");
    static_assert(requires { M::version; }, "cxm: a report-time metric needs `static constexpr std::uint16_t version`");
  } else {
    static_assert(requires { M::id; }, "cxm: a global metric needs `static constexpr std::string_view id`");
    static_assert(requires { M::version; }, "cxm: a global metric needs `static constexpr std::uint16_t version`");
    static_assert(listening_metric<M>, "cxm: a global metric needs `listens` (a kind_set, or listens() const)");
    static_assert(requires(const M& m) { { m.make() } -> std::same_as<typename M::state>; },
                  "cxm: a global metric needs `state make() const`");
    static_assert(requires(typename M::state& s, const typename M::state& cs) { s.merge(cs); },
                  "cxm: a global metric's state needs `merge(const state&)`");
    static_assert(requires(const typename M::state& cs, io::writer& w) { cs.save(w); },
                  "cxm: a global metric's state needs `save(io::writer&) const`");
    static_assert(requires(io::reader& r) { { M::state::load(r) } -> std::same_as<typename M::state>; },
                  "cxm: a global metric's state needs `static state load(io::reader&)`");
    static_assert(std::equality_comparable<typename M::state>, "cxm: a global metric's state needs ==");
  }
  return true;
}
}  // namespace detail

// --- what a metric sees ----------------------------------------------------------------------------------

/// The context of one update: the customer's record, read-only, restricted to the declared
/// dependencies `Deps...`; whether this event created the record; the engine's kind registry.
template <class Record, class... Deps>
class customer_context {
 public:
  /// The context of one update or result, over `record`.
  constexpr customer_context(const Record& record, bool created, const kind_registry& kinds, timestamp as_of) noexcept
      : record_(&record), created_(created), kinds_(&kinds), as_of_(as_of) {}

  /// The state of dependency D (declared in depends_on), already updated with the current event.
  template <class D>
  [[nodiscard]] const typename D::state& get() const noexcept {
    static_assert(detail::contains_type<D, Deps...>, "cxm: a metric reads a sub-state it did not declare in depends_on");
    return record_->template get<D>();
  }
  /// Whether the current event created the customer's record (its first event ever in this engine).
  [[nodiscard]] constexpr bool created() const noexcept { return created_; }
  /// The engine's kind registry.
  [[nodiscard]] constexpr const kind_registry& kinds() const noexcept { return *kinds_; }
  /// The time of the current event (updates) or the evaluation time (per-customer results).
  [[nodiscard]] constexpr timestamp as_of() const noexcept { return as_of_; }

 private:
  const Record* record_;
  bool created_;
  const kind_registry* kinds_;
  timestamp as_of_;
};

namespace detail {
template <class Record, class List>
struct context_for_list;
template <class Record, class... Deps>
struct context_for_list<Record, metric_list<Deps...>> {
  using type = customer_context<Record, Deps...>;
};
}  // namespace detail

/// The context type a metric M receives for a record type.
template <class Record, class M>
using context_for = typename detail::context_for_list<Record, typename detail::dependencies_of<M>::type>::type;

}  // namespace cxm
