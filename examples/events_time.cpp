#include <chrono>
#include <iostream>
#include <cxm/stream/event.hpp>
#include <cxm/events/time.hpp>

int main() {
  using namespace std::chrono;
  // Any sys_time converts to cxm::timestamp (milliseconds, rounded toward the past).
  const cxm::timestamp t = cxm::to_timestamp(sys_days{2026y / November / 26} + 13h + 5min + 999999us);
  for (const auto unit : {cxm::period_unit::day, cxm::period_unit::iso_week, cxm::period_unit::month,
                          cxm::period_unit::quarter, cxm::period_unit::year}) {
    const cxm::period p = cxm::period_of(t, unit);
    std::cout << p.to_string() << "\tindex " << p.index << "\tstarts "
              << cxm::period_of(p.start(), cxm::period_unit::day).to_string() << '\n';
  }
  // An ISO week belongs to the ISO year of its Thursday: 2027-01-01 (a Friday) is in 2026's week 53.
  std::cout << cxm::period_of(sys_days{2027y / January / 1}, cxm::period_unit::iso_week).to_string() << '\n';
  std::cout << "latest representable day " << cxm::period_of(cxm::latest_time, cxm::period_unit::day).to_string()
            << ", one ms later representable: " << cxm::representable(cxm::latest_time + 1ms) << '\n';
}
