// Tests for parallel ingest (include/cxm/stream/parallel.hpp): one engine per thread, merged, equals
// the sequential pass; errors on workers are rethrown; policies are copied into each worker.

#include "cxm/stream/parallel.hpp"

#include <atomic>
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

struct web_event {
  std::string session_user;
  std::int64_t unix_ms;
  int kind;
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
    cxm::test::same_engine(parallel, sequential, cxm::from_unix_ms(1'719'792'000'000));
    CHECK(parallel.result().as_of == sequential.result().as_of);
    CHECK(parallel.config() == config);
    if (threads == 1) CHECK(parallel == sequential);  // the same additions in the same order: bit for bit
  }
}

TEST_CASE("parallel_ingest reads host types through a projection") {
  std::vector<web_event> rows;
  for (int i = 0; i < 5'000; ++i) {
    rows.push_back({"user-" + std::to_string(i % 300), 1'700'000'000'000 + std::int64_t{i} * 1'000, i % 3,
                    i % 3 == 0 ? 0.25 * (i % 17) : 0.0});
  }
  // kind 0 purchase, 1 refund, 2 visit
  const auto proj = cxm::projection{[](const web_event& e) -> std::string_view { return e.session_user; },
                                    [](const web_event& e) { return cxm::from_unix_ms(e.unix_ms); },
                                    [](const web_event& e) { return static_cast<event_kind>(e.kind); },
                                    [](const web_event& e) { return e.amount; }};
  cxm::engine<std::string> sequential;
  CHECK(sequential.add(rows, proj) == rows.size());
  const auto parallel = cxm::parallel_ingest<cxm::engine<std::string>>(rows, 4, {}, proj);
  cxm::test::same_engine(parallel, sequential, cxm::from_unix_ms(1'700'000'005'000));
  CHECK(parallel.customers().size() == 300);
}

TEST_CASE("parallel_ingest with more threads than events, or no events, still gives the sequential result") {
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  const std::vector<cxm::event<>> three{{1, t, event_kind::visit, 0.0}, {2, t, event_kind::purchase, 9.5},
                                        {1, t, event_kind::nps_answer, 10}};
  cxm::engine<> sequential;
  sequential.add(three);
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(three, 8);
  CHECK(parallel == sequential);  // each event on its own worker; the sums have one term each

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
  CHECK_THROWS_AS(cxm::parallel_ingest<cxm::engine<>>(events, 4, cxm::test::config_for(spec)), cxm::invalid_event);
}

TEST_CASE("Under skip_invalid_events every worker counts and reports its rejections") {
  cxm::test::stream_spec spec;
  spec.events = 10'000;
  spec.customers = 500;
  auto events = cxm::test::random_stream(spec);
  // Four bad events spread over the parts: two NaN amounts, one nps score 11, one unknown kind.
  const auto t = cxm::from_unix_ms(1'700'000'000'000);
  const double not_a_number = std::numeric_limits<double>::quiet_NaN();
  events[10] = {1, t, event_kind::purchase, not_a_number};
  events[3'000] = {2, t, event_kind::refund, not_a_number};
  events[6'000] = {3, t, event_kind::nps_answer, 11};
  events[9'999] = {4, t, static_cast<event_kind>(30), 0.0};

  std::atomic<int> calls{0};
  const cxm::skip_invalid_events policy{[&calls](const cxm::event<>&, const cxm::rejection&) { ++calls; }};
  const auto config = cxm::test::config_for(spec);
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(events, 4, config, cxm::traits_projection{}, policy);
  CHECK(calls.load() == 4);
  const auto r = parallel.report(spec.to);
  CHECK(r.rejected.total == 4);
  CHECK(r.rejected[cxm::rejection_reason::amount_not_finite] == 2);
  CHECK(r.rejected[cxm::rejection_reason::score_out_of_scale] == 1);
  CHECK(r.rejected[cxm::rejection_reason::unknown_kind] == 1);
  CHECK(r.events == 10'000 - 4);

  cxm::engine<> sequential(config);
  CHECK(sequential.add(events, cxm::traits_projection{}, cxm::skip_invalid_events{}) == 10'000 - 4);
  cxm::test::same_engine(parallel, sequential, spec.to);
}
