// Saved images of the event-stream types at format version 1 (tests/data/v1, written once by
// tests/data/make_v1_stream_images.cpp from the inputs documented in tests/data/README.md) load in this
// build with exactly the results worked out by hand from those inputs. These tests stay forever.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/events/window.hpp"
#include "cxm/survey/nps.hpp"
#include "support/invariants.hpp"

namespace {

std::vector<std::byte> read_image(const std::string& name) {
  std::ifstream in(std::string(CXM_TEST_DATA_DIR) + "/v1/" + name, std::ios::binary);
  REQUIRE(in);
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
  return bytes;
}

using namespace std::chrono;
const cxm::timestamp day1 = sys_days{2026y / October / 1};

std::uint32_t seconds_of(cxm::timestamp t) { return cxm::to_seconds32(t); }

}  // namespace

TEST_CASE("a version-1 engine<> image loads with the per-customer and global figures of its inputs") {
  const auto image = read_image("engine_default.bin");
  const auto engine = cxm::io::load_state<cxm::engine<>>(image);
  CHECK(engine.config() == cxm::engine_config{});

  // 10 accepted events; the purchase of -1 was rejected (amount_negative) and created no customer.
  const auto r = engine.report(day1 + days{30});
  CHECK(r.events == 10);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::purchase)] == 2);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::refund)] == 1);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::signup)] == 1);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::visit)] == 1);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::nps_answer)] == 3);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::csat_answer)] == 1);
  CHECK(r.events_by_kind[static_cast<std::size_t>(cxm::event_kind::ces_answer)] == 1);
  CHECK(r.rejected[cxm::rejection_reason::amount_negative] == 1);
  CHECK(r.rejected.total == 1);
  CHECK(r.customers == 3);
  // Last activity: customer 1 on day 20, customer 2 on day 2, customer 3 on day 10 (day 0 = Oct 1):
  // all within the 30 days before Oct 31; within the 10 days before Oct 26 only customer 1.
  CHECK(r.active_customers == 3);
  CHECK(engine.report(day1 + days{25}, days{10}).active_customers == 1);

  // Global NPS: answers 9, 6, 10 → 2 promoters, 1 detractor of 3: net 1/3.
  const auto& nps = r.get<cxm::nps_answers>();
  CHECK(nps.n == 3);
  CHECK(nps.promoters == 2);
  CHECK(nps.detractors == 1);
  CXM_CHECK_CLOSE(nps.net, 1.0 / 3.0);
  CHECK(r.get<cxm::csat_answers>().satisfied == 1);  // one answer, 4 on 1..5
  CHECK(r.get<cxm::ces_answers>().easy == 1);        // one answer, 6 >= 5

  const auto* one = engine.find(std::uint64_t{1});
  REQUIRE(one != nullptr);
  const auto& a1 = one->get<cxm::activity>();
  CHECK(a1.first_seen == seconds_of(day1 + hours{9}));
  CHECK(a1.last_seen == seconds_of(day1 + days{20}));
  CHECK(a1.count(cxm::event_kind::purchase) == 2);
  CHECK(a1.count(cxm::event_kind::refund) == 1);
  CHECK(a1.count(cxm::event_kind::signup) == 1);
  CHECK(a1.count(cxm::event_kind::nps_answer) == 2);
  CHECK(one->get<cxm::spend>().purchase_amount == 60.0);  // 40 + 20
  CHECK(one->get<cxm::spend>().refund_amount == 5.0);
  const auto& s1 = one->get<cxm::satisfaction>();
  const auto nps_index = cxm::satisfaction::survey(cxm::event_kind::nps_answer);
  CHECK(s1.latest[nps_index] == 6);  // the answer of day 20, not the 9 of day 5
  CHECK(s1.latest_time[nps_index] == seconds_of(day1 + days{20}));
  CHECK(s1.score_sums[nps_index] == 15);  // 9 + 6 (NPS scale starts at 0)

  const auto* two = engine.find(std::uint64_t{2});
  REQUIRE(two != nullptr);
  const auto& s2 = two->get<cxm::satisfaction>();
  CHECK(s2.latest[cxm::satisfaction::survey(cxm::event_kind::csat_answer)] == 3);  // 4 − scale low 1
  CHECK(s2.latest[cxm::satisfaction::survey(cxm::event_kind::ces_answer)] == 5);   // 6 − scale low 1
  CHECK(two->get<cxm::activity>().count(cxm::event_kind::visit) == 1);

  const auto* three = engine.find(std::uint64_t{3});
  REQUIRE(three != nullptr);
  CHECK(three->get<cxm::satisfaction>().latest[nps_index] == 10);
  CHECK(three->get<cxm::spend>().purchase_amount == 0.0);

  // While the engine's format version is 1, this build writes the same bytes (customers are saved in
  // insertion order: 1, 2, 3).
  if constexpr (cxm::engine<>::format_version == 1) CHECK(cxm::io::save_state(engine) == image);
}

TEST_CASE("a version-1 tumbling<nps> image by month loads with its periods and sliding windows") {
  const auto image = read_image("tumbling_nps_month.bin");
  const auto monthly = cxm::io::load_state<cxm::tumbling<cxm::nps>>(image);
  CHECK(monthly.unit() == cxm::period_unit::month);
  const auto r = monthly.result();
  REQUIRE(r.periods.size() == 3);
  CHECK(r.periods[0].when.to_string() == "2026-09");
  CHECK(r.periods[0].result.net == 1.0);  // [10]
  CHECK(r.periods[1].when.to_string() == "2026-10");
  CHECK(r.periods[1].result.n == 2);      // [3, 9]
  CHECK(r.periods[1].result.net == 0.0);  // one promoter, one detractor
  CHECK(r.periods[2].when.to_string() == "2026-11");
  CHECK(r.periods[2].result.passives == 1);  // [7]
  CHECK(r.too_late == 0);
  // The last two months as of 2026-11-15: [3, 9, 7] → n 3, net (1 − 1)/3 = 0.
  const auto last_two = monthly.sliding(2, sys_days{2026y / November / 15}).result();
  CHECK(last_two.n == 3);
  CHECK(last_two.net == 0.0);
  if constexpr (cxm::tumbling<cxm::nps>::format_version == 1) CHECK(cxm::io::save_state(monthly) == image);
}
