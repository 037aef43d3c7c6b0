#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <vector>
#include <cxm/stream/parallel.hpp>

int main() {
  std::mt19937_64 rng(7);
  std::vector<cxm::event<>> events;
  for (int i = 0; i < 400'000; ++i) {
    const auto kind = static_cast<cxm::event_kind>(rng() % cxm::builtin_kind_count);
    double value = 0;
    if (kind == cxm::event_kind::purchase || kind == cxm::event_kind::refund) value = double(rng() % 10'000) / 100;
    if (kind == cxm::event_kind::nps_answer) value = double(rng() % 11);
    if (kind == cxm::event_kind::csat_answer) value = double(1 + rng() % 5);
    if (kind == cxm::event_kind::ces_answer) value = double(1 + rng() % 7);
    events.push_back({rng() % 50'000, cxm::from_unix_ms(1'700'000'000'000 + std::int64_t(rng() % 10'000'000'000)), kind, value});
  }

  cxm::engine<> one_pass;
  one_pass.add(events);
  const auto parallel = cxm::parallel_ingest<cxm::engine<>>(events, 4);  // 4 threads, then merge

  const auto a = one_pass.result(), b = parallel.result();
  std::cout << "events " << a.events << " = " << b.events << ", customers " << a.customers << " = " << b.customers
            << ", nps " << a.get<cxm::nps_answers>().score << " = " << b.get<cxm::nps_answers>().score << '\n';
  bool counts_equal = true;
  double worst = 0;
  one_pass.for_each_customer([&](std::uint64_t id, const cxm::engine<>::customer_view& mine) {
    const auto theirs = parallel.customer(id);
    counts_equal = counts_equal && mine.result<cxm::activity>(a.as_of).events_by_kind ==
                                       theirs->result<cxm::activity>(a.as_of).events_by_kind &&
                   mine.result<cxm::satisfaction>(a.as_of).nps.latest ==
                       theirs->result<cxm::satisfaction>(a.as_of).nps.latest;
    const double x = mine.result<cxm::spend>(a.as_of).purchase_amount;
    const double y = theirs->result<cxm::spend>(a.as_of).purchase_amount;
    worst = std::max(worst, std::abs(x - y) / std::max(1.0, x));
  });
  std::cout << std::boolalpha << "per-customer counts and latest answers equal: " << counts_equal
            << "; largest relative difference of a spend sum: " << worst
            << "; customers merged from both sides: " << b.customers_merged_from_both_sides
            << "; one_pass == parallel: " << (one_pass == parallel) << '\n';
}
