// Tests for events as cxm reads them (include/cxm/stream/event.hpp, event_kind.hpp): event kinds,
// event_traits, projections, and host types fed to the engine (an order struct, a survey-answer row,
// a range-v3 pipeline).

#include "cxm/stream/event.hpp"

#include <chrono>
#include <cstdint>
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

}  // namespace host

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

  const auto& activity = alice->get<cxm::activity>();
  CHECK(activity.count(event_kind::purchase) == 2);
  // First and last seen, in whole seconds: 1 709 251 200 + 36 000 and 1 709 251 200 + 120 600.
  CHECK(activity.first_seen == 1'709'287'200u);
  CHECK(activity.last_seen == 1'709'371'800u);
  // 19.90 + 30.10 = 50.00
  CXM_CHECK_CLOSE(alice->get<cxm::spend>().purchase_amount, 50.0);
  CHECK(alice->get<cxm::spend>().refund_amount == 0.0);

  const auto* carol = e.find("carol");
  REQUIRE(carol != nullptr);
  CHECK(carol->get<cxm::activity>().count(event_kind::purchase) == 1);
  CHECK(carol->get<cxm::spend>().purchase_amount == 0.0);
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

  // Respondent 7: the latest NPS answer is the later one (6, a day after the 9); sum 9 + 6 = 15.
  const auto& seven = e.find(7u)->get<cxm::satisfaction>();
  const auto nps_index = cxm::satisfaction::survey(event_kind::nps_answer);
  CHECK(seven.latest[nps_index] == 6);
  CHECK(seven.latest_time[nps_index] == 1'709'251'200u + 86'400u);
  CHECK(seven.score_sums[nps_index] == 15u);
  // Respondent 8: scores are kept minus the scale's low end: csat 4 − 1 = 3, ces 2 − 1 = 1.
  const auto& eight = e.find(8u)->get<cxm::satisfaction>();
  CHECK(eight.latest[cxm::satisfaction::survey(event_kind::csat_answer)] == 3);
  CHECK(eight.latest[cxm::satisfaction::survey(event_kind::ces_answer)] == 1);
  CHECK(eight.latest[nps_index] == cxm::satisfaction::no_answer);
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
  CHECK(piped.report(cxm::from_unix_ms(march_1_ms)).customers == 1);
  CHECK(piped.find("bob") == nullptr);

  // A filtered view of the host type itself, read through a projection.
  cxm::engine<std::string> filtered;
  CHECK(filtered.add(orders | ranges::views::filter([](const host::Order& o) { return o.total >= 10.0; }),
                     order_projection()) == 2);
  CHECK(filtered == by_hand);
}
