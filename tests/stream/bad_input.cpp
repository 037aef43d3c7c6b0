// Tests for the engine's bad-input policy (docs/architecture.md, "Bad input"; engine.hpp): every kind of invalid
// event, under throw_on_invalid (the default: cxm::invalid_event naming field, value, allowed range and
// customer) and skip_invalid{callback} (not folded in, counted by reason in report().rejected,
// the callback receives the original event and the rejection). Either way the engine's events and
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
  CHECK(a.watermark == b.watermark);
  CHECK(a.includes_later_events == b.includes_later_events);
  CHECK(a.saturated_customers == b.saturated_customers);
  CHECK(a.customers_merged_from_both_sides == b.customers_merged_from_both_sides);
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
    // skip_invalid{callback}: returns false, counts it, hands the original event over.
    Engine e = before;
    std::vector<const E*> received;
    std::vector<cxm::rejection> rejections;
    const bool folded = e.add(bad, cxm::traits_projection{}, cxm::skip_invalid{[&](const E& x, const cxm::rejection& why) {
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


/// Customers 1 and 2, a purchase and an answer of each survey, all before t.
template <class Engine>
void add_history(Engine& e) {
  e.add(cxm::event<>{1, t - std::chrono::hours{2}, event_kind::purchase, 10.0});
  e.add(cxm::event<>{1, t - std::chrono::hours{2}, event_kind::nps_answer, 9});
  e.add(cxm::event<>{2, t - std::chrono::hours{3}, event_kind::csat_answer, 4});
  e.add(cxm::event<>{2, t - std::chrono::hours{3}, event_kind::ces_answer, 6});
}

/// An engine with some history (add_history).
cxm::engine<> engine_with_history(cxm::engine_config config = {}) {
  cxm::engine<> e(std::move(config));
  add_history(e);
  return e;
}

/// The message of the cxm::invalid_event that adding `bad` to a copy of `e` throws.
template <class Engine, class E>
std::string rejection_message(const Engine& e, const E& bad) {
  Engine copy = e;
  try {
    copy.add(bad);
  } catch (const cxm::invalid_event& x) {
    return x.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("An empty string id is rejected as empty_customer_id under both policies") {
  cxm::engine<std::string> before;
  before.add(cxm::event<std::string>{"alice", t, event_kind::visit, 0.0});
  const cxm::event<std::string> bad{"", t, event_kind::visit, 0.0};
  const auto message = check_rejected(before, bad, rejection_reason::empty_customer_id, {"customer", "empty"});
  CHECK(message == "engine: customer is empty");  // nobody to name
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
  CHECK(message == "engine: customer -1 does not fit the engine's id type uint32 (0..4294967295)");
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
                                        rejection_reason::time_out_of_range,
                                        {"time", "1969-12-31T23:59:59.999Z",
                                         "1970-01-01T00:00:00Z..2106-02-07T06:28:15.999Z"});
    CHECK(message ==
          "engine: time 1969-12-31T23:59:59.999Z is outside the representable range "
          "1970-01-01T00:00:00Z..2106-02-07T06:28:15.999Z (customer 1)");
  }
  SUBCASE("one millisecond after 2106-02-07T06:28:15.999") {
    check_rejected(before, cxm::event<>{1, cxm::latest_time + std::chrono::milliseconds{1}, event_kind::visit, 0.0},
                   rejection_reason::time_out_of_range,
                   {"time", "2106-02-07T06:28:16Z", "1970-01-01T00:00:00Z..2106-02-07T06:28:15.999Z"});
  }
  SUBCASE("the year 1900, for a new customer") {
    check_rejected(before, cxm::event<>{99, cxm::timestamp{std::chrono::sys_days{std::chrono::year{1900} / 1 / 1}},
                                        event_kind::signup, 0.0},
                   rejection_reason::time_out_of_range, {"time", "1900-01-01T00:00:00Z", "(customer 99)"});
    CHECK(before.find(99u) == nullptr);
  }
  // The ends of the range themselves are accepted: first and last seen at 0 s and 2^32 − 1 s.
  auto e = before;
  CHECK(e.add(cxm::event<>{3, cxm::earliest_time, event_kind::visit, 0.0}));
  CHECK(e.add(cxm::event<>{3, cxm::latest_time, event_kind::visit, 0.0}));
  const auto a = e.customer(3u)->result<cxm::activity>(cxm::latest_time);
  CHECK(a.first_seen == cxm::from_seconds32(0u));
  CHECK(a.first_seen == cxm::earliest_time);
  CHECK(a.last_seen == cxm::from_seconds32(0xFFFFFFFFu));  // 2106-02-07T06:28:15Z: times are kept to the second
  CHECK(a.events_by_kind[static_cast<std::size_t>(event_kind::visit)] == 2);
  CHECK_FALSE(a.includes_later_events);
}

TEST_CASE("A kind beyond the registry's host kinds, or beyond 31, is rejected as unknown_kind") {
  cxm::engine_config two_host_kinds;
  two_host_kinds.kinds.declare_host_kinds(2);  // kinds 0..13 are in use
  const auto before = engine_with_history(two_host_kinds);
  SUBCASE("host_kind(2), one past the declared ones") {
    const auto message = check_rejected(before, cxm::event<>{1, t, cxm::host_kind(2), 0.0},
                                        rejection_reason::unknown_kind, {"kind", "14", "0..13"});
    CHECK(message == "engine: kind 14 is not a kind in use (allowed 0..13) (customer 1)");
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
  SUBCASE("cxm::unmapped_kind, what a kind_map gives for a key it does not map") {
    check_rejected(before, cxm::event<>{1, t, cxm::unmapped_kind, 0.0}, rejection_reason::unknown_kind,
                   {"kind", "255", "0..13"});
  }
  SUBCASE("host_kind(0) in an engine whose registry declares no host kinds") {
    check_rejected(engine_with_history(), cxm::event<>{1, t, cxm::host_kind(0), 0.0}, rejection_reason::unknown_kind,
                   {"kind", "12", "0..11"});
  }
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t, cxm::host_kind(1), 0.0}));  // the last declared host kind is fine
}

TEST_CASE("A NaN, infinite or negative purchase or refund amount is rejected") {
  const auto before = engine_with_history();
  for (const auto kind : {event_kind::purchase, event_kind::refund}) {
    CAPTURE(cxm::to_string(kind));
    const auto message = check_rejected(before, cxm::event<>{1, t, kind, not_a_number}, rejection_reason::amount_not_finite,
                                        {"amount", "nan", ">= 0"});
    CHECK(message == "engine: " + cxm::to_string(kind) + " amount nan is not finite (allowed: a finite number >= 0) (customer 1)");
    check_rejected(before, cxm::event<>{1, t, kind, inf}, rejection_reason::amount_not_finite, {"amount", "inf", ">= 0"});
    check_rejected(before, cxm::event<>{7, t, kind, -inf}, rejection_reason::amount_not_finite, {"amount", "-inf"});
    const auto negative = check_rejected(before, cxm::event<>{1, t, kind, -0.01}, rejection_reason::amount_negative,
                                         {"amount", "-0.01", ">= 0"});
    CHECK(negative == "engine: " + cxm::to_string(kind) + " amount -0.01 is negative (allowed: a finite number >= 0) (customer 1)");
  }
  // Zero is a valid amount.
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t, event_kind::refund, 0.0}));
}

TEST_CASE("A whole answer score outside its scale is rejected as score_out_of_scale") {
  const auto before = engine_with_history();
  SUBCASE("NPS 0..10") {
    const auto message = check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, 11},
                                        rejection_reason::score_out_of_scale, {"nps_answer score", "11", "0..10"});
    CHECK(message == "engine: nps_answer score 11 is outside the scale 0..10 (customer 1)");
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, -1}, rejection_reason::score_out_of_scale,
                   {"nps_answer score", "-1", "0..10"});
  }
  SUBCASE("CSAT 1..5") {
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, 0}, rejection_reason::score_out_of_scale,
                   {"csat_answer score", "0", "1..5"});
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, 6}, rejection_reason::score_out_of_scale,
                   {"csat_answer score", "6", "1..5"});
  }
  SUBCASE("CES 1..7") {
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 0}, rejection_reason::score_out_of_scale,
                   {"ces_answer score", "0", "1..7"});
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 8}, rejection_reason::score_out_of_scale,
                   {"ces_answer score", "8", "1..7"});
  }
  SUBCASE("a registry CSAT scale 0..10 accepts 0 and 10 and rejects 11") {
    cxm::engine_config c;
    c.kinds.set_scale(event_kind::csat_answer, {0, 10});
    cxm::engine<> custom(c, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{9, 10}}, cxm::ces_answers{},
                                             cxm::active_customers{}});
    add_history(custom);
    check_rejected(custom, cxm::event<>{2, t, event_kind::csat_answer, 11}, rejection_reason::score_out_of_scale,
                   {"csat_answer score", "11", "0..10"});
    auto e = custom;
    CHECK(e.add(cxm::event<>{2, t, event_kind::csat_answer, 0}));
    CHECK(e.add(cxm::event<>{2, t, event_kind::csat_answer, 10}));
    // 4 (history), 0 and 10: one satisfied answer (10) on the set {9, 10}.
    CHECK(e.report(t).get<cxm::csat_answers>().n == 3);
    CHECK(e.report(t).get<cxm::csat_answers>().satisfied == 1);
  }
}

TEST_CASE("An answer score that is not a whole number (4.5, NaN, ±inf) is rejected as score_not_whole") {
  const auto before = engine_with_history();
  SUBCASE("CSAT 4.5, from customer 3, which the rejection names") {
    const auto message = check_rejected(before, cxm::event<>{3, t, event_kind::csat_answer, 4.5},
                                        rejection_reason::score_not_whole,
                                        {"csat_answer score", "4.5", "whole", "customer 3"});
    CHECK(message == "engine: csat_answer score 4.5 is not a whole number (customer 3)");
    CHECK(before.find(3u) == nullptr);
  }
  SUBCASE("NPS NaN") {
    const auto message = check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, not_a_number},
                                        rejection_reason::score_not_whole, {"nps_answer score", "nan", "whole"});
    CHECK(message == "engine: nps_answer score nan is not a whole number (customer 1)");
  }
  SUBCASE("NPS 7.5 and ±inf") {
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, 7.5}, rejection_reason::score_not_whole,
                   {"nps_answer score", "7.5", "whole"});
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, inf}, rejection_reason::score_not_whole,
                   {"nps_answer score", "inf", "whole"});
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, -inf}, rejection_reason::score_not_whole,
                   {"nps_answer score", "-inf", "whole"});
  }
  SUBCASE("CSAT NaN and CES 1.25") {
    check_rejected(before, cxm::event<>{2, t, event_kind::csat_answer, not_a_number}, rejection_reason::score_not_whole,
                   {"csat_answer score", "nan", "whole"});
    check_rejected(before, cxm::event<>{2, t, event_kind::ces_answer, 1.25}, rejection_reason::score_not_whole,
                   {"ces_answer score", "1.25", "whole"});
  }
  SUBCASE("a fraction off the scale is not whole first: 10.5 on 0..10") {
    check_rejected(before, cxm::event<>{1, t, event_kind::nps_answer, 10.5}, rejection_reason::score_not_whole,
                   {"nps_answer score", "10.5"});
  }
  // A whole number given as a double is a score: 9.0 is a promoter.
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t, event_kind::nps_answer, 9.0}));
  CHECK(e.report(t).get<cxm::nps_answers>().promoters == 2);
}

TEST_CASE("A rejection names the customer of the event, as the engine's id type prints it") {
  SUBCASE("an integer id") {
    CHECK(rejection_message(engine_with_history(), cxm::event<>{42, t, event_kind::refund, -1.0}) ==
          "engine: refund amount -1 is negative (allowed: a finite number >= 0) (customer 42)");
  }
  SUBCASE("a string id, quoted") {
    cxm::engine<std::string> e;
    CHECK(rejection_message(e, cxm::event<std::string>{"alice", t, event_kind::nps_answer, 12}) ==
          "engine: nps_answer score 12 is outside the scale 0..10 (customer \"alice\")");
  }
  SUBCASE("a UUID, as 8-4-4-4-12 hexadecimal digits") {
    cxm::uuid u;
    u.bytes[0] = 0xde;
    u.bytes[15] = 0x01;
    cxm::engine<cxm::uuid> e;
    CHECK(rejection_message(e, cxm::event<cxm::uuid>{u, t, cxm::host_kind(0), 0.0}) ==
          "engine: kind 12 is not a kind in use (allowed 0..11) (customer de000000-0000-0000-0000-000000000001)");
  }
  SUBCASE("the rejection handed to a skip callback carries the id as text") {
    cxm::engine<> e = engine_with_history();
    std::vector<cxm::rejection> seen;
    CHECK_FALSE(e.add(cxm::event<>{7, t, event_kind::ces_answer, 2.5}, cxm::traits_projection{},
                      cxm::skip_invalid{[&](const cxm::rejection& why) { seen.push_back(why); }}));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].customer == "7");
    CHECK(seen[0].reason == rejection_reason::score_not_whole);
    CHECK(seen[0].message() == "engine: ces_answer score 2.5 is not a whole number (customer 7)");
  }
}

TEST_CASE("An event older than the watermark minus max_lateness is rejected as too_late") {
  cxm::engine_config c;
  c.max_lateness = std::chrono::hours{1};
  auto before = engine_with_history(c);
  REQUIRE(before.add(cxm::event<>{2, t, event_kind::visit, 0.0}));  // watermark t
  // Earliest accepted: t − 1 h = 1 700 000 123 456 − 3 600 000 = 1 699 996 523 456 ms, 2023-11-14T21:15:23.456Z.
  const auto message = check_rejected(before, cxm::event<>{1, t - std::chrono::hours{1} - std::chrono::milliseconds{1},
                                                            event_kind::purchase, 3.0},
                                      rejection_reason::too_late,
                                      {"time", "2023-11-14T21:15:23.455Z", "2023-11-14T21:15:23.456Z"});
  CHECK(message ==
        "engine: time 2023-11-14T21:15:23.455Z is older than the lateness bound allows (earliest accepted "
        "2023-11-14T21:15:23.456Z) (customer 1)");
  auto e = before;
  CHECK(e.add(cxm::event<>{1, t - std::chrono::hours{1}, event_kind::purchase, 3.0}));  // exactly at the bound
  CHECK(e.add(cxm::event<>{1, t + std::chrono::hours{5}, event_kind::visit, 0.0}));     // moves the watermark
  CHECK_FALSE(e.add(cxm::event<>{1, t + std::chrono::hours{3}, event_kind::visit, 0.0}, cxm::traits_projection{},
                    cxm::skip_invalid{}));
  CHECK(e.report(t).rejected[rejection_reason::too_late] == 1);
  CHECK(e.report(t).watermark == t + std::chrono::hours{5});

  // Without a bound, any representable time is on time.
  auto unbounded = engine_with_history();
  CHECK(unbounded.add(cxm::event<>{1, cxm::earliest_time, event_kind::visit, 0.0}));
}

TEST_CASE("After a merge the lateness bound counts from the merged watermark, and the accessors report both times") {
  using std::chrono::hours;
  cxm::engine_config c;
  c.max_lateness = hours{1};
  cxm::engine<> early(c), late(c);
  CHECK_FALSE(early.watermark().has_value());
  CHECK_FALSE(early.first_event_time().has_value());
  REQUIRE(early.add(cxm::event<>{1, t, event_kind::visit, 0.0}));
  REQUIRE(late.add(cxm::event<>{2, t + hours{10}, event_kind::visit, 0.0}));
  // Before the merge, t + 8 h is on time for `early` (its watermark is t).
  auto probe = early;
  CHECK(probe.add(cxm::event<>{3, t + hours{8}, event_kind::visit, 0.0}));
  early.merge(late);
  CHECK(early.watermark() == t + hours{10});
  CHECK(early.first_event_time() == t);
  // After it the watermark is t + 10 h: t + 9 h is exactly at the bound, one millisecond earlier is too late.
  CHECK(early.add(cxm::event<>{3, t + hours{9}, event_kind::visit, 0.0}));
  CHECK_FALSE(early.add(cxm::event<>{3, t + hours{9} - std::chrono::milliseconds{1}, event_kind::visit, 0.0},
                        cxm::traits_projection{}, cxm::skip_invalid{}));
  CHECK(early.report(t).rejected[rejection_reason::too_late] == 1);
  // Merging an empty engine changes neither time.
  early.merge(cxm::engine<>(c));
  CHECK(early.watermark() == t + hours{10});
  CHECK(early.first_event_time() == t);
}

TEST_CASE("The value of a kind that carries none is ignored, even when it is NaN") {
  auto e = engine_with_history();
  CHECK(e.add(cxm::event<>{1, t, event_kind::visit, not_a_number}));
  CHECK(e.add(cxm::event<>{1, t, event_kind::signup, -5.0}));
  const auto one = e.customer(1u);
  REQUIRE(one.has_value());
  CHECK(one->result<cxm::activity>(t).events_by_kind[static_cast<std::size_t>(event_kind::visit)] == 1);
  CHECK(one->result<cxm::activity>(t).events_by_kind[static_cast<std::size_t>(event_kind::signup)] == 1);
  CHECK(one->result<cxm::spend>(t).purchase_amount == 10.0);
  CHECK(one->result<cxm::spend>(t).net == 10.0);
  CHECK(e.report(t).rejected.total == 0);
}

TEST_CASE("A range under skip_invalid folds in the valid events and hands every invalid one over") {
  const std::vector<cxm::event<>> events{
      {1, t, event_kind::purchase, 5.0},   {1, t, event_kind::purchase, -5.0},     {2, t, event_kind::nps_answer, 10},
      {3, t, event_kind::nps_answer, 12},  {4, cxm::from_unix_ms(-5), event_kind::visit, 0.0},
      {4, t, event_kind::visit, 0.0},      {5, t, event_kind::csat_answer, 3.5}};
  cxm::engine<> e;
  std::vector<std::size_t> rejected_positions;
  std::vector<rejection_reason> reasons;
  const auto added = e.add(events, cxm::traits_projection{},
                           cxm::skip_invalid{[&](const cxm::event<>& x, const cxm::rejection& why) {
                             rejected_positions.push_back(static_cast<std::size_t>(&x - events.data()));
                             reasons.push_back(why.reason);
                           }});
  CHECK(added == 3);
  CHECK(rejected_positions == std::vector<std::size_t>{1, 3, 4, 6});
  CHECK(reasons == std::vector<rejection_reason>{rejection_reason::amount_negative, rejection_reason::score_out_of_scale,
                                                 rejection_reason::time_out_of_range, rejection_reason::score_not_whole});
  const auto r = e.report(t);
  CHECK(r.events == 3);
  CHECK(r.customers == 3);  // customers 3 and 5 had only rejected events: no record
  CHECK(e.find(3u) == nullptr);
  CHECK(e.find(5u) == nullptr);
  CHECK(r.rejected.total == 4);
  CHECK(r.rejected[rejection_reason::amount_negative] == 1);
  CHECK(r.rejected[rejection_reason::score_out_of_scale] == 1);
  CHECK(r.rejected[rejection_reason::time_out_of_range] == 1);
  CHECK(r.rejected[rejection_reason::score_not_whole] == 1);
  CHECK(e.customer(1u)->result<cxm::spend>(t).purchase_amount == 5.0);

  // A callback that takes the rejection alone works too.
  cxm::engine<> f;
  int calls = 0;
  CHECK(f.add(events, cxm::traits_projection{}, cxm::skip_invalid{[&](const cxm::rejection&) { ++calls; }}) == 3);
  CHECK(calls == 4);
  CHECK(f == e);

  // Under the default policy the range throws at its first invalid event, which is counted.
  cxm::engine<> g;
  CHECK_THROWS_AS(g.add(events), cxm::invalid_event);
  CHECK(g.report(t).rejected.total == 1);
}

TEST_CASE("Rejection counts are merged by addition and kept by save and load") {
  cxm::engine<> a, b;
  const cxm::skip_invalid skip{};
  auto skip_a = skip, skip_b = skip;
  a.add(cxm::event<>{1, t, event_kind::purchase, not_a_number}, cxm::traits_projection{}, skip_a);
  a.add(cxm::event<>{1, t, event_kind::nps_answer, 11}, cxm::traits_projection{}, skip_a);
  b.add(cxm::event<>{2, t, event_kind::purchase, -1}, cxm::traits_projection{}, skip_b);
  b.add(cxm::event<>{2, t, event_kind::purchase, inf}, cxm::traits_projection{}, skip_b);
  b.add(cxm::event<>{2, t, event_kind::nps_answer, 4.5}, cxm::traits_projection{}, skip_b);
  a.merge(b);
  // No event was accepted: there is no first event, so any representable as_of may be reported.
  CHECK_FALSE(a.report(t).watermark.has_value());
  const auto r = a.report(t);
  CHECK(r.rejected.total == 5);
  CHECK(r.rejected[rejection_reason::amount_not_finite] == 2);
  CHECK(r.rejected[rejection_reason::amount_negative] == 1);
  CHECK(r.rejected[rejection_reason::score_out_of_scale] == 1);
  CHECK(r.rejected[rejection_reason::score_not_whole] == 1);  // a reason of rejection_counts v3
  CHECK(r.events == 0);
  CHECK(r.customers == 0);
  const auto loaded = cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(a));
  CHECK(loaded == a);
  CHECK(loaded.report(t).rejected.by_reason == r.rejected.by_reason);
}
