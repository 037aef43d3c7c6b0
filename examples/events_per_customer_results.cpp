#include <chrono>
#include <iostream>
#include <cxm/stream/engine.hpp>

int main() {
  using namespace std::chrono;
  const cxm::timestamp jan = sys_days{2026y / January / 5} + 9h, mar = sys_days{2026y / March / 2} + 17h;
  cxm::engine<> e;
  e.add(cxm::event<>{1, jan, cxm::event_kind::purchase, 40});
  e.add(cxm::event<>{1, jan, cxm::event_kind::csat_answer, 4});
  e.add(cxm::event<>{1, mar, cxm::event_kind::csat_answer, 2});
  e.add(cxm::event<>{1, mar, cxm::event_kind::refund, 15});

  const auto c = e.customer(1);
  for (const cxm::timestamp as_of : {jan + 1h, cxm::timestamp{sys_days{2026y / April / 1}}}) {
    const cxm::activity_result a = c->result<cxm::activity>(as_of);
    const cxm::spend_result s = c->result<cxm::spend>(as_of);
    const cxm::satisfaction_result f = c->result<cxm::satisfaction>(as_of);
    std::cout << "as of " << cxm::format_iso8601(as_of) << ": first " << cxm::format_iso8601(*a.first_seen)
              << ", last " << cxm::format_iso8601(*a.last_seen) << ", events " << a.events << ", net spend " << s.net
              << ", csat latest " << *f.csat.latest << " (mean " << *f.csat.mean << " over " << f.csat.answers
              << "), includes later events " << std::boolalpha << a.includes_later_events << '\n';
  }
  std::cout << "nps answered: " << e.customer(1)->result<cxm::satisfaction>(mar).nps.latest.has_value() << '\n';
}
