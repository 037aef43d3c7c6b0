#include <chrono>
#include <iostream>
#include <stdexcept>
#include <cxm/stream/engine.hpp>

using namespace std::chrono;
using monthly_nps = cxm::per_period<cxm::nps_answers, cxm::period_unit::month>;
using engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers, monthly_nps, cxm::active_customers>>;

int main() {
  const cxm::timestamp jan = sys_days{2026y / January / 20}, feb = sys_days{2026y / February / 3},
                       mar = sys_days{2026y / March / 9};
  engine e;
  e.add(cxm::event<>{1, jan, cxm::event_kind::nps_answer, 10});
  e.add(cxm::event<>{2, feb, cxm::event_kind::nps_answer, 3});
  e.add(cxm::event<>{1, mar, cxm::event_kind::nps_answer, 9});

  const cxm::timestamp as_of = sys_days{2026y / February / 10};
  const auto r = e.report(as_of);
  std::cout << std::boolalpha << "as of 2026-02-10: includes_later_events " << r.includes_later_events
            << ", events " << r.events << ", nps answers " << r.get<cxm::nps_answers>().n << ", months";
  for (const auto& p : r.get<monthly_nps>().periods) std::cout << ' ' << p.when.to_string() << " (n " << p.result.n << ')';
  std::cout << ", active " << r.get<cxm::active_customers>().active << '\n';
  const auto one = e.customer(1)->result<cxm::satisfaction>(as_of);
  std::cout << "customer 1 as of 2026-02-10: latest nps " << *one.nps.latest << ", includes_later_events "
            << one.includes_later_events << '\n';

  const auto now = e.result();  // as of the watermark, the latest event time
  std::cout << "as of the watermark: includes_later_events " << now.includes_later_events << ", months "
            << now.get<monthly_nps>().periods.size() << '\n';
  try {
    (void)e.report(sys_days{2025y / December / 31});
  } catch (const std::invalid_argument& x) {
    std::cout << x.what() << '\n';
  }
}
