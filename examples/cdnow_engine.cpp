// The event-stream engine on real purchases: the CDNOW cohort (Fader & Hardie; data/README.md),
// 69,659 purchases by 23,570 customers, 1997-01-01 .. 1998-06-30. Reads a host type through a
// projection, ingests on two threads, checks the merge against one pass, and checkpoints.
#include <cxm/io/state.hpp>
#include <cxm/stream/engine.hpp>
#include <cxm/stream/parallel.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

struct purchase_row {  // the host's own type: one line of CDNOW_master.txt
  std::uint32_t customer;
  int yyyymmdd;
  double dollars;
};

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "data/CDNOW_master.txt");
  if (!in) { std::cerr << "cannot open CDNOW_master.txt\n"; return 1; }
  std::vector<purchase_row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    purchase_row r{};
    int cds = 0;
    if (fields >> r.customer >> r.yyyymmdd >> cds >> r.dollars) rows.push_back(r);
  }

  using namespace std::chrono;
  const cxm::projection as_event{
      [](const purchase_row& r) { return std::uint64_t{r.customer}; },
      [](const purchase_row& r) {
        return sys_days{year{r.yyyymmdd / 10000} / month{unsigned(r.yyyymmdd / 100 % 100)} / day{unsigned(r.yyyymmdd % 100)}};
      },
      [](const purchase_row&) { return cxm::event_kind::purchase; },
      [](const purchase_row& r) { return r.dollars; }};

  // The active-customer window is a parameter of the active_customers metric: 90 days here (30 by
  // default). The two-thread ingest starts each part from the same metric instances.
  cxm::engine<> one_pass({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                              cxm::active_customers{days{90}}});
  const auto two_threads = cxm::parallel_ingest<cxm::engine<>>(rows, 2, one_pass, as_event);
  one_pass.add(rows, as_event);

  const cxm::timestamp as_of = sys_days{1998y / June / 30} + days{1};
  const auto report = two_threads.report(as_of);
  const auto single = one_pass.report(as_of);
  double revenue = 0;
  two_threads.for_each_customer([&](std::uint64_t, const cxm::engine<>::customer_view& customer) {
    revenue += customer.result<cxm::spend>(as_of).purchase_amount;
  });

  const auto image = cxm::io::save_state(two_threads);
  const auto restored = cxm::io::load_state<cxm::engine<>>(image);

  char money[32];
  std::snprintf(money, sizeof money, "%.2f", revenue);
  std::cout << "purchases " << report.events << ", customers " << report.customers << ", revenue $" << money
            << "\nactive in the last 90 days of the data: " << report.get<cxm::active_customers>().active
            << "\ntwo threads merged == one pass: " << std::boolalpha
            << (report.events == single.events && report.customers == single.customers &&
                report.get<cxm::active_customers>().active == single.get<cxm::active_customers>().active)
            << "\ncheckpoint of " << image.size() << " bytes restores the same state: " << (restored == two_threads) << "\n";
}
