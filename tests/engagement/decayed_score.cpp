// The decayed engagement score (include/cxm/engagement/decayed_score.hpp): hand-worked values, the
// free decay functions, out-of-order arrival, k-way splits, 50 years of daily events against the
// closed-form geometric sum, value-scaled host kinds, parameter validation, save/load and corrupted
// states, and the metric composed into cxm::engine next to the defaults.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/engagement/decayed_score.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"
#include "support/invariants.hpp"

namespace {

using namespace std::chrono;
using cxm::decayed_engagement;
using cxm::event_kind;
using dstate = cxm::decayed_engagement::state;

constexpr std::uint32_t day_s = 86'400;
/// 2000-01-01T00:00:00Z in seconds since 1970.
constexpr std::uint32_t y2000 = 946'684'800;

/// An event for the metric alone: second, kind, value.
struct obs {
  std::uint32_t seconds;
  event_kind kind;
  double value;
};

/// A context for on() outside the engine (the metric reads nothing from it).
struct no_context {};

void feed(const decayed_engagement& m, dstate& s, const obs& x) {
  const cxm::observation o{cxm::from_seconds32(x.seconds), x.seconds, x.kind, x.value, 0};
  m.on(s, o, no_context{});
}
dstate fold(const decayed_engagement& m, const std::vector<obs>& xs) {
  dstate s{};
  for (const auto& x : xs) feed(m, s, x);
  return s;
}

/// The score at second `at` recomputed from the raw events without the metric's code: every
/// weighted event's contribution times 2^(−age/h), in long double, then decayed from the latest.
long double brute_force(const decayed_engagement& m, const std::vector<obs>& xs, std::uint32_t at) {
  long double sum = 0;
  for (const auto& x : xs) {
    const auto k = static_cast<std::size_t>(x.kind);
    if (m.weights[k] == 0.0) continue;
    const long double c = m.value_scaled[k] ? m.weights[k] * x.value : m.weights[k];
    const long double age = static_cast<long double>(at) - static_cast<long double>(x.seconds);
    sum += c * std::exp2l(-age / static_cast<long double>(m.half_life.count()));
  }
  return sum;
}

std::vector<obs> random_obs(std::mt19937_64& rng, std::size_t n, std::uint32_t from, std::uint32_t span) {
  std::vector<obs> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<event_kind>(rng() % cxm::builtin_kind_count);
    const double v = k == event_kind::purchase ? static_cast<double>(rng() % 50'000) / 100.0 : 0.0;
    out.push_back({from + static_cast<std::uint32_t>(rng() % span), k, v});
  }
  return out;
}

bool close(double a, double b, double rel = 1e-12) { return cxm::test::close(a, b, rel); }

dstate reload(const decayed_engagement& m, const dstate& s) {
  cxm::io::writer w;
  m.save(s, w);
  CHECK(w.size() == 13);
  cxm::io::reader r(w.bytes());
  const auto out = m.load(r, decayed_engagement::version);
  r.expect_end("decayed_engagement");
  return out;
}

/// A state image forged field by field.
std::vector<std::byte> image(double score, std::uint32_t t_ref, std::uint8_t flags) {
  cxm::io::writer w;
  w.f64(score);
  w.u32(t_ref);
  w.u8(flags);
  return std::move(w).bytes();
}
void load_image(const std::vector<std::byte>& bytes) {
  cxm::io::reader r(bytes);
  (void)decayed_engagement{}.load(r, 1);
}

// --- the engine ------------------------------------------------------------------------------------

using dec_engine =
    cxm::engine<std::uint64_t, cxm::default_global_metrics,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::decayed_engagement>>;

dec_engine make_engine(decayed_engagement m = {}, cxm::engine_config config = {}) {
  return dec_engine(std::move(config), cxm::default_global_metrics{},
                    cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, std::move(m)});
}

cxm::event<> ev(std::uint64_t customer, cxm::timestamp t, event_kind kind, double value = 0.0) {
  return {customer, t, kind, value};
}

}  // namespace

TEST_CASE("Decayed engagement: hand-worked values, half-life 30 days") {
  const decayed_engagement m{days{30}};
  // Visits weigh 1: one at day 0, one at day 30.
  //   day 30: 1 · 2^(−30/30) + 1 = 0.5 + 1 = 1.5;  day 60: 1.5 · 2^(−1) = 0.75;  day 90: 0.375.
  const auto s = fold(m, {{y2000, event_kind::visit, 0}, {y2000 + 30 * day_s, event_kind::visit, 0}});
  CHECK(s.t_ref == y2000 + 30 * day_s);
  CHECK(s.has_events());
  CHECK_FALSE(s.overflowed());
  const auto at = [](std::uint32_t d) { return cxm::from_seconds32(y2000 + d * day_s); };
  CHECK(m.result_at(s, at(30)).score == 1.5);   // exp2 is exact at whole half-lives
  CHECK(m.result_at(s, at(60)).score == 0.75);
  CHECK(m.result_at(s, at(90)).score == 0.375);
  CHECK_FALSE(m.result_at(s, at(60)).includes_later_events);
  CHECK(m.result_at(s, at(60)).evaluated_at == at(60));
  CHECK(m.result_at(s, at(60)).latest_event == at(30));
  // Half a half-life later: 1.5 · 2^(−1/2) = 1.06066017...
  CXM_CHECK_CLOSE(m.result_at(s, at(45)).score, 1.5 / std::sqrt(2.0));
  // A purchase (weight 3) and a referral (4) on the same day, a support contact (0.5) 30 days before:
  //   3 + 4 + 0.5 · 0.5 = 7.25 on that day.
  const auto p = fold(m, {{y2000 + 30 * day_s, event_kind::purchase, 19.9},
                          {y2000 + 30 * day_s, event_kind::referral, 0},
                          {y2000, event_kind::support_contact, 0}});
  CHECK(m.result_at(p, at(30)).score == 7.25);
  // Refunds and cancels weigh 0: ignored altogether (the state stays empty).
  CHECK(fold(m, {{y2000, event_kind::refund, 10.0}, {y2000, event_kind::cancel, 0}}) == dstate{});
  // No events: score 0, no latest event, nothing flagged.
  const auto none = m.result_at(dstate{}, at(5));
  CHECK(none == cxm::decayed_engagement_result{0.0, at(5), std::nullopt, false, false});
}

TEST_CASE("Decayed engagement: as of a time before the latest event, later events are flagged") {
  const decayed_engagement m{days{30}};
  const auto s = fold(m, {{y2000, event_kind::visit, 0}, {y2000 + 30 * day_s, event_kind::visit, 0}});
  // As of day 10: the visit of day 30 is later. The score reported is the one at day 30 (1.5), flagged,
  // with evaluated_at saying so; never the day-0 visit decayed to day 10 presented as complete.
  const auto r = m.result_at(s, cxm::from_seconds32(y2000 + 10 * day_s));
  CHECK(r.includes_later_events);
  CHECK(r.score == 1.5);
  CHECK(r.evaluated_at == cxm::from_seconds32(y2000 + 30 * day_s));
  // An as_of in the latest event's own second (times are kept to the second) is not "before": 1.5
  // decayed by 999 ms.
  const auto same_second = cxm::from_seconds32(y2000 + 30 * day_s) + milliseconds{999};
  const auto q = m.result_at(s, same_second);
  CHECK_FALSE(q.includes_later_events);
  CXM_CHECK_CLOSE(q.score, 1.5 * std::exp2(-0.999 / (30.0 * day_s)));
  // As of a time before 1970 or timestamp::min(): flagged, no overflow in the second arithmetic.
  CHECK(m.result_at(s, cxm::timestamp::min()).includes_later_events);
  CHECK(m.result_at(s, cxm::from_unix_ms(-1)).includes_later_events);
  // As of timestamp::max(): decayed to 0, finite.
  const auto far = m.result_at(s, cxm::timestamp::max());
  CHECK(far.score == 0.0);
  CHECK_FALSE(far.includes_later_events);
}

TEST_CASE("Decayed engagement: the free decay functions") {
  CHECK(cxm::decay_factor(days{30}, days{30}) == 0.5);
  CHECK(cxm::decay_factor(days{60}, days{30}) == 0.25);
  CHECK(cxm::decay_factor(milliseconds{0}, seconds{1}) == 1.0);
  CXM_CHECK_CLOSE(cxm::decay_factor(days{1}, days{30}), std::exp(-std::log(2.0) / 30.0));  // λ = ln 2 / h
  CHECK(cxm::decay_factor(milliseconds::max(), seconds{1}) == 0.0);  // underflows to 0, never NaN
  const cxm::timestamp t0 = sys_days{2020y / January / 1};
  CHECK(cxm::decayed(8.0, t0, t0 + days{90}, days{30}) == 1.0);  // 8 · 2^−3
  CHECK(cxm::decayed(8.0, cxm::timestamp::min(), cxm::timestamp::max(), seconds{1}) == 0.0);  // no overflow
  CHECK_THROWS_WITH_AS(cxm::decay_factor(days{1}, seconds{0}), "decay_factor: half_life must be > 0, got 0 s",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(cxm::decay_factor(milliseconds{-5}, days{30}), "decay_factor: elapsed must be >= 0, got -5 ms",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(cxm::decayed(1.0, t0, t0 - milliseconds{1}, days{30}),
                       "decayed: to (2019-12-31T23:59:59.999Z) is before from (2020-01-01T00:00:00Z)",
                       std::invalid_argument);
  CHECK_THROWS_AS(cxm::decayed(std::numeric_limits<double>::quiet_NaN(), t0, t0, days{30}), std::invalid_argument);
  CHECK_THROWS_AS(cxm::decayed(1.0, t0, t0, seconds{-1}), std::invalid_argument);
}

TEST_CASE("Decayed engagement: out-of-order arrival equals in-order, and the brute-force sum") {
  std::mt19937_64 rng(14);
  const decayed_engagement m{days{30}};
  for (int trial = 0; trial < 20; ++trial) {
    CAPTURE(trial);
    auto xs = random_obs(rng, 1 + rng() % 300, y2000, 3 * 365 * day_s);
    std::sort(xs.begin(), xs.end(), [](const obs& a, const obs& b) { return a.seconds < b.seconds; });
    const auto in_order = fold(m, xs);
    const auto latest = std::max_element(xs.begin(), xs.end(), [&](const obs& a, const obs& b) {
      const auto wa = m.weights[static_cast<std::size_t>(a.kind)] > 0 ? a.seconds : 0u;
      const auto wb = m.weights[static_cast<std::size_t>(b.kind)] > 0 ? b.seconds : 0u;
      return wa < wb;
    });
    if (in_order.has_events()) {
      CHECK(in_order.t_ref == latest->seconds);
      CHECK(close(in_order.score, static_cast<double>(brute_force(m, xs, in_order.t_ref))));
    }
    for (int p = 0; p < 10; ++p) {
      std::shuffle(xs.begin(), xs.end(), rng);
      const auto shuffled = fold(m, xs);
      CHECK(shuffled.t_ref == in_order.t_ref);
      CHECK(shuffled.flags == in_order.flags);
      CHECK(close(shuffled.score, in_order.score));
      CHECK(m.close(shuffled, in_order, 1e-12));
    }
    // Reversed (every event older than the reference): the same sum.
    std::sort(xs.begin(), xs.end(), [](const obs& a, const obs& b) { return a.seconds > b.seconds; });
    CHECK(m.close(fold(m, xs), in_order, 1e-12));
  }
}

TEST_CASE("Decayed engagement: a k-way split merged in random order equals one pass; merge commutes") {
  std::mt19937_64 rng(2026);
  const decayed_engagement m{days{7}};
  const auto xs = random_obs(rng, 2000, y2000, 2 * 365 * day_s);
  const auto whole = fold(m, xs);
  REQUIRE(whole.has_events());
  CHECK(close(whole.score, static_cast<double>(brute_force(m, xs, whole.t_ref))));
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t k = 1 + rng() % 16;
    std::vector<dstate> parts(k);
    for (const auto& x : xs) feed(m, parts[rng() % k], x);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    dstate merged{};
    for (const auto i : order) m.merge(merged, parts[i]);
    CAPTURE(k);
    CHECK(merged.t_ref == whole.t_ref);
    CHECK(merged.flags == whole.flags);
    CHECK(close(merged.score, whole.score));
    // Associativity: (a ⊕ b) ⊕ c ≈ a ⊕ (b ⊕ c) for the first three parts (empty ones included).
    if (k >= 3) {
      auto ab = parts[0];
      m.merge(ab, parts[1]);
      m.merge(ab, parts[2]);
      auto bc = parts[1];
      m.merge(bc, parts[2]);
      auto a = parts[0];
      m.merge(a, bc);
      CHECK(m.close(ab, a, 1e-12));
    }
  }
  // Commutativity, bit for bit: a ⊕ b == b ⊕ a.
  dstate a{}, b{};
  for (const auto& x : xs) feed(m, (rng() % 2 == 0) ? a : b, x);
  auto ab = a, ba = b;
  m.merge(ab, b);
  m.merge(ba, a);
  CHECK(ab == ba);
  // The empty state is the identity on both sides.
  auto e = dstate{};
  m.merge(e, whole);
  CHECK(e == whole);
  auto w = whole;
  m.merge(w, dstate{});
  CHECK(w == whole);
}

TEST_CASE("Decayed engagement: 50 years of daily events, no overflow or NaN, the closed-form geometric sum") {
  // One visit (weight 1) a day for N days from 2000-01-01, half-life 30 days: on the last day
  //   S = Σ_{j=0}^{N−1} r^j = (1 − r^N) / (1 − r),  r = 2^(−1/30).
  const decayed_engagement m{days{30}};
  const std::uint32_t n = 50 * 365 + 12;  // 18262 days: 2000-01-01 .. 2049-12-31 (12 leap days)
  std::vector<obs> xs;
  for (std::uint32_t d = 0; d < n; ++d) xs.push_back({y2000 + d * day_s, event_kind::visit, 0});
  const double r = std::exp2(-1.0 / 30.0);
  const double closed = (1.0 - std::pow(r, static_cast<double>(n))) / (1.0 - r);  // ≈ 43.78
  const auto last_day = cxm::from_seconds32(y2000 + (n - 1) * day_s);
  const auto forward = fold(m, xs);
  CHECK(std::isfinite(forward.score));
  CXM_CHECK_CLOSE(m.result_at(forward, last_day).score, closed);
  std::reverse(xs.begin(), xs.end());
  const auto backward = fold(m, xs);
  CXM_CHECK_CLOSE(m.result_at(backward, last_day).score, closed);
  // 56 years of silence later (2106): 43.78 · 2^(−56·365.25/30) underflows to a tiny finite value or 0.
  const auto later = m.result_at(forward, cxm::latest_time);
  CHECK(std::isfinite(later.score));
  CHECK(later.score >= 0.0);
  CHECK(later.score < 1e-200);
  // A half-life of one second: every earlier day has decayed to exactly 0, the last visit counts 1.
  const decayed_engagement fast{seconds{1}};
  CHECK(fast.result_at(fold(fast, xs), last_day).score == 1.0);
  // A half-life of 100 years: hardly any decay, the sum stays near n.
  const decayed_engagement slow{days{36'525}};
  const double rs = std::exp2(-1.0 / 36'525.0);
  CXM_CHECK_CLOSE(slow.result_at(fold(slow, xs), last_day).score, (1.0 - std::pow(rs, static_cast<double>(n))) / (1.0 - rs));
}

TEST_CASE("Decayed engagement: overflowing contributions are clamped and flagged, never infinite") {
  auto m = decayed_engagement{days{30}}.weight(cxm::host_kind(0), 4.0, true);
  dstate s{};
  feed(m, s, {y2000, cxm::host_kind(0), std::numeric_limits<double>::max()});  // 4 · max = inf
  CHECK(s.overflowed());
  CHECK(s.score == std::numeric_limits<double>::max());
  feed(m, s, {y2000 + 1, cxm::host_kind(0), std::numeric_limits<double>::max()});
  CHECK(std::isfinite(s.score));
  const auto r = m.result_at(s, cxm::from_seconds32(y2000 + day_s));
  CHECK(r.overflowed);
  CHECK(std::isfinite(r.score));
  // The flag survives merges and a reload.
  dstate other{};
  feed(m, other, {y2000, event_kind::visit, 0});
  m.merge(other, s);
  CHECK(other.overflowed());
  CHECK(reload(m, other) == other);
}

TEST_CASE("Decayed engagement: a host kind's value scales its weight") {
  // host_kind(0) "points earned" (an amount), weight 0.01 per point; host_kind(1) a plain kind of weight 2.
  cxm::engine_config config;
  config.kinds.declare_host_kinds(2);
  config.kinds.set(cxm::host_kind(0), cxm::value_kind::amount);
  auto metric = decayed_engagement{days{30}}.weight(cxm::host_kind(0), 0.01, true).weight(cxm::host_kind(1), 2.0);
  auto e = make_engine(metric, config);
  const cxm::timestamp t0 = sys_days{2025y / March / 1};
  e.add(ev(1, t0, cxm::host_kind(0), 500.0));              // 0.01 · 500 = 5
  e.add(ev(1, t0 + days{30}, cxm::host_kind(0), 300.0));   // 5 · 0.5 + 3 = 5.5
  e.add(ev(2, t0, cxm::host_kind(1), 123.0));              // value ignored: 2
  e.add(ev(2, t0, event_kind::purchase, 1000.0));          // purchase is not value-scaled: 3
  CHECK(e.customer(1u)->result<decayed_engagement>(t0 + days{30}).score == 5.5);
  CHECK(e.customer(2u)->result<decayed_engagement>(t0).score == 5.0);
  CHECK(e.customer(2u)->result<decayed_engagement>(t0 + days{60}).score == 1.25);  // 5 · 2^−2
  CHECK(metric.contribution(cxm::host_kind(0), 250.0) == 2.5);
  CHECK(metric.contribution(event_kind::purchase, 250.0) == 3.0);

  // A value-scaled kind that carries no value, or a quantity (possibly negative), is refused.
  cxm::engine_config no_value;
  no_value.kinds.declare_host_kinds(1);
  CHECK_THROWS_WITH_AS(make_engine(decayed_engagement{}.weight(cxm::host_kind(0), 1.0, true), no_value),
                       "metric 'decayed_engagement': parameter 'value_scaled': host_kind_0 carries none in the kind "
                       "registry; a value-scaled kind must carry an amount (or a score on a scale starting at 0 or above)",
                       std::invalid_argument);
  cxm::engine_config quantity;
  quantity.kinds.declare_host_kinds(1);
  quantity.kinds.set(cxm::host_kind(0), cxm::value_kind::quantity);
  CHECK_THROWS_AS(make_engine(decayed_engagement{}.weight(cxm::host_kind(0), 1.0, true), quantity), std::invalid_argument);
  // A score on a scale from 0 is fine: an NPS answer counting 0.1 per point.
  auto by_score = make_engine(decayed_engagement{}.weight(event_kind::nps_answer, 0.1, true));
  by_score.add(ev(3, t0, event_kind::nps_answer, 9));
  CXM_CHECK_CLOSE(by_score.customer(3u)->result<decayed_engagement>(t0).score, 0.9);
  // ... but not one whose scale reaches below 0.
  cxm::engine_config negative_scale;
  negative_scale.kinds.set_scale(event_kind::csat_answer, {-2, 2});
  CHECK_THROWS_AS(make_engine(decayed_engagement{}.weight(event_kind::csat_answer, 1.0, true), negative_scale),
                  std::invalid_argument);
}

TEST_CASE("Decayed engagement: invalid parameters are refused, naming the parameter") {
  CHECK_THROWS_WITH_AS(decayed_engagement{seconds{0}},
                       "metric 'decayed_engagement': parameter 'half_life' must be > 0, got 0 s", std::invalid_argument);
  CHECK_THROWS_AS(decayed_engagement{seconds{-86'400}}, std::invalid_argument);
  auto w = decayed_engagement::default_weights();
  w[static_cast<std::size_t>(event_kind::visit)] = -1.0;
  CHECK_THROWS_WITH_AS((decayed_engagement{days{30}, w}),
                       "metric 'decayed_engagement': parameter 'weights': the weight of visit must be finite and >= 0, "
                       "got -1",
                       std::invalid_argument);
  w[static_cast<std::size_t>(event_kind::visit)] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS((decayed_engagement{days{30}, w}), std::invalid_argument);
  w[static_cast<std::size_t>(event_kind::visit)] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS((decayed_engagement{days{30}, w}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(decayed_engagement{}.weight(cxm::host_kind(3), -0.5),
                       "metric 'decayed_engagement': parameter 'weights': the weight of host_kind_3 must be finite and "
                       ">= 0, got -0.5",
                       std::invalid_argument);
  CHECK_THROWS_AS(decayed_engagement{}.weight(cxm::host_kind(25), 1.0), std::invalid_argument);  // not a kind
  // Fields set directly are checked when the engine configures the metric.
  decayed_engagement direct;
  direct.half_life = seconds{-1};
  CHECK_THROWS_WITH_AS(make_engine(direct), "metric 'decayed_engagement': parameter 'half_life' must be > 0, got -1 s",
                       std::invalid_argument);
  decayed_engagement add_only;
  dstate s{};
  CHECK_THROWS_AS(add_only.add(s, y2000, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(add_only.add(s, y2000, std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK(s == dstate{});
  add_only.add(s, y2000, 2.0);
  CHECK(s == dstate{2.0, y2000, decayed_engagement::flag_events});
  // The documented defaults.
  CHECK(decayed_engagement{}.half_life == days{30});
  CHECK(decayed_engagement{}.weights[static_cast<std::size_t>(event_kind::referral)] == 4.0);
  CHECK(decayed_engagement{}.weights[static_cast<std::size_t>(cxm::host_kind(0))] == 0.0);
}

TEST_CASE("Decayed engagement: save -> load gives the same state; corrupted fields are a format_error") {
  std::mt19937_64 rng(99);
  const decayed_engagement m{days{30}};
  CHECK(reload(m, dstate{}) == dstate{});
  for (int i = 0; i < 50; ++i) {
    const auto s = fold(m, random_obs(rng, 1 + rng() % 50, y2000, 365 * day_s));
    CHECK(reload(m, s) == s);
  }
  const auto s = fold(m, {{y2000, event_kind::visit, 0}});
  cxm::io::writer w;
  m.save(s, w);
  // Every truncation.
  for (std::size_t n = 0; n < w.size(); ++n) {
    const std::vector<std::byte> cut(w.bytes().begin(), w.bytes().begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS(load_image(cut), cxm::format_error);
  }
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(load_image(image(nan, y2000, 1)), cxm::format_error);
  CHECK_THROWS_AS(load_image(image(inf, y2000, 1)), cxm::format_error);
  CHECK_THROWS_WITH_AS(load_image(image(-1.0, y2000, 1)), "decayed_engagement: score is negative (-1.000000)",
                       cxm::format_error);
  CHECK_THROWS_WITH_AS(load_image(image(-0.0, y2000, 1)), "decayed_engagement: score is -0", cxm::format_error);
  CHECK_THROWS_WITH_AS(load_image(image(1.0, y2000, 4)), "decayed_engagement: flags 4 has unknown bits",
                       cxm::format_error);
  CHECK_THROWS_AS(load_image(image(1.0, y2000, 0)), cxm::format_error);  // a score without events
  CHECK_THROWS_AS(load_image(image(0.0, y2000, 0)), cxm::format_error);  // a time without events
  CHECK_THROWS_AS(load_image(image(0.0, 0, 2)), cxm::format_error);      // overflowed without events
  // Valid corner states load: events of total contribution 0, an overflowed maximum, the last second.
  load_image(image(0.0, y2000, 1));
  load_image(image(std::numeric_limits<double>::max(), 0xFFFFFFFFu, 3));
}

TEST_CASE("Decayed engagement in the engine: hand-worked values next to the defaults") {
  // The record: the default 96 bytes plus 16 (double, u32, u8 and padding).
  static_assert(sizeof(dstate) == 16);
  static_assert(std::is_trivially_copyable_v<dstate>);
  static_assert(dec_engine::record_bytes == 96 + 16);
  auto e = make_engine();  // half-life 30 days, default weights
  const cxm::timestamp t0 = sys_days{2026y / January / 1};
  e.add(ev(1, t0, event_kind::visit));
  e.add(ev(1, t0 + days{30}, event_kind::visit));
  e.add(ev(2, t0 + days{30}, event_kind::purchase, 50.0));
  e.add(ev(2, t0, event_kind::referral));                  // out of order: 4 · 0.5 = 2 at day 30
  e.add(ev(3, t0, event_kind::cancel));                    // weight 0
  const auto day = [&](int d) { return t0 + days{d}; };
  CHECK(e.customer(1u)->result<decayed_engagement>(day(30)).score == 1.5);  // 0.5 + 1
  CHECK(e.customer(1u)->result<decayed_engagement>(day(60)).score == 0.75);
  CHECK(e.customer(2u)->result<decayed_engagement>(day(30)).score == 5.0);  // 3 + 2
  CHECK(e.customer(2u)->result<decayed_engagement>(day(90)).score == 1.25);
  const auto early = e.customer(2u)->result<decayed_engagement>(day(10));
  CHECK(early.includes_later_events);
  CHECK(early.evaluated_at == day(30));
  const auto c3 = e.customer(3u)->result<decayed_engagement>(day(30));
  CHECK(c3.score == 0.0);
  CHECK_FALSE(c3.latest_event.has_value());
  // The defaults still compute what they did.
  CHECK(e.customer(2u)->result<cxm::spend>(day(30)).purchase_amount == 50.0);
  CHECK(e.report(day(30)).customers == 3);
}

TEST_CASE("Decayed engagement in the engine: splits and merges equal one pass and the brute-force sum") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 1'000;
  spec.host_kinds = 2;
  const auto events = cxm::test::random_stream(spec);  // shuffled: out of time order
  const auto metric = decayed_engagement{days{14}}.weight(cxm::host_kind(1), 1.5);
  const auto config = cxm::test::config_for(spec);
  auto whole = make_engine(metric, config);
  whole.add(events);

  // Per customer, from the raw events.
  std::map<std::uint64_t, std::vector<obs>> by_customer;
  for (const auto& x : events) {
    const auto seconds = static_cast<std::uint32_t>(x.time.time_since_epoch().count() / 1000);
    by_customer[x.customer].push_back({seconds, x.kind, x.value});
  }
  const auto as_of = spec.to + days{3};
  const auto as_of_s = static_cast<std::uint32_t>(as_of.time_since_epoch().count() / 1000);
  std::size_t wrong = 0;
  for (const auto& [id, xs] : by_customer) {
    const auto r = whole.customer(id)->result<decayed_engagement>(as_of);
    if (r.includes_later_events || r.overflowed || !close(r.score, static_cast<double>(brute_force(metric, xs, as_of_s)))) {
      ++wrong;
    }
  }
  CHECK(wrong == 0);

  std::mt19937_64 rng(5);
  for (std::size_t k : {2u, 5u, 16u}) {
    CAPTURE(k);
    // Split by customer (as parallel_ingest does) and at random (customers on both sides): both exact.
    for (bool by_id : {true, false}) {
      std::vector<dec_engine> parts(k, make_engine(metric, config));
      for (const auto& x : events) parts[by_id ? x.customer % k : rng() % k].add(x);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::shuffle(order.begin(), order.end(), rng);
      auto merged = make_engine(metric, config);
      for (const auto i : order) merged.merge(parts[i]);
      CHECK(merged.same_figures(whole, 1e-12));
    }
  }
  // Commutativity.
  auto a = make_engine(metric, config), b = make_engine(metric, config);
  for (const auto& x : events) (rng() % 2 == 0 ? a : b).add(x);
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  CHECK(ab == ba);
}

TEST_CASE("Decayed engagement in the engine: save -> load, save -> load -> continue, parameter mismatches") {
  cxm::test::stream_spec spec;
  spec.events = 5'000;
  spec.customers = 400;
  spec.host_kinds = 0;
  const auto events = cxm::test::random_stream(spec);
  const auto metric = decayed_engagement{days{10}}.weight(event_kind::refund, 0.25);
  auto whole = make_engine(metric);
  whole.add(events);
  const auto saved = cxm::io::save_state(whole);
  const auto loaded = cxm::io::load_state<dec_engine>(saved);
  CHECK(loaded == whole);
  CHECK(loaded.metric<decayed_engagement>().half_life == days{10});
  CHECK(loaded.metric<decayed_engagement>().weights == metric.weights);

  auto first = make_engine(metric);
  const std::size_t cut = events.size() / 3;
  for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
  auto resumed = cxm::io::load_state<dec_engine>(cxm::io::save_state(first));
  for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
  CHECK(resumed == whole);

  // Merging engines of other half-lives is an error naming the parameter, with both values.
  auto thirty = make_engine(), one = make_engine(decayed_engagement{days{1}});
  CHECK_THROWS_WITH_AS(thirty.merge(one),
                       "metric 'decayed_engagement': cannot merge: parameter 'half_life' is 2592000 s here and 86400 s there",
                       std::invalid_argument);
  auto scaled = make_engine(decayed_engagement{}.weight(event_kind::purchase, 3.0, true));
  CHECK_THROWS_AS(thirty.merge(scaled), std::invalid_argument);  // value_scaled differs
  // Loading into a prototype with another half-life: a format_error naming the parameter.
  const auto body = std::span(saved).subspan(cxm::io::state_header_size,
                                             saved.size() - cxm::io::state_header_size - cxm::io::state_trailer_size);
  cxm::io::reader payload{body, dec_engine::format_version};
  CHECK_THROWS_WITH_AS((void)dec_engine::load(payload, thirty),
                       "engine: metric 'decayed_engagement': cannot load: parameter 'half_life' is 864000 s here and "
                       "2592000 s there",
                       cxm::format_error);

  // A saved half-life of −1 s (forged, CRC recomputed) is refused at load.
  auto forged = saved;
  const std::string needle = std::string("\x09\0\0\0\0\0\0\0", 8) + "half_life";
  const auto at = std::search(forged.begin(), forged.end(), needle.begin(), needle.end(),
                              [](std::byte x, char c) { return std::to_integer<char>(x) == c; });
  REQUIRE(at != forged.end());
  const auto value_at = static_cast<std::size_t>(at - forged.begin()) + needle.size() + 1;  // after the type code
  for (std::size_t i = 0; i < 8; ++i) forged[value_at + i] = std::byte{0xFF};               // i64 −1
  const auto payload_end = forged.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(forged).first(payload_end));
  for (std::size_t i = 0; i < 4; ++i) forged[payload_end + i] = std::byte{static_cast<unsigned char>(crc >> (8 * i))};
  CHECK_THROWS_WITH_AS((void)cxm::io::load_state<dec_engine>(forged),
                       "engine: metric 'decayed_engagement': metric 'decayed_engagement': parameter 'half_life' must be "
                       "> 0, got -1 s",
                       cxm::format_error);
}
