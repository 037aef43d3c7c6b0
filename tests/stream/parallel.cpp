// Tests for parallel ingest (include/cxm/stream/parallel.hpp): one engine per thread, the events
// partitioned by customer, merged, equals the sequential pass; every part starts from the
// configuration or the prototype engine given; errors on workers are rethrown; policies are copied
// into each worker.

#include "cxm/stream/parallel.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"

namespace {

using cxm::event_kind;

/// A host's own kinds, numbered its own way: a cast to cxm::event_kind would make them purchase,
/// refund and visit.
enum class web_kind { page_view, order, refund };

struct web_event {
  std::string session_user;
  std::int64_t unix_ms;
  web_kind kind;
  double amount;
};

}  // namespace

TEST_CASE("parallel_ingest with 1, 2 and 4 threads equals the sequential pass") {
  const cxm::test::stream_spec spec;  // 100 000 events, 10 000 customers
  const auto events = cxm::test::random_stream(spec);
  const auto config = cxm::test::config_for(spec);
  cxm::engine<> sequential(config);
  sequential.add(events);
  for (const unsigned threads : {1u, 2u, 4u}) {
    CAPTURE(threads);
    const auto parallel = cxm::parallel_ingest<cxm::engine<>>(events, threads, config);
    cxm::test::same_engine(parallel, sequential, spec.to);
    cxm::test::same_engine(parallel, sequential, cxm::from_unix_ms(1'719'792'000'000));  // 2024-07-01
    CHECK(parallel.result().as_of == sequential.result().as_of);
    CHECK(parallel.result().watermark == sequential.result().watermark);
    CHECK(parallel.config() == config);
    // parallel_ingest partitions the events by customer (events/metric.hpp, "Exact merges"): no merge
    // meets a customer on both sides.
    CHECK(parallel.result().customers_merged_from_both_sides == 0);
    if (threads == 1) CHECK(parallel == sequential);  // the same additions in the same order: bit for bit
  }
}

TEST_CASE("parallel_ingest reads host types through a projection") {
  std::vector<web_event> rows;
  std::size_t views = 0, orders = 0, refunds = 0;
  for (int i = 0; i < 5'000; ++i) {
    const auto kind = static_cast<web_kind>(i % 3);
    rows.push_back({"user-" + std::to_string(i % 300), 1'700'000'000'000 + std::int64_t{i} * 1'000, kind,
                    kind == web_kind::page_view ? 0.0 : 0.25 * (i % 17)});
    ++(kind == web_kind::page_view ? views : kind == web_kind::order ? orders : refunds);
  }
  const cxm::kind_map<web_kind> kinds{{web_kind::page_view, event_kind::visit},
                                      {web_kind::order, event_kind::purchase},
                                      {web_kind::refund, event_kind::refund}};
  const auto proj = cxm::projection{[](const web_event& e) -> std::string_view { return e.session_user; },
                                    [](const web_event& e) { return cxm::from_unix_ms(e.unix_ms); },
                                    [&kinds](const web_event& e) { return kinds(e.kind); },
                                    [](const web_event& e) { return e.amount; }};
  cxm::engine<std::string> sequential;
  CHECK(sequential.add(rows, proj) == rows.size());
  const auto parallel = cxm::parallel_ingest<cxm::engine<std::string>>(rows, 4, {}, proj);
  const auto as_of = cxm::from_unix_ms(1'700'000'005'000);
  cxm::test::same_engine(parallel, sequential, as_of);
  CHECK(parallel.customers().size() == 300);
  // Each host kind reached the cxm kind it is mapped to.
  const auto r = parallel.report(as_of);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::visit)] == views);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == orders);
  CHECK(r.events_by_kind[static_cast<std::size_t>(event_kind::refund)] == refunds);
  // user-1's rows are i = 1, 301, 601, ... (i % 300 == 1): all orders, 300 being a multiple of 3, of
  // 0.25 · (i % 17) each.
  double bought = 0.0;
  for (std::size_t i = 1; i < rows.size(); i += 300) {
    REQUIRE(rows[i].kind == web_kind::order);
    bought += rows[i].amount;
  }
  const auto user_1 = parallel.customer("user-1");
  REQUIRE(user_1.has_value());
  const auto spend = user_1->result<cxm::spend>(as_of);
  CXM_CHECK_CLOSE(spend.purchase_amount, bought);
  CHECK(spend.refund_amount == 0.0);
  CHECK(user_1->result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 17);
}

TEST_CASE("parallel_ingest starts every part from a prototype engine's configuration and metric instances") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 2'000;
  const auto events = cxm::test::random_stream(spec);
  const cxm::engine_config config = cxm::test::config_for(spec);
  // The satisfied set and the active window are parameters of the metric instances, not of the config.
  cxm::engine<> prototype(config, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{5}}, cxm::ces_answers{6},
                                                   cxm::active_customers{std::chrono::days{90}}});
  // The prototype's own data is not copied into the parts.
  prototype.add(cxm::event<>{1, spec.from, event_kind::purchase, 1'000.0});
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(events, 4, prototype);
  CHECK(parallel.config() == config);
  CHECK(parallel.metric<cxm::csat_answers>().satisfied == std::vector<int>{5});
  CHECK(parallel.metric<cxm::ces_answers>().threshold == 6);
  CHECK(parallel.metric<cxm::active_customers>().window == std::chrono::days{90});

  cxm::engine<> sequential(config, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{5}}, cxm::ces_answers{6},
                                                    cxm::active_customers{std::chrono::days{90}}});
  sequential.add(events);
  cxm::test::same_engine(parallel, sequential, spec.to);
  const auto r = parallel.report(spec.to);
  CHECK(r.events == events.size());
  CHECK(r.get<cxm::active_customers>().window == std::chrono::days{90});
  const auto reference = cxm::test::reference_customers(events);
  CHECK(r.get<cxm::active_customers>().active == cxm::test::reference_active(reference, spec.to, std::chrono::days{90}));
  std::uint64_t fives = 0, easy = 0;
  for (const auto& e : events) {
    fives += e.kind == event_kind::csat_answer && e.value == 5.0 ? 1u : 0u;
    easy += e.kind == event_kind::ces_answer && e.value >= 6.0 ? 1u : 0u;
  }
  CHECK(r.get<cxm::csat_answers>().satisfied == fives);
  CHECK(r.get<cxm::ces_answers>().easy == easy);
  // Merging it with an engine of the default instances is refused: the parameters differ.
  CHECK_THROWS_AS(cxm::engine<>(config).merge(parallel), std::invalid_argument);
}

TEST_CASE("parallel_ingest with more threads than events, or no events, still gives the sequential result") {
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  const std::vector<cxm::event<>> three{{1, t, event_kind::visit, 0.0}, {2, t, event_kind::purchase, 9.5},
                                        {1, t, event_kind::nps_answer, 10}};
  cxm::engine<> sequential;
  sequential.add(three);
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(three, 8);
  CHECK(parallel == sequential);  // the sums have one term each
  CHECK(parallel.result().customers_merged_from_both_sides == 0);  // customer 1's two events: one part

  const std::vector<cxm::event<>> none;
  CHECK(cxm::parallel_ingest<cxm::engine<>>(none, 4) == cxm::engine<>{});
  CHECK_THROWS_AS(cxm::parallel_ingest<cxm::engine<>>(three, 0), std::invalid_argument);
}

TEST_CASE("A bad event on a worker is rethrown as cxm::invalid_event after every worker has stopped") {
  cxm::test::stream_spec spec;
  spec.events = 10'000;
  spec.customers = 500;
  auto events = cxm::test::random_stream(spec);
  events[7'777] = {1, cxm::from_unix_ms(1'700'000'000'000), event_kind::purchase,
                   std::numeric_limits<double>::quiet_NaN()};
  CHECK_THROWS_WITH_AS(cxm::parallel_ingest<cxm::engine<>>(events, 4, cxm::test::config_for(spec)),
                       "engine: purchase amount nan is not finite (allowed: a finite number >= 0) (customer 1)",
                       cxm::invalid_event);
}

TEST_CASE("Under skip_invalid every worker counts and reports its rejections") {
  cxm::test::stream_spec spec;
  spec.events = 10'000;
  spec.customers = 500;
  auto events = cxm::test::random_stream(spec);
  // Five bad events spread over the parts: two NaN amounts, one nps score 11, one csat score 4.5, one
  // unknown kind.
  const auto t = cxm::from_unix_ms(1'704'067'200'000);  // 2024-01-01, within the stream
  const double not_a_number = std::numeric_limits<double>::quiet_NaN();
  events[10] = {1, t, event_kind::purchase, not_a_number};
  events[3'000] = {2, t, event_kind::refund, not_a_number};
  events[6'000] = {3, t, event_kind::nps_answer, 11};
  events[8'000] = {5, t, event_kind::csat_answer, 4.5};
  events[9'999] = {4, t, static_cast<event_kind>(30), 0.0};

  std::atomic<int> calls{0};
  const cxm::skip_invalid policy{[&calls](const cxm::event<>&, const cxm::rejection&) { ++calls; }};
  const auto config = cxm::test::config_for(spec);
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(events, 4, config, cxm::traits_projection{}, policy);
  CHECK(calls.load() == 5);
  const auto r = parallel.report(spec.to);
  CHECK(r.rejected.total == 5);
  CHECK(r.rejected[cxm::rejection_reason::amount_not_finite] == 2);
  CHECK(r.rejected[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(r.rejected[cxm::rejection_reason::score_not_whole] == 1);
  CHECK(r.rejected[cxm::rejection_reason::unknown_kind] == 1);
  CHECK(r.events == 10'000 - 5);

  cxm::engine<> sequential(config);
  CHECK(sequential.add(events, cxm::traits_projection{}, cxm::skip_invalid{}) == 10'000 - 5);
  cxm::test::same_engine(parallel, sequential, spec.to);
}
