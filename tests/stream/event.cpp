// Tests for events as cxm reads them (include/cxm/stream/event.hpp, event_kind.hpp): event kinds,
// event_traits, projections, and host types fed to the engine (an order struct, a survey-answer row,
// a range-v3 pipeline).

#include "cxm/stream/event.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

#include "cxm/stream/engine.hpp"
#include "cxm/events/event_kind.hpp"
#include "stream/stream_support.hpp"
#include "support/invariants.hpp"

namespace host {

/// A host application's own order type: cxm never asks it to change.
struct Order {
  std::string user;
  std::int64_t ts_ms;
  double total;
};

/// A host's survey export: one row per answer, the survey named by a letter.
struct survey_row {
  std::uint64_t respondent;
  std::chrono::sys_seconds answered_at;
  char survey;  ///< 'c' csat, 'e' ces, 'n' nps
  int score;
};

/// A host's own kinds, numbered its own way (page_view 0, order 1, refund 2): cxm's numbering
/// differs (purchase 0, refund 1, visit 2), so a cast would misroute every one of them.
enum class page_event : std::uint8_t { page_view, order, refund, newsletter_signup };

/// A host's clickstream row.
struct click {
  std::string user;
  std::int64_t ts_ms;
  page_event what;
  double amount;
};

/// Two host types whose event_traits give a kind that is not a cxm::event_kind: neither is an event.
struct casts_kind {};
struct enum_kind {};

}  // namespace host

template <>
struct cxm::event_traits<host::casts_kind> {
  static std::uint64_t customer(const host::casts_kind&) noexcept { return 1; }
  static cxm::timestamp time(const host::casts_kind&) noexcept { return {}; }
  static int kind(const host::casts_kind&) noexcept { return 0; }
  static double value(const host::casts_kind&) noexcept { return 0; }
};

template <>
struct cxm::event_traits<host::enum_kind> {
  static std::uint64_t customer(const host::enum_kind&) noexcept { return 1; }
  static cxm::timestamp time(const host::enum_kind&) noexcept { return {}; }
  static host::page_event kind(const host::enum_kind&) noexcept { return host::page_event::order; }
  static double value(const host::enum_kind&) noexcept { return 0; }
};

template <>
struct cxm::event_traits<host::Order> {
  static std::string_view customer(const host::Order& o) noexcept { return o.user; }
  static cxm::timestamp time(const host::Order& o) noexcept { return cxm::from_unix_ms(o.ts_ms); }
  static cxm::event_kind kind(const host::Order&) noexcept { return cxm::event_kind::purchase; }
  static double value(const host::Order& o) noexcept { return o.total; }
};

template <>
struct cxm::event_traits<host::survey_row> {
  static std::uint64_t customer(const host::survey_row& r) noexcept { return r.respondent; }
  static std::chrono::sys_seconds time(const host::survey_row& r) noexcept { return r.answered_at; }
  static cxm::event_kind kind(const host::survey_row& r) noexcept {
    switch (r.survey) {
      case 'c': return cxm::event_kind::csat_answer;
      case 'e': return cxm::event_kind::ces_answer;
      default: return cxm::event_kind::nps_answer;
    }
  }
  static int value(const host::survey_row& r) noexcept { return r.score; }
};

static_assert(cxm::has_event_traits<cxm::event<>>);
static_assert(cxm::has_event_traits<cxm::event<std::string>>);
static_assert(cxm::has_event_traits<host::Order>);
static_assert(cxm::has_event_traits<host::survey_row>);
static_assert(!cxm::has_event_traits<int>);
// event_traits<E>::kind must return cxm::event_kind itself: an int or a host enum does not make E an event.
static_assert(!cxm::has_event_traits<host::casts_kind>);
static_assert(!cxm::has_event_traits<host::enum_kind>);

namespace {

using cxm::event_kind;

// 2024-03-01T00:00:00Z is 1 709 251 200 s after 1970.
constexpr std::int64_t march_1_ms = 1'709'251'200'000;
constexpr std::int64_t hour_ms = 3'600'000;

std::vector<host::Order> some_orders() {
  return {
      {"alice", march_1_ms + 10 * hour_ms + 250, 19.90},      // 2024-03-01T10:00:00.250
      {"bob", march_1_ms + 11 * hour_ms, 5.00},               // 2024-03-01T11:00:00
      {"alice", march_1_ms + 33 * hour_ms + 1'800'999, 30.10},  // 2024-03-02T09:30:00.999
      {"carol", march_1_ms + 50 * hour_ms, 0.0},              // 2024-03-03T02:00:00, a free order
  };
}

auto order_projection() {
  return cxm::projection{[](const host::Order& o) -> std::string_view { return o.user; },
                         [](const host::Order& o) { return cxm::from_unix_ms(o.ts_ms); },
                         [](const host::Order&) { return event_kind::purchase; },
                         [](const host::Order& o) { return o.total; }};
}

void check_orders_folded_in(const cxm::engine<std::string>& e) {
  const auto r = e.report(cxm::from_unix_ms(march_1_ms + 72 * hour_ms));
  CHECK(r.events == 4);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 4);
  CHECK(r.customers == 3);

  // Looked up as a string_view, a string literal and a std::string alike.
  const auto* alice = e.find(std::string_view{"alice"});
  REQUIRE(alice != nullptr);
  CHECK(e.find("alice") == alice);
  CHECK(e.find(std::string("alice")) == alice);
  CHECK(e.find(std::string_view{"dave"}) == nullptr);

  const auto as_of = cxm::from_unix_ms(march_1_ms + 72 * hour_ms);
  const auto alice_view = e.customer("alice");
  REQUIRE(alice_view.has_value());
  const auto activity = alice_view->result<cxm::activity>(as_of);
  CHECK(activity.events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 2);
  CHECK(activity.events == 2);
  // First and last seen, in whole seconds: 1 709 251 200 + 36 000 and 1 709 251 200 + 120 600.
  CHECK(activity.first_seen == cxm::from_seconds32(1'709'287'200u));
  CHECK(activity.last_seen == cxm::from_seconds32(1'709'371'800u));
  // 19.90 + 30.10 = 50.00
  const auto spend = alice_view->result<cxm::spend>(as_of);
  CXM_CHECK_CLOSE(spend.purchase_amount, 50.0);
  CHECK(spend.refund_amount == 0.0);

  const auto carol = e.customer("carol");
  REQUIRE(carol.has_value());
  CHECK(carol->result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 1);
  CHECK(carol->result<cxm::spend>(as_of).purchase_amount == 0.0);
}

}  // namespace

TEST_CASE("Event kinds: twelve built-in kinds, host kinds numbered after them, at most 32 in all") {
  CHECK(cxm::builtin_kind_count == 12);
  CHECK(cxm::max_event_kinds == 32);
  CHECK(static_cast<int>(cxm::host_kind(0)) == 12);
  CHECK(static_cast<int>(cxm::host_kind(19)) == 31);
  CHECK(cxm::is_builtin(event_kind::nps_answer));
  CHECK_FALSE(cxm::is_builtin(cxm::host_kind(0)));
  CHECK(cxm::is_known(cxm::host_kind(19)));
  CHECK_FALSE(cxm::is_known(static_cast<event_kind>(32)));
  CHECK(cxm::is_survey_answer(event_kind::csat_answer));
  CHECK(cxm::is_survey_answer(event_kind::ces_answer));
  CHECK(cxm::is_survey_answer(event_kind::nps_answer));
  CHECK_FALSE(cxm::is_survey_answer(event_kind::purchase));
  CHECK(cxm::to_string(event_kind::purchase) == "purchase");
  CHECK(cxm::to_string(event_kind::support_contact) == "support_contact");
  CHECK(cxm::to_string(event_kind::nps_answer) == "nps_answer");
  CHECK(cxm::to_string(cxm::host_kind(3)) == "host_kind_3");
}

TEST_CASE("A kind set contains the kinds it was built from, and all() every known kind") {
  constexpr cxm::kind_set answers{event_kind::csat_answer, event_kind::ces_answer, event_kind::nps_answer};
  static_assert(answers.contains(event_kind::ces_answer));
  static_assert(!answers.contains(event_kind::purchase));
  // Bits 9, 10, 11: 0x200 + 0x400 + 0x800 = 0xE00.
  CHECK(answers.bits() == 0xE00u);
  CHECK((answers | event_kind::purchase).bits() == 0xE01u);
  CHECK(cxm::kind_set::all().contains(cxm::host_kind(19)));
  CHECK_FALSE(cxm::kind_set{}.contains(event_kind::visit));
  // A kind beyond 31 is in no set (and does not shift past the 32-bit mask).
  CHECK_FALSE(cxm::kind_set::all().contains(static_cast<event_kind>(40)));
  CHECK((cxm::kind_set{} | static_cast<event_kind>(40)).bits() == 0u);
}

TEST_CASE("cxm::event defaults to a visit with value 0 and is read through its event_traits") {
  const cxm::event<> e{};
  CHECK(e.customer == 0u);
  CHECK(e.time == cxm::earliest_time);
  CHECK(e.kind == event_kind::visit);
  CHECK(e.value == 0.0);

  const cxm::event<std::string> s{"alice", cxm::from_unix_ms(5'000), event_kind::refund, 2.5};
  CHECK(cxm::traits_projection::customer(s) == "alice");
  CHECK(&cxm::traits_projection::customer(s) == &s.customer);  // a reference, not a copy
  CHECK(cxm::traits_projection::time(s) == cxm::from_unix_ms(5'000));
  CHECK(cxm::traits_projection::kind(s) == event_kind::refund);
  CHECK(cxm::traits_projection::value(s) == 2.5);
}

TEST_CASE("A projection reads the four fields of a host type through callables, and fits no other type") {
  const auto proj = order_projection();
  const host::Order o{"bob", march_1_ms, 12.5};
  CHECK(proj.customer(o) == "bob");
  CHECK(proj.customer(o).data() == o.user.data());  // a view of the host's string, not a copy
  CHECK(proj.time(o) == cxm::from_unix_ms(march_1_ms));
  CHECK(proj.kind(o) == event_kind::purchase);
  CHECK(proj.value(o) == 12.5);
  static_assert(cxm::event_projection<decltype(proj), host::Order>);
  static_assert(!cxm::event_projection<decltype(proj), cxm::event<>>);
  static_assert(cxm::event_projection<cxm::traits_projection, host::survey_row>);
}

TEST_CASE("A host Order struct feeds engine<std::string> through an event_traits specialisation") {
  cxm::engine<std::string> e;
  for (const auto& o : some_orders()) CHECK(e.add(o));
  check_orders_folded_in(e);
}

TEST_CASE("A host Order struct feeds engine<std::string> through a cxm::projection, equal to the traits path") {
  const auto orders = some_orders();
  cxm::engine<std::string> by_projection;
  CHECK(by_projection.add(orders, order_projection()) == 4);
  check_orders_folded_in(by_projection);

  cxm::engine<std::string> by_traits;
  CHECK(by_traits.add(orders) == 4);
  CHECK(by_projection == by_traits);
}

TEST_CASE("A host survey-answer row type feeds the engine's NPS, CSAT and CES and the customers' satisfaction") {
  using std::chrono::sys_seconds;
  const sys_seconds t{std::chrono::seconds{1'709'251'200}};  // 2024-03-01
  const std::vector<host::survey_row> rows{
      {7, t, 'n', 9},
      {7, t + std::chrono::days{1}, 'n', 6},
      {8, t, 'c', 4},
      {8, t, 'e', 2},
      {9, t + std::chrono::hours{5}, 'n', 10},
  };
  cxm::engine<> e;
  CHECK(e.add(rows) == 5);
  const auto r = e.report(cxm::to_timestamp(t + std::chrono::days{2}));
  CHECK(r.events == 5);
  CHECK(r.customers == 3);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::nps_answer)] == 3);

  // NPS: 9 and 10 are promoters, 6 a detractor: (2 − 1) / 3 = 1/3, score 33.33.
  const auto& nps = r.get<cxm::nps_answers>();
  CHECK(nps.n == 3);
  CHECK(nps.promoters == 2);
  CHECK(nps.detractors == 1);
  CXM_CHECK_CLOSE(nps.score, 100.0 / 3.0);
  // CSAT: one answer 4 on 1..5, satisfied (top-2-box). CES: one answer 2 on 1..7, below the threshold 5.
  CHECK(r.get<cxm::csat_answers>().n == 1);
  CHECK(r.get<cxm::csat_answers>().satisfied == 1);
  CHECK(r.get<cxm::ces_answers>().n == 1);
  CHECK(r.get<cxm::ces_answers>().easy == 0);

  // Respondent 7: the latest NPS answer is the later one (6, a day after the 9); mean (9 + 6) / 2 = 7.5.
  const auto as_of = cxm::to_timestamp(t + std::chrono::days{2});
  const auto seven = e.customer(7u)->result<cxm::satisfaction>(as_of);
  CHECK(seven.nps.latest == 6);
  CHECK(seven.nps.latest_time == cxm::from_seconds32(1'709'251'200u + 86'400u));
  CHECK(seven.nps.answers == 2);
  CHECK(seven.nps.mean == 7.5);
  // Respondent 8: on the surveys' own scales, csat 4 and ces 2; no NPS answer.
  const auto eight = e.customer(8u)->result<cxm::satisfaction>(as_of);
  CHECK(eight.csat.latest == 4);
  CHECK(eight.ces.latest == 2);
  CHECK_FALSE(eight.nps.latest.has_value());
  CHECK(eight.nps.answers == 0);
}

TEST_CASE("A range-v3 filter | transform pipeline feeds the engine without an intermediate container") {
  const auto orders = some_orders();
  auto large_orders = orders | ranges::views::filter([](const host::Order& o) { return o.total >= 10.0; }) |
                      ranges::views::transform([](const host::Order& o) {
                        return cxm::event<std::string>{o.user, cxm::from_unix_ms(o.ts_ms), event_kind::purchase, o.total};
                      });
  cxm::engine<std::string> piped;
  // 19.90 and 30.10 (alice) pass the filter; 5.00 (bob) and 0.00 (carol) do not.
  CHECK(piped.add(large_orders) == 2);

  cxm::engine<std::string> by_hand;
  by_hand.add(orders[0]);
  by_hand.add(orders[2]);
  CHECK(piped == by_hand);
  CHECK(piped.report(cxm::from_unix_ms(march_1_ms + 72 * hour_ms)).customers == 1);
  // As of 2024-03-01T00:00Z, before alice's first order (10:00:00.250), nothing is known yet.
  CHECK_THROWS_AS((void)piped.report(cxm::from_unix_ms(march_1_ms)), std::invalid_argument);
  CHECK(piped.find("bob") == nullptr);

  // A filtered view of the host type itself, read through a projection.
  cxm::engine<std::string> filtered;
  CHECK(filtered.add(orders | ranges::views::filter([](const host::Order& o) { return o.total >= 10.0; }),
                     order_projection()) == 2);
  CHECK(filtered == by_hand);
}

TEST_CASE("A kind_map maps a host enum to cxm's kinds explicitly; an unmapped value gives cxm::unmapped_kind") {
  using host::page_event;
  const cxm::kind_map<page_event> kinds{{page_event::page_view, event_kind::visit},
                                        {page_event::order, event_kind::purchase},
                                        {page_event::refund, event_kind::refund}};
  CHECK(kinds.size() == 3);
  CHECK(kinds(page_event::page_view) == event_kind::visit);
  CHECK(kinds(page_event::order) == event_kind::purchase);
  CHECK(kinds(page_event::refund) == event_kind::refund);
  CHECK(kinds(page_event::newsletter_signup) == cxm::unmapped_kind);
  CHECK(kinds(static_cast<page_event>(200)) == cxm::unmapped_kind);
  // What a cast would have done: page_view → purchase, order → refund, refund → visit.
  CHECK(static_cast<event_kind>(page_event::page_view) == event_kind::purchase);
  CHECK(static_cast<event_kind>(page_event::order) == event_kind::refund);
  CHECK(static_cast<event_kind>(page_event::refund) == event_kind::visit);
  // The order of the entries does not matter; a value mapped twice is an error.
  const cxm::kind_map<page_event> reversed{{page_event::refund, event_kind::refund},
                                           {page_event::page_view, event_kind::visit}};
  CHECK(reversed(page_event::page_view) == event_kind::visit);
  CHECK(reversed(page_event::order) == cxm::unmapped_kind);
  CHECK_THROWS_AS((cxm::kind_map<page_event>{{page_event::order, event_kind::purchase},
                                             {page_event::order, event_kind::refund}}),
                  std::invalid_argument);
  CHECK(cxm::unmapped_kind == static_cast<event_kind>(0xFF));
  CHECK_FALSE(cxm::is_known(cxm::unmapped_kind));
}

TEST_CASE("A kind_map of strings looks keys up as std::string_view") {
  const cxm::kind_map<std::string> kinds{{"view", event_kind::visit}, {"buy", event_kind::purchase},
                                         {"return", event_kind::refund}};
  const std::string buy = "buy";
  CHECK(kinds(buy) == event_kind::purchase);
  CHECK(kinds(std::string_view{"return"}) == event_kind::refund);
  CHECK(kinds("view") == event_kind::visit);
  CHECK(kinds("views") == cxm::unmapped_kind);
  CHECK(kinds("") == cxm::unmapped_kind);
  CHECK(kinds(std::string_view{"buy!"}.substr(0, 3)) == event_kind::purchase);
}

TEST_CASE("Host enum kinds routed through a kind_map reach the right metrics; an unmapped one is unknown_kind") {
  using host::page_event;
  const cxm::kind_map<page_event> kinds{{page_event::page_view, event_kind::visit},
                                        {page_event::order, event_kind::purchase},
                                        {page_event::refund, event_kind::refund}};
  const auto proj = cxm::projection{[](const host::click& c) -> std::string_view { return c.user; },
                                    [](const host::click& c) { return cxm::from_unix_ms(c.ts_ms); },
                                    [&kinds](const host::click& c) { return kinds(c.what); },
                                    [](const host::click& c) { return c.amount; }};
  static_assert(cxm::event_projection<decltype(proj), host::click>);
  const std::vector<host::click> clicks{
      {"ann", march_1_ms, page_event::page_view, 0.0},
      {"ann", march_1_ms + hour_ms, page_event::page_view, 0.0},
      {"ann", march_1_ms + 2 * hour_ms, page_event::order, 25.0},
      {"ann", march_1_ms + 3 * hour_ms, page_event::refund, 5.0},
      {"ben", march_1_ms + 4 * hour_ms, page_event::newsletter_signup, 0.0},  // not mapped
      {"ben", march_1_ms + 5 * hour_ms, page_event::order, 12.5},
  };
  cxm::engine<std::string> e;
  std::vector<cxm::rejection> rejected;
  CHECK(e.add(clicks, proj, cxm::skip_invalid{[&](const cxm::rejection& why) { rejected.push_back(why); }}) == 5);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].reason == cxm::rejection_reason::unknown_kind);
  CHECK(rejected[0].message() == "engine: kind 255 is not a kind in use (allowed 0..11) (customer \"ben\")");

  const auto as_of = cxm::from_unix_ms(march_1_ms + 6 * hour_ms);
  const auto r = e.report(as_of);
  CHECK(r.events == 5);
  CHECK(r.rejected[cxm::rejection_reason::unknown_kind] == 1);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::visit)] == 2);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 2);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::refund)] == 1);
  // Ann: two visits, one purchase of 25, one refund of 5 (a cast would have made them two purchases of
  // 0, a refund of 25 and a visit).
  const auto ann = e.customer("ann");
  REQUIRE(ann.has_value());
  const auto a = ann->result<cxm::activity>(as_of);
  CHECK(a.events_by_kind[static_cast<std::size_t>(event_kind::visit)] == 2);
  CHECK(a.events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 1);
  CHECK(a.events_by_kind[static_cast<std::size_t>(event_kind::refund)] == 1);
  const auto s = ann->result<cxm::spend>(as_of);
  CHECK(s.purchase_amount == 25.0);
  CHECK(s.refund_amount == 5.0);
  CHECK(s.net == 20.0);
  // Ben: the unmapped event folded nothing in; the order did.
  const auto ben = e.customer("ben");
  REQUIRE(ben.has_value());
  CHECK(ben->result<cxm::activity>(as_of).events == 1);
  CHECK(ben->result<cxm::activity>(as_of).first_seen == cxm::from_unix_ms(march_1_ms + 5 * hour_ms));
  CHECK(ben->result<cxm::spend>(as_of).purchase_amount == 12.5);

  // Under the default policy the unmapped kind throws cxm::invalid_event, naming it.
  cxm::engine<std::string> strict;
  CHECK_THROWS_WITH_AS(strict.add(clicks, proj),
                       "engine: kind 255 is not a kind in use (allowed 0..11) (customer \"ben\")", cxm::invalid_event);
  CHECK(strict.report(as_of).events == 4);  // the events before it were folded in
}
