// Saved images of the event-stream types at format version 1 (tests/data/v1, written once by
// tests/data/make_v1_stream_images.cpp from the inputs documented in tests/data/README.md) load in this
// build with exactly the results worked out by hand from those inputs. These tests stay forever.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/io/reader.hpp"
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

}  // namespace

TEST_CASE("a version-1 engine<> image loads with the per-customer and global figures of its inputs") {
  const auto image = read_image("engine_default.bin");
  const auto engine = cxm::io::load_state<cxm::engine<>>(image);
  CHECK(engine.config() == cxm::engine_config{});

  // 10 accepted events; the purchase of -1 was rejected (amount_negative) and created no customer.
  const auto as_of = day1 + days{30};
  const auto r = engine.report(as_of);
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
  CHECK(r.saturated_customers == 0);
  CHECK(r.customers_merged_from_both_sides == 0);
  // The latest event is customer 1's NPS answer of day 20.
  CHECK(r.watermark == day1 + days{20});
  CHECK_FALSE(r.includes_later_events);
  // Last activity: customer 1 on day 20, customer 2 on day 2, customer 3 on day 10 (day 0 = Oct 1):
  // all within the 30 days before Oct 31.
  CHECK(r.get<cxm::active_customers>().active == 3);
  CHECK(r.get<cxm::active_customers>().window == days{30});
  // Within the 10 days before Oct 26 only customer 1: a version-1 image saved no metric parameters, so
  // it loads with the metric instances of a prototype engine (here a 10-day active_customers window).
  {
    const cxm::engine<> ten_days({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                                      cxm::active_customers{days{10}}});
    const std::span<const std::byte> all(image);
    cxm::io::reader payload(all.subspan(cxm::io::state_header_size,
                                        all.size() - cxm::io::state_header_size - cxm::io::state_trailer_size),
                            1);
    const auto windowed = cxm::engine<>::load(payload, ten_days);
    const auto active = windowed.report(day1 + days{25}).get<cxm::active_customers>();
    CHECK(active.active == 1);
    CHECK(active.window == days{10});
  }

  // Global NPS: answers 9, 6, 10 → 2 promoters, 1 detractor of 3: net 1/3.
  const auto& nps = r.get<cxm::nps_answers>();
  CHECK(nps.n == 3);
  CHECK(nps.promoters == 2);
  CHECK(nps.detractors == 1);
  CXM_CHECK_CLOSE(nps.net, 1.0 / 3.0);
  CHECK(r.get<cxm::csat_answers>().satisfied == 1);  // one answer, 4 on 1..5
  CHECK(r.get<cxm::ces_answers>().easy == 1);        // one answer, 6 >= 5

  const auto one = engine.customer(std::uint64_t{1});
  REQUIRE(one.has_value());
  const auto a1 = one->result<cxm::activity>(as_of);
  CHECK(a1.first_seen == day1 + hours{9});
  CHECK(a1.last_seen == day1 + days{20});
  CHECK(a1.events_by_kind[static_cast<std::size_t>(cxm::event_kind::purchase)] == 2);
  CHECK(a1.events_by_kind[static_cast<std::size_t>(cxm::event_kind::refund)] == 1);
  CHECK(a1.events_by_kind[static_cast<std::size_t>(cxm::event_kind::signup)] == 1);
  CHECK(a1.events_by_kind[static_cast<std::size_t>(cxm::event_kind::nps_answer)] == 2);
  CHECK(a1.events == 6);
  CHECK_FALSE(a1.saturated);
  const auto spend1 = one->result<cxm::spend>(as_of);
  CHECK(spend1.purchase_amount == 60.0);  // 40 + 20
  CHECK(spend1.refund_amount == 5.0);
  CHECK(spend1.net == 55.0);
  const auto s1 = one->result<cxm::satisfaction>(as_of);
  CHECK(s1.nps.answers == 2);
  CHECK(s1.nps.latest == 6);  // the answer of day 20, not the 9 of day 5
  CHECK(s1.nps.latest_time == day1 + days{20});
  CHECK(s1.nps.mean == 7.5);  // (9 + 6) / 2: the saved sum 15 over the two answers
  CHECK_FALSE(s1.csat.latest.has_value());
  CHECK_FALSE(s1.includes_later_events);

  const auto two = engine.customer(std::uint64_t{2});
  REQUIRE(two.has_value());
  const auto s2 = two->result<cxm::satisfaction>(as_of);
  CHECK(s2.csat.latest == 4);  // saved as 3, the score minus the scale's low end 1
  CHECK(s2.ces.latest == 6);   // saved as 5
  CHECK(s2.csat.latest_time == day1 + days{2});
  CHECK_FALSE(s2.nps.latest.has_value());
  CHECK(two->result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(cxm::event_kind::visit)] == 1);

  const auto three = engine.customer(std::uint64_t{3});
  REQUIRE(three.has_value());
  CHECK(three->result<cxm::satisfaction>(as_of).nps.latest == 10);
  CHECK(three->result<cxm::spend>(as_of).purchase_amount == 0.0);
  // As of day 5 customer 3 (first seen on day 10) is not yet known.
  CHECK_FALSE(three->result<cxm::activity>(day1 + days{5}).first_seen.has_value());

  // This build saves at version 2 (per-metric frames); the version-2 image of the loaded engine loads
  // back to the same engine.
  static_assert(cxm::engine<>::format_version == 2);
  CHECK(cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(engine)) == engine);
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
