// Tests for cxm::value::purchase_summary and btyd_summary (include/cxm/value/summary.hpp): hand-worked
// spans, a brute force from raw purchases, out-of-order arrival, merges, save/load, the strict reader of
// the CDNOW transaction files (tests/value/cdnow.hpp), and the CDNOW reduction of data/REFERENCE.md
// reproduced from the raw transactions through the engine.

#include "cxm/value/summary.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "value/cdnow.hpp"

namespace {

using namespace std::chrono;
using cxm::event_kind;
using cxm::value::btyd_summary;
using cxm::value::purchase_span;
using cxm::value::purchase_summary;

using summary_engine =
    cxm::engine<std::uint64_t, cxm::metric_list<btyd_summary>, cxm::metric_list<purchase_summary>>;

summary_engine make_engine(purchase_summary m = {}) {
  return summary_engine(cxm::engine_config{}, cxm::metric_list<btyd_summary>{}, cxm::metric_list{std::move(m)});
}

const cxm::timestamp day0 = sys_days{2024y / January / 1};
cxm::timestamp at_day(int d, int hour = 12) { return day0 + days{d} + hours{hour}; }

cxm::event<> purchase(std::uint64_t customer, cxm::timestamp t, double amount) {
  return {customer, t, event_kind::purchase, amount};
}

struct raw_purchase {
  std::uint64_t customer;
  int day;
  double amount;
};

/// The summary by brute force: distinct days per customer, amounts per day.
struct brute_summary {
  int first = 0, last = 0;
  std::size_t periods = 0;
  double first_amount = 0, total = 0;
};
std::map<std::uint64_t, brute_summary> brute_force(const std::vector<raw_purchase>& ps) {
  std::map<std::uint64_t, std::map<int, double>> by_day;
  for (const auto& p : ps) by_day[p.customer][p.day] += p.amount;
  std::map<std::uint64_t, brute_summary> out;
  for (const auto& [c, days_] : by_day) {
    brute_summary b;
    b.first = days_.begin()->first;
    b.last = days_.rbegin()->first;
    b.periods = days_.size();
    b.first_amount = days_.begin()->second;
    for (const auto& [d, a] : days_) b.total += a;
    out[c] = b;
  }
  return out;
}

std::vector<raw_purchase> random_purchases(std::mt19937_64& rng, std::size_t n, std::uint64_t customers, int span_days) {
  std::vector<raw_purchase> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({1 + rng() % customers, static_cast<int>(rng() % static_cast<std::uint64_t>(span_days)),
                   static_cast<double>(rng() % 10'000) / 100.0});
  return out;
}

void check_against_brute(const summary_engine& e, const std::vector<raw_purchase>& ps, cxm::timestamp as_of) {
  const auto expected = brute_force(ps);
  CHECK(e.customers().size() == expected.size());
  for (const auto& [c, b] : expected) {
    const auto r = e.customer(c)->result<purchase_summary>(as_of);
    REQUIRE(r.active);
    CHECK(r.history.x == static_cast<double>(b.periods - 1));
    CHECK(r.history.t_x == doctest::Approx((b.last - b.first) / 7.0).epsilon(1e-15));
    CHECK(r.first_amount == doctest::Approx(b.first_amount).epsilon(1e-12));
    CHECK(r.total_amount == doctest::Approx(b.total).epsilon(1e-12));
    CHECK_FALSE(r.ambiguous);
  }
}

}  // namespace

TEST_CASE("purchase_span: hand-worked days, same-day merging, a late first purchase") {
  purchase_span s;
  CHECK(s.empty());
  s.add(100, 10.0);
  s.add(100, 5.0);  // the same day: merged, amounts summed
  s.add(103, 7.0);
  s.add(110, 2.0);
  // Days 100 (15), 103 (7), 110 (2): 3 periods, x = 2, first amount 15, total 24, m̄ = (24 − 15) / 2 = 4.5.
  CHECK(s.periods == 3);
  CHECK(s.first == 100);
  CHECK(s.last == 110);
  CHECK(s.first_amount == 15.0);
  CHECK(s.amount == 24.0);
  CHECK(s.recent == ((1u << 10) | (1u << 7) | 1u));
  s.add(103, 1.0);  // late, into a counted day
  CHECK(s.periods == 3);
  s.add(98, 4.0);  // late, before the first: day 98 becomes the first, day 100's 15 becomes a repeat amount
  CHECK(s.periods == 4);
  CHECK(s.first == 98);
  CHECK(s.first_amount == 4.0);
  CHECK(s.amount == 29.0);
  CHECK(s.known_periods() == std::vector<std::uint32_t>{98, 100, 103, 110});

  // In weeks, as of day 112 (hour 12): x = 3, t_x = 12 days = 12/7 weeks, T = 14/7 = 2 weeks,
  // m̄ = (29 − 4) / 3.
  const purchase_summary m;
  purchase_summary::state st{s, {}};
  const auto r = m.result_at(st, cxm::timestamp{days{112} + hours{12}});
  CHECK(r.active);
  CHECK(r.history.x == 3.0);
  CHECK(r.history.t_x == doctest::Approx(12.0 / 7.0));
  CHECK(r.history.T == doctest::Approx(2.0));
  CHECK(r.mean_repeat_amount == doctest::Approx(25.0 / 3.0));
  CHECK_FALSE(r.includes_later_events);
  // As of day 105: the purchase of day 110 is later: flagged, T measured to it.
  const auto early = m.result_at(st, cxm::timestamp{days{105}});
  CHECK(early.includes_later_events);
  CHECK(early.history.T == doctest::Approx(12.0 / 7.0));
  // As of day 97: not yet a customer.
  CHECK_FALSE(m.result_at(st, cxm::timestamp{days{97}}).active);
}

TEST_CASE("purchase_span: a late purchase beyond the 64-day bitmap is counted as new and flagged") {
  purchase_span s;
  s.add(0, 1.0);
  s.add(200, 1.0);
  s.add(100, 1.0);  // 100 days before the latest, after the first: cannot be told apart
  CHECK(s.periods == 3);
  CHECK(s.ambiguous());
  purchase_span t;
  t.add(0, 1.0);
  t.add(200, 1.0);
  t.add(150, 1.0);  // within 63 days of the latest: exact
  t.add(150, 1.0);
  CHECK(t.periods == 3);
  CHECK_FALSE(t.ambiguous());
}

TEST_CASE("purchase_summary in the engine: random streams equal the brute force, in order and shuffled") {
  std::mt19937_64 rng(7);
  for (int span : {30, 64, 400}) {
    auto ps = random_purchases(rng, 3'000, 150, span);
    std::stable_sort(ps.begin(), ps.end(), [](const auto& a, const auto& b) { return a.day < b.day; });
    auto in_order = make_engine();
    for (const auto& p : ps) in_order.add(purchase(p.customer, at_day(p.day), p.amount));
    const auto as_of = at_day(span + 1);
    check_against_brute(in_order, ps, as_of);
    // Shuffled with a bounded delay: each purchase arrives at most 60 days after its time.
    auto late = ps;
    std::vector<std::pair<double, std::size_t>> arrival;
    for (std::size_t i = 0; i < late.size(); ++i)
      arrival.push_back({late[i].day + static_cast<double>(rng() % 61), i});
    std::sort(arrival.begin(), arrival.end());
    auto shuffled = make_engine();
    for (const auto& [_, i] : arrival) shuffled.add(purchase(late[i].customer, at_day(late[i].day), late[i].amount));
    check_against_brute(shuffled, ps, as_of);
    // The period counts are exact; the amounts are sums in another order.
    CHECK(shuffled.same_figures(in_order, 1e-12));
  }
}

TEST_CASE("purchase_summary: a k-way split by customer merged in random order equals one pass") {
  std::mt19937_64 rng(11);
  const auto ps = random_purchases(rng, 5'000, 300, 500);
  auto whole = make_engine();
  for (const auto& p : ps) whole.add(purchase(p.customer, at_day(p.day), p.amount));
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t k = 2 + rng() % 5;
    std::vector<summary_engine> parts(k, make_engine());
    for (const auto& p : ps) parts[p.customer % k].add(purchase(p.customer, at_day(p.day), p.amount));
    std::vector<std::size_t> order(k);
    for (std::size_t i = 0; i < k; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    auto merged = make_engine();
    for (const auto i : order) merged.merge(parts[i]);
    CHECK(merged.same_figures(whole, 1e-12));
    const auto r = merged.report(at_day(501));
    CHECK(r.customers_merged_from_both_sides == 0);
    CHECK(r.get<btyd_summary>().patterns == whole.report(at_day(501)).get<btyd_summary>().patterns);
  }
}

TEST_CASE("purchase_summary: the same customer in two merged parts: exact within the bitmap, else flagged") {
  // Same-day purchases of one customer in two parts: the day is counted once, the amounts add.
  auto a = make_engine(), b = make_engine();
  a.add(purchase(1, at_day(0, 9), 10.0));
  a.add(purchase(1, at_day(5, 9), 3.0));
  b.add(purchase(1, at_day(5, 18), 4.0));  // day 5 again, in the other part
  b.add(purchase(1, at_day(20), 6.0));
  auto ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  const auto as_of = at_day(30);
  for (const auto* e : {&ab, &ba}) {
    const auto r = e->customer(1u)->result<purchase_summary>(as_of);
    CHECK(r.history.x == 2.0);  // days 0, 5, 20
    CHECK(r.total_amount == 23.0);
    CHECK(r.mean_repeat_amount == 6.5);  // (23 − 10) / 2
    CHECK_FALSE(r.ambiguous);
    CHECK(e->report(as_of).customers_merged_from_both_sides == 1);
  }
  CHECK(ab.same_figures(ba, 0.0));
  // Spans longer than the bitmap that overlap: the count cannot be proved; flagged and counted.
  auto c = make_engine(), d = make_engine();
  c.add(purchase(2, at_day(0), 1.0));
  c.add(purchase(2, at_day(100), 1.0));
  d.add(purchase(2, at_day(10), 1.0));
  d.add(purchase(2, at_day(200), 1.0));
  c.merge(d);
  const auto r = c.customer(2u)->result<purchase_summary>(at_day(201));
  CHECK(r.ambiguous);
  CHECK(r.history.x == 3.0);  // days 0, 10, 100, 200: the assumption of disjoint unknown periods holds here
  CHECK(c.report(at_day(201)).get<btyd_summary>().ambiguous == 1);
}

TEST_CASE("purchase_summary: calibration and holdout by date") {
  auto e = make_engine(purchase_summary{}.calibration_until(at_day(30, 0)));
  e.add(purchase(1, at_day(0), 10.0));
  e.add(purchase(1, at_day(14), 20.0));
  e.add(purchase(1, at_day(31), 5.0));   // holdout
  e.add(purchase(1, at_day(31), 5.0));   // holdout, the same day
  e.add(purchase(1, at_day(40), 1.0));   // holdout
  e.add(purchase(2, at_day(35), 8.0));   // first purchase in the holdout: not in the cohort
  // As of day 50: calibration evaluated at the last instant of day 29: x = 1, t_x = 2, T = 29/7 weeks.
  const auto r = e.customer(1u)->result<purchase_summary>(at_day(50));
  CHECK(r.history.x == 1.0);
  CHECK(r.history.t_x == doctest::Approx(2.0));
  CHECK(r.history.T == doctest::Approx(29.0 / 7.0));
  CHECK(r.mean_repeat_amount == 20.0);
  CHECK(r.holdout_periods == 2);
  CHECK(r.holdout_amount == 11.0);
  CHECK(r.evaluated_at == at_day(30, 0) - milliseconds{1});
  CHECK_FALSE(r.includes_later_events);
  const auto s = e.report(at_day(50)).get<btyd_summary>();
  CHECK(s.customers == 1);
  CHECK(s.holdout_only == 1);
  CHECK(s.holdout_repeat_purchases == 2);
  CHECK(s.histories.size() == 1);
  // As of day 35, the holdout purchase of day 40 is later: flagged and excluded.
  CHECK(e.customer(1u)->result<purchase_summary>(at_day(35)).includes_later_events);
  CHECK(e.report(at_day(35)).get<btyd_summary>().later_events == 1);
}

TEST_CASE("purchase_summary: parameters validated, saved, compared at merge and load") {
  CHECK_THROWS_WITH_AS((void)purchase_summary(cxm::period_unit::month),  // (void): not a declaration
                       "metric 'purchase_summary': parameter 'period' must be day or iso_week, got month",
                       std::invalid_argument);
  CHECK_THROWS_AS(purchase_summary(cxm::period_unit::day, seconds{0}), std::invalid_argument);
  auto weekly = make_engine(purchase_summary(cxm::period_unit::iso_week));
  auto daily = make_engine();
  CHECK_THROWS_AS(daily.merge(weekly), std::invalid_argument);
  weekly.add(purchase(1, at_day(0), 2.0));
  weekly.add(purchase(1, at_day(1), 3.0));  // Monday 2024-01-01 and Tuesday: the same ISO week
  CHECK(weekly.customer(1u)->result<purchase_summary>(at_day(9)).history.x == 0.0);
  const auto bytes = cxm::io::save_state(weekly);
  const auto back = cxm::io::load_state<summary_engine>(bytes);
  CHECK(back.same_figures(weekly, 0.0));
  CHECK(back.metric<purchase_summary>().period == cxm::period_unit::iso_week);
  // A purchase kind without an amount is refused when the engine is configured.
  cxm::engine_config no_amount;
  no_amount.kinds.set(event_kind::purchase, cxm::value_kind::quantity);
  CHECK_THROWS_AS(summary_engine(no_amount, cxm::metric_list<btyd_summary>{}, cxm::metric_list<purchase_summary>{}),
                  std::invalid_argument);
}

TEST_CASE("purchase_span: save -> load; every corrupted field is a format_error") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    purchase_span s;
    const int n = static_cast<int>(rng() % 20);
    for (int j = 0; j < n; ++j) s.add(static_cast<std::uint32_t>(1000 + rng() % 300), static_cast<double>(rng() % 100));
    cxm::io::writer w;
    s.save(w);
    cxm::io::reader r(w.bytes());
    CHECK(purchase_span::load(r, "span") == s);
  }
  const auto load = [](purchase_span s) {
    cxm::io::writer w;
    s.save(w);
    cxm::io::reader r(w.bytes());
    return purchase_span::load(r, "span");
  };
  purchase_span ok;
  ok.add(10, 5.0);
  ok.add(12, 1.0);
  CHECK(load(ok) == ok);
  auto bad = ok;
  bad.periods = 3;  // only two periods marked
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.first = 13;
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.recent = 0b1000;  // a mark before the first period
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.recent = 0b100;  // the latest period not marked
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.flags = 2;
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.amount = -1.0;
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.first_amount = 7.0;  // more than the total
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  bad = ok;
  bad.amount = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(load(bad), cxm::format_error);
  purchase_span empty_with_amount;
  empty_with_amount.amount = 1.0;
  CHECK_THROWS_AS(load(empty_with_amount), cxm::format_error);
  // A holdout period before the calibration end, loaded into an engine whose metric has one.
  const purchase_summary m = purchase_summary{}.calibration_until(cxm::timestamp{days{100}});
  purchase_summary::state st;
  st.holdout.add(50, 1.0);
  cxm::io::writer w;
  m.save(st, w);
  cxm::io::reader r(w.bytes());
  CHECK_THROWS_AS((void)m.load(r, 1), cxm::format_error);
}

namespace {
/// A file under the temporary directory holding `contents` byte for byte, removed with the object.
struct temporary_file {
  std::filesystem::path path;
  explicit temporary_file(std::string_view contents)
      : path(std::filesystem::temp_directory_path() / ("cxm_cdnow_" + std::to_string(std::random_device{}()) + ".txt")) {
    std::ofstream(path, std::ios::binary) << contents;
  }
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  ~temporary_file() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

std::vector<cxm::event<>> read_cdnow(std::string_view contents, cxm_test::cdnow_format format) {
  const temporary_file file(contents);
  return cxm_test::read_cdnow_purchases(file.path.string(), format);
}

/// What read_cdnow_purchases throws for `contents`, after the file's path (checked); "" if it reads.
std::string cdnow_error(std::string_view contents, cxm_test::cdnow_format format) {
  const temporary_file file(contents);
  try {
    (void)cxm_test::read_cdnow_purchases(file.path.string(), format);
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    REQUIRE(what.starts_with(file.path.string()));
    return what.substr(file.path.string().size());
  }
  return "";
}
}  // namespace

TEST_CASE("read_cdnow_purchases: each row of CDNOW_sample.txt is a purchase by sample_id at 00:00 UTC") {
  // 1997-01-01 is day 27 * 365 + 7 (the leap days of 1972 .. 1996) = 9,862 of the Unix epoch;
  // 1997-03-12 is 9,862 + 31 (January) + 28 (February) + 11 = 9,932.
  const auto events = read_cdnow(" 00004  0001 19970101  2  29.33\r\n 00018  0002 19970312  1  14.96\r\n",
                                 cxm_test::cdnow_format::sample);
  const std::vector<cxm::event<>> expected{{1, sys_days{days{9'862}}, event_kind::purchase, 29.33},
                                           {2, sys_days{days{9'932}}, event_kind::purchase, 14.96}};
  CHECK(events == expected);
}

TEST_CASE("read_cdnow_purchases: CDNOW_master.txt after its header; blank lines and a last line without CRLF") {
  // 1997-01-12 is 9,862 + 11 = 9,873 (the case above).
  const auto events = read_cdnow(" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1  11.77\r\n\r\n"
                                 " 00002 19970112  1  12.00",
                                 cxm_test::cdnow_format::master);
  const std::vector<cxm::event<>> expected{{1, sys_days{days{9'862}}, event_kind::purchase, 11.77},
                                           {2, sys_days{days{9'873}}, event_kind::purchase, 12.0}};
  CHECK(events == expected);
}

TEST_CASE("read_cdnow_purchases: a row that does not parse is an error naming the file and the line") {
  using cxm_test::cdnow_format;
  const std::string good = " 00004  0001 19970101  2  29.33\r\n";
  // Line 3 (the blank line 2 counts) has 4 fields.
  CHECK(cdnow_error(good + "\r\n 00019  0003 19970102  2\r\n" + good, cdnow_format::sample) ==
        ":3: 4 fields, expected 5 (master_id sample_id YYYYMMDD cds dollars)");
  CHECK(cdnow_error(good + good + " 00019  0003 19970102  2  2x.33\r\n", cdnow_format::sample) ==
        ":3: the dollar amount is not a finite number >= 0");
  CHECK(cdnow_error(good + " 00019  0003 19970102  2  inf\r\n", cdnow_format::sample) ==
        ":2: the dollar amount is not a finite number >= 0");
  CHECK(cdnow_error(good + " 00019  -3 19970102  2  1.00\r\n", cdnow_format::sample) ==
        ":2: the customer id is not a whole number");
  CHECK(cdnow_error(good + " 00019  0003 19970231  2  1.00\r\n", cdnow_format::sample) ==
        ":2: the date is not a calendar day as YYYYMMDD");
  CHECK(cdnow_error(good + " 00019  0003 1997-1-2  2  1.00\r\n", cdnow_format::sample) ==
        ":2: the date is not a calendar day as YYYYMMDD");
  CHECK(cdnow_error(good + " 00019  0003 19970102  two  1.00\r\n", cdnow_format::sample) ==
        ":2: the number of CDs is not a whole number");
  // The master format: the header is required, and a sample row has one field too many.
  CHECK(cdnow_error(" 00001 19970101  1  11.77\r\n", cdnow_format::master) ==
        ":1: expected the header `customer_id date number_of_cds dollar_value`");
  CHECK(cdnow_error("", cdnow_format::master) == ": no header line `customer_id date number_of_cds dollar_value`");
  CHECK(cdnow_error("customer_id date number_of_cds dollar_value\r\n" + good, cdnow_format::master) ==
        ":2: 5 fields, expected 4 (customer_id YYYYMMDD cds dollars)");
  CHECK_THROWS_WITH_AS((void)cxm_test::read_cdnow_purchases("/nonexistent/CDNOW_sample.txt", cdnow_format::sample),
                       "cannot open /nonexistent/CDNOW_sample.txt", std::runtime_error);
}

TEST_CASE("purchase_summary reproduces the CDNOW summary of data/REFERENCE.md from the raw transactions") {
  const auto events =
      cxm_test::read_cdnow_purchases(cxm_test::data_path("CDNOW_sample.txt"), cxm_test::cdnow_format::sample);
  REQUIRE(events.size() == 6'919);
  const cxm::timestamp calibration_end = sys_days{1997y / October / 1};
  const auto metric = purchase_summary(cxm::period_unit::day, weeks{1}).calibration_until(calibration_end);
  auto e = make_engine(metric);
  for (const auto& ev : events) e.add(ev);
  const cxm::timestamp as_of = sys_days{1998y / July / 1};
  const auto rows = cxm_test::read_numeric_csv("cdnow_customers_summary_with_transactions.csv");
  REQUIRE(rows.size() == 2'357);
  for (const auto& row : rows) {
    const auto r = e.customer(static_cast<std::uint64_t>(row[0]))->result<purchase_summary>(as_of);
    INFO("customer ", row[0]);
    CHECK(r.history.x == row[1]);
    CHECK(std::abs(r.history.t_x - row[2]) <= 0.005 + 1e-9);  // the file is rounded to 2 decimals
    CHECK(std::abs(r.history.T - row[3]) <= 0.005 + 1e-9);
    CHECK(std::abs(r.mean_repeat_amount - row[4]) <= 0.005 + 1e-9);
  }
  const auto s = e.report(as_of).get<btyd_summary>();
  CHECK(s.customers == 2'357);
  CHECK(s.repeaters == 946);
  CHECK(s.repeat_purchases == 2'457);
  CHECK(s.holdout_repeat_purchases == 1'882);  // REFERENCE.md: 1,882 repeat purchase days in the holdout
  CHECK(s.patterns.size() == 1'016);            // the 1,016 distinct (x, t_x, T) patterns
  CHECK(cxm::value::total_weight<cxm::value::purchase_history>(s.patterns) == 2'357.0);
  CHECK(s.spend.size() == 946);
  CHECK(s.zero_spend_repeaters == 0);
  double mean = 0;
  for (const auto& h : s.spend) mean += h.mean_spend;
  mean /= static_cast<double>(s.spend.size());
  // REFERENCE.md: the mean of m̄ over the 946 repeaters is 35.078551797 (1e-6) for the file's values,
  // which are rounded to cents: the file's own mean to 1e-6, ours (unrounded) to half a cent.
  double file_mean = 0;
  for (const auto& row : rows) file_mean += row[1] > 0 ? row[4] / 946.0 : 0.0;
  CHECK(std::abs(file_mean - 35.078551797) < 1e-6);
  CHECK(std::abs(mean - 35.078551797) < 0.005);
  CHECK(s.later_events == 0);
  CHECK(s.ambiguous == 0);
  // The same reduction from a 4-way split by customer, merged.
  std::vector<summary_engine> parts(4, make_engine(metric));
  for (const auto& ev : events) parts[ev.customer % 4].add(ev);
  auto merged = make_engine(metric);
  for (auto& p : parts) merged.merge(p);
  CHECK(merged.same_figures(e, 1e-12));
  CHECK(merged.report(as_of).get<btyd_summary>().patterns == s.patterns);
}

TEST_CASE("purchase_summary: negative or NaN amounts never reach the summary (the engine rejects them)") {
  auto e = make_engine();
  e.add(purchase(1, at_day(0), 10.0));
  CHECK_THROWS_AS(e.add(purchase(1, at_day(1), -5.0)), cxm::invalid_event);
  CHECK_THROWS_AS(e.add(purchase(1, at_day(2), std::numeric_limits<double>::quiet_NaN())), cxm::invalid_event);
  CHECK_THROWS_AS(e.add(purchase(1, at_day(3), std::numeric_limits<double>::infinity())), cxm::invalid_event);
  const auto r = e.customer(1u)->result<purchase_summary>(at_day(10));
  CHECK(r.history.x == 0.0);
  CHECK(r.total_amount == 10.0);
  CHECK(e.report(at_day(10)).rejected.total == 3);
  // Direct use without the engine checks the amount itself.
  purchase_summary::state s;
  CHECK_THROWS_AS(purchase_summary{}.add(s, at_day(0), -1.0), std::invalid_argument);
  CHECK(s == purchase_summary::state{});
}
