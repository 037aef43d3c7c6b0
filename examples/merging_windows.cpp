#include <chrono>
#include <iostream>
#include <cxm/stream/engine.hpp>
#include <cxm/survey/nps.hpp>

using namespace std::chrono;

int main() {
  const cxm::timestamp jan = sys_days{2026y / January / 20}, feb = sys_days{2026y / February / 3},
                       mar = sys_days{2026y / March / 9};

  // Without a bound, an answer lands in the month of its own time: arrival order does not matter.
  cxm::tumbling<cxm::nps> sorted(cxm::period_unit::month), shuffled(cxm::period_unit::month);
  sorted.add_at(jan, 10), sorted.add_at(feb, 3), sorted.add_at(mar, 9);
  shuffled.add_at(mar, 9), shuffled.add_at(jan, 10), shuffled.add_at(feb, 3);
  std::cout << std::boolalpha << "sorted == shuffled: " << (sorted == shuffled) << '\n';
  for (const auto& p : sorted.result().periods) std::cout << "  " << p.when.to_string() << "  nps " << p.result.score << '\n';
  std::cout << "  last 2 months as of March: nps " << sorted.sliding(2, mar).result().score << '\n';

  // With a bound, "too late" is judged against the latest time seen so far: arrival order matters.
  const milliseconds bound = days{7};
  cxm::tumbling<cxm::nps> in_order(cxm::period_unit::month, cxm::nps{}, bound);
  cxm::tumbling<cxm::nps> late_jan(cxm::period_unit::month, cxm::nps{}, bound);
  in_order.add_at(jan, 10), in_order.add_at(mar, 9);
  late_jan.add_at(mar, 9), late_jan.add_at(jan, 10);  // January arrives after March: too late
  std::cout << "bounded: in order " << in_order.size() << " months; January late " << late_jan.size()
            << " month, too_late " << late_jan.result().too_late << '\n';

  // In an engine: per_period wraps a global metric; the bound is engine_config::max_lateness.
  using monthly_nps = cxm::per_period<cxm::nps_answers, cxm::period_unit::month>;
  using engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers, monthly_nps>>;
  cxm::engine_config config;
  config.max_lateness = bound;
  engine one_pass(config), shard_a(config), shard_b(config);
  const cxm::event<> march{1, mar, cxm::event_kind::nps_answer, 9}, january{2, jan, cxm::event_kind::nps_answer, 10};
  one_pass.add(march);
  one_pass.add(january, cxm::traits_projection{}, cxm::skip_invalid{});  // too late here
  shard_a.add(march);
  shard_b.add(january);  // on its own shard, January is within the bound
  shard_a.merge(shard_b);
  std::cout << "engine: one pass " << one_pass.global<monthly_nps>().size() << " month (too_late "
            << one_pass.result().rejected[cxm::rejection_reason::too_late] << "), merged shards "
            << shard_a.global<monthly_nps>().size() << " months\n";
}
