// Tests for the engine's bad-input policy (DESIGN.md, "Bad input"; engine.hpp): every kind of invalid
// event, under throw_invalid_events (the default: cxm::invalid_event naming field, value and allowed
// range) and skip_invalid_events{callback} (not folded in, counted by reason in report().rejected, the
// callback receives the original event and the rejection). Either way the engine's events and
// customers are unchanged apart from the rejection count.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"

namespace {

using cxm::event_kind;
using cxm::rejection_reason;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::int64_t t_ms = 1'700'000'123'456;  // 2023-11-14T22:15:23.456Z
const cxm::timestamp t = cxm::from_unix_ms(t_ms);

/// The report fields an invalid event must not change.
template <class Report>
void same_apart_from_rejections(const Report& a, const Report& b) {
  CHECK(a.events == b.events);
  CHECK(a.events_by_kind == b.events_by_kind);
  CHECK(a.customers == b.customers);
  CHECK(a.active_customers == b.active_customers);
  CHECK(a.saturated_customers == b.saturated_customers);
  std::apply([&](const auto&... x) { std::apply([&](const auto&... y) { (cxm::test::same_result(x, y), ...); }, b.metrics); },
             a.metrics);
}

/// Feeds `bad` to copies of `before` under each policy and checks what each policy promises.
/// Returns the message of the exception.
template <class Engine, class E>
std::string check_rejected(const Engine& before, const E& bad, rejection_reason reason,
                           std::initializer_list<std::string_view> message_parts) {
  const auto r0 = before.report(t);
  std::string message = "(no exception)";
  {
    // Default policy: throws cxm::invalid_event, counts the rejection, folds nothing in.
    Engine e = before;
    try {
      e.add(bad);
    } catch (const cxm::invalid_event& x) {
      message = x.what();
    }
    for (const auto part : message_parts) {
      CHECK_MESSAGE(message.find(part) != std::string::npos, "'", message, "' does not name '", part, "'");
    }
    const auto r = e.report(t);
    same_apart_from_rejections(r, r0);
    CHECK(r.rejected[reason] == r0.rejected[reason] + 1);
    CHECK(r.rejected.total == r0.rejected.total + 1);
    CHECK(e.customers() == before.customers());
  }
  {
    // skip_invalid_events{callback}: returns false, counts it, hands the original event over.
    Engine e = before;
    std::vector<const E*> received;
    std::vector<cxm::rejection> rejections;
    const bool folded = e.add(bad, cxm::traits_projection{}, cxm::skip_invalid_events{[&](const E& x, const cxm::rejection& why) {
                                received.push_back(&x);
                                rejections.push_back(why);
                              }});
    CHECK_FALSE(folded);
    REQUIRE(received.size() == 1);
    CHECK(received[0] == &bad);  // the host's own object, not a copy
    CHECK(rejections[0].reason == reason);
    CHECK(rejections[0].message() == message);
    const auto r = e.report(t);
    same_apart_from_rejections(r, r0);
    CHECK(r.rejected[reason] == r0.rejected[reason] + 1);
    CHECK(r.rejected.total == r0.rejected.total + 1);
    CHECK(e.customers() == before.customers());
  }
  return message;
}

/// An engine with some history: customers 1 and 2, a purchase and an answer of each survey.
cxm::engine<> engine_with_history(cxm::engine_config config = {}) {
  cxm::engine<> e(std::move(config));
  e.add(cxm::event<>{1, t - std::chrono::hours{2}, event_kind::purchase, 10.0});
  e.add(cxm::event<>{1, t - std::chrono::hours{2}, event_kind::nps_answer, 9});
  e.add(cxm::event<>{2, t - std::chrono::hours{3}, event_kind::csat_answer, 4});
  e.add(cxm::event<>{2, t - std::chrono::hours{3}, event_kind::ces_answer, 6});
  return e;
}

}  // namespace

TEST_CASE("An empty string id is rejected as empty_customer_id under both policies") {
  cxm::engine<std::string> before;
  before.add(cxm::event<std::string>{"alice", t, event_kind::visit, 0.0});
  const cxm::event<std::string> bad{"", t, event_kind::visit, 0.0};
  const auto message = check_rejected(before, bad, rejection_reason::empty_customer_id, {"customer", "empty"});
  CHECK(message == "engine: customer is empty");
}

TEST_CASE("A nil UUID is rejected as empty_customer_id under both policies") {
  cxm::engine<cxm::uuid> before;
  cxm::uuid someone;
  someone.bytes[3] = 7;
  before.add(cxm::event<cxm::uuid>{someone, t, event_kind::visit, 0.0});
  check_rejected(before, cxm::event<cxm::uuid>{cxm::uuid{}, t, event_kind::purchase, 5.0},
                 rejection_reason::empty_customer_id, {"customer", "empty"});
}

TEST_CASE("An integer id that does not fit the engine's id type is rejected as customer_id_out_of_range") {
  // A host with 64-bit signed ids feeding an engine keyed by 32-bit unsigned ids.
  cxm::engine<std::uint32_t> before;
  before.add(cxm::event<std::int64_t>{7, t, event_kind::visit, 0.0});
  const auto message = check_rejected(before, cxm::event<std::int64_t>{-1, t, event_kind::visit, 0.0},
                                      rejection_reason::customer_id_out_of_range, {"customer", "-1", "0..4294967295"});
  CHECK(message == "engine: customer -1 does not fit the engine's id type (0..4294967295)");
  // 2^40 = 1 099 511 627 776 would wrap to 0 if it were cast; it is rejected instead.
  check_rejected(before, cxm::event<std::int64_t>{std::int64_t{1} << 40, t, event_kind::visit, 0.0},
                 rejection_reason::customer_id_out_of_range, {"customer", "1099511627776", "0..4294967295"});
  auto e = before;
  CHECK(e.add(cxm::event<std::int64_t>{4'294'967'295, t, event_kind::visit, 0.0}));
  CHECK(e.find(std::uint32_t{4'294'967'295}) != nullptr);
  CHECK(e.find(std::uint32_t{0}) == nullptr);
}

TEST_CASE("A time before 1970 or after 2106-02-07T06:28:15.999 is rejected as time_out_of_range") {
  const auto before = engine_with_history();
  SUBCASE("one millisecond before 1970") {
    const auto message = check_rejected(before, cxm::event<>{1, cxm::from_unix_ms(-1), event_kind::visit, 0.0},
                                        rejection_reason::time_out_of_range, {"time", "-1", "0..4294967295999"});
    CHECK(message == "engine: time (ms since 1970) -1 is outside the representable range 0..4294967295999");
  }
  SUBCASE("one millisecond after 2106-02-07T06:28:15.999") {
    check_rejected(before, cxm::event<>{1, cxm::latest_time + std::chrono::milliseconds{1}, event_kind::visit, 0.0},
                   rejection_reason::time_out_of_range, {"time", "4294967296000", "0..4294967295999"});
  }
  SUBCASE("the year 1900, for a new customer") {
    check_rejected(before, cxm::event<>{99, cxm::timestamp{std::chrono::sys_days{std::chrono::year{1900} / 1 / 1}},
                                        event_kind::signup, 0.0},
                   rejection_reason::time_out_of_range, {"time", "0..4294967295999"});
  }
  // The ends of the range themselves are accepted.
  auto e = before;
  CHECK(e.add(cxm::event<>{3, cxm::earliest_time, event_kind::visit, 0.0}));
  CHECK(e.add(cxm::event<>{3, cxm::latest_time, event_kind::visit, 0.0}));
  CHECK(e.find(3u)->get<cxm::activity>().first_seen == 0u);
  CHECK(e.find(3u)->get<cxm::activity>().last_seen == 0xFFFFFFFFu);
}

TEST_CASE("A kind beyond the configured host kinds, or beyond 31, is rejected as unknown_kind") {
  cxm::engine_config two_host_kinds;
  two_host_kinds.host_kinds = 2;  // kinds 0..13 are in use
  const auto before = engine_with_history(two_host_kinds);
  SUBCASE("host_kind(2), one past the configured ones") {
    const auto message = check_rejected(before, cxm::event<>{1, t, cxm::host_kind(2), 0.0},
                                        rejection_reason::unknown_kind, {"kind", "14", "0..13"});
    CHECK(message == "engine: kind 14 is not a kind in use (allowed 0..13)");
  }
  SUBCASE("kind 32, beyond every kind a kind_set can hold") {
    check_rejected(before, cxm::event<>{1, t, static_cast<event_kind>(32), 0.0}, rejection_reason::unknown_kind,
                   {"kind", "32", "0..13"});
  }
  SUBCASE("kind 255") {
    check_rejected(before, cxm::event<>{5, t, static_cast<event_kind>(255), 0.0}, rejection_reason::unknown_kind,
                   {"kind", "255", "0..13"});
  }
  SUBCASE("host_kind(20), beyond the 20 host kinds there are") {
    CHECK(static_cast<int>(cxm::host_kind(20)) == 0xFF);
    check_rejected(before, cxm::event<>{1, t, cxm::host_kind(20), 0.0}, rejection_reason::unknown_kind,
                   {"kind", "255", "0..13"});
  }
  SUBCASE("host_kind(0) in an engine configured with no host kinds") {
    check_rejected(engine_with_history(), cxm::event<>{1, t, cxm::host_kind(0), 0.0}, rejection_reason::unknown_kind,
                   {"kind", "12", "0..11"});
  }
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t, cxm::host_kind(1), 0.0}));  // the last configured host kind is fine
}

TEST_CASE("A NaN, infinite or negative purchase or refund amount is rejected") {
  const auto before = engine_with_history();
  for (const auto kind : {event_kind::purchase, event_kind::refund}) {
    CAPTURE(cxm::to_string(kind));
    const auto message = check_rejected(before, cxm::event<>{1, t, kind, not_a_number}, rejection_reason::amount_not_finite,
                                        {"amount", "nan", ">= 0"});
    CHECK(message == "engine: amount nan is not finite (allowed: a finite number >= 0)");
    check_rejected(before, cxm::event<>{1, t, kind, inf}, rejection_reason::amount_not_finite, {"amount", "inf", ">= 0"});
    check_rejected(before, cxm::event<>{7, t, kind, -inf}, rejection_reason::amount_not_finite, {"amount", "-inf"});
    const auto negative = check_rejected(before, cxm::event<>{1, t, kind, -0.01}, rejection_reason::amount_negative,
                                         {"amount", "-0.01", ">= 0"});
    CHECK(negative == "engine: amount -0.01 is negative (allowed: a finite number >= 0)");
  }
  // Zero is a valid amount.
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t, event_kind::refund, 0.0}));
}

TEST_CASE("An answer score outside its scale, not an integer, or NaN is rejected as score_out_of_scale") {
  const auto before = engine_with_history();
  SUBCASE("NPS 0..10") {
    const auto message = check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, 11},
                                        rejection_reason::score_out_of_scale, {"nps score", "11", "0..10"});
    CHECK(message == "engine: nps score 11 is outside the scale 0..10");
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, -1}, rejection_reason::score_out_of_scale,
                   {"nps score", "-1", "0..10"});
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, 7.5}, rejection_reason::score_out_of_scale,
                   {"nps score", "7.5", "0..10"});
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, not_a_number}, rejection_reason::score_out_of_scale,
                   {"nps score", "nan", "0..10"});
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, inf}, rejection_reason::score_out_of_scale,
                   {"nps score", "inf", "0..10"});
  }
  SUBCASE("CSAT 1..5") {
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, 0}, rejection_reason::score_out_of_scale,
                   {"csat score", "0", "1..5"});
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, 6}, rejection_reason::score_out_of_scale,
                   {"csat score", "6", "1..5"});
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, 4.5}, rejection_reason::score_out_of_scale,
                   {"csat score", "4.5", "1..5"});
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, not_a_number}, rejection_reason::score_out_of_scale,
                   {"csat score", "nan", "1..5"});
  }
  SUBCASE("CES 1..7") {
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 0}, rejection_reason::score_out_of_scale,
                   {"ces score", "0", "1..7"});
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 8}, rejection_reason::score_out_of_scale,
                   {"ces score", "8", "1..7"});
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 1.25}, rejection_reason::score_out_of_scale,
                   {"ces score", "1.25", "1..7"});
  }
  SUBCASE("a configured CSAT scale 0..10 accepts 0 and 10 and rejects 11") {
    cxm::engine_config c;
    c.csat_scale = {0, 10};
    c.csat_satisfied = {9, 10};
    const auto custom = engine_with_history(c);
    check_rejected(custom, cxm::event<>{2, t, event_kind::csat_answer, 11}, rejection_reason::score_out_of_scale,
                   {"csat score", "11", "0..10"});
    auto e = custom;
    CHECK(e.add(cxm::event<>{2, t, event_kind::csat_answer, 0}));
    CHECK(e.add(cxm::event<>{2, t, event_kind::csat_answer, 10}));
  }
}

TEST_CASE("An event older than the watermark minus max_lateness is rejected as too_late") {
  cxm::engine_config c;
  c.max_lateness = std::chrono::hours{1};
  auto before = engine_with_history(c);
  REQUIRE(before.add(cxm::event<>{2, t, event_kind::visit, 0.0}));  // watermark t
  // Earliest accepted: t − 1 h = 1 700 000 123 456 − 3 600 000 = 1 699 996 523 456 ms.
  const auto message = check_rejected(before, cxm::event<>{1, t - std::chrono::hours{1} - std::chrono::milliseconds{1},
                                                            event_kind::purchase, 3.0},
                                      rejection_reason::too_late, {"time", "1699996523455", "1699996523456"});
  CHECK(message.find("lateness") != std::string::npos);
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t - std::chrono::hours{1}, event_kind::purchase, 3.0}));  // exactly at the bound
  CHECK(e.add(cxm::event<>{1, t + std::chrono::hours{5}, event_kind::visit, 0.0}));     // moves the watermark
  CHECK_FALSE(e.add(cxm::event<>{1, t + std::chrono::hours{3}, event_kind::visit, 0.0}, cxm::traits_projection{},
                    cxm::skip_invalid_events{}));
  CHECK(e.report(t).rejected[rejection_reason::too_late] == 1);

  // Without a bound, any representable time is on time.
  auto unbounded = engine_with_history();
  CHECK(unbounded.add(cxm::event<>{1, cxm::earliest_time, event_kind::visit, 0.0}));
}

TEST_CASE("The value of a kind that carries none is ignored, even when it is NaN") {
  auto e = engine_with_history();
  CHECK(e.add(cxm::event<>{1, t, event_kind::visit, not_a_number}));
  CHECK(e.add(cxm::event<>{1, t, event_kind::signup, -5.0}));
  CHECK(e.find(1u)->get<cxm::activity>().count(event_kind::visit) == 1);
  CHECK(e.find(1u)->get<cxm::spend>().purchase_amount == 10.0);
  CHECK(e.report(t).rejected.total == 0);
}

TEST_CASE("A range under skip_invalid_events folds in the valid events and hands every invalid one over") {
  const std::vector<cxm::event<>> events{
      {1, t, event_kind::purchase, 5.0},   {1, t, event_kind::purchase, -5.0},     {2, t, event_kind::nps_answer, 10},
      {3, t, event_kind::nps_answer, 12},  {4, cxm::from_unix_ms(-5), event_kind::visit, 0.0},
      {4, t, event_kind::visit, 0.0}};
  cxm::engine<> e;
  std::vector<std::size_t> rejected_positions;
  std::vector<rejection_reason> reasons;
  const auto added = e.add(events, cxm::traits_projection{},
                           cxm::skip_invalid_events{[&](const cxm::event<>& x, const cxm::rejection& why) {
                             rejected_positions.push_back(static_cast<std::size_t>(&x - events.data()));
                             reasons.push_back(why.reason);
                           }});
  CHECK(added == 3);
  CHECK(rejected_positions == std::vector<std::size_t>{1, 3, 4});
  CHECK(reasons == std::vector<rejection_reason>{rejection_reason::amount_negative, rejection_reason::score_out_of_scale,
                                                 rejection_reason::time_out_of_range});
  const auto r = e.report(t);
  CHECK(r.events == 3);
  CHECK(r.customers == 3);  // customer 3's only event was rejected: no record
  CHECK(e.find(3u) == nullptr);
  CHECK(r.rejected.total == 3);
  CHECK(r.rejected[rejection_reason::amount_negative] == 1);
  CHECK(r.rejected[rejection_reason::score_out_of_scale] == 1);
  CHECK(r.rejected[rejection_reason::time_out_of_range] == 1);
  CHECK(e.find(1u)->get<cxm::spend>().purchase_amount == 5.0);

  // A callback that takes the rejection alone works too.
  cxm::engine<> f;
  int calls = 0;
  CHECK(f.add(events, cxm::traits_projection{}, cxm::skip_invalid_events{[&](const cxm::rejection&) { ++calls; }}) == 3);
  CHECK(calls == 3);
  CHECK(f == e);

  // Under the default policy the range throws at its first invalid event, which is counted.
  cxm::engine<> g;
  CHECK_THROWS_AS(g.add(events), cxm::invalid_event);
  CHECK(g.report(t).rejected.total == 1);
}

TEST_CASE("Rejection counts are merged by addition and kept by save and load") {
  cxm::engine<> a, b;
  const cxm::skip_invalid_events skip{};
  auto skip_a = skip, skip_b = skip;
  a.add(cxm::event<>{1, t, event_kind::purchase, not_a_number}, cxm::traits_projection{}, skip_a);
  a.add(cxm::event<>{1, t, event_kind::nps_answer, 11}, cxm::traits_projection{}, skip_a);
  b.add(cxm::event<>{2, t, event_kind::purchase, -1}, cxm::traits_projection{}, skip_b);
  b.add(cxm::event<>{2, t, event_kind::purchase, inf}, cxm::traits_projection{}, skip_b);
  a.merge(b);
  const auto r = a.report(t);
  CHECK(r.rejected.total == 4);
  CHECK(r.rejected[rejection_reason::amount_not_finite] == 2);
  CHECK(r.rejected[rejection_reason::amount_negative] == 1);
  CHECK(r.rejected[rejection_reason::score_out_of_scale] == 1);
  CHECK(r.events == 0);
  const auto loaded = cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(a));
  CHECK(loaded == a);
  CHECK(loaded.report(t).rejected.by_reason == r.rejected.by_reason);
}
