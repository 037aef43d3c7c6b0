#include <cmath>
#include <iostream>
#include <string>
#include <utility>
#include <vector>
#include <cxm/stream/engine.hpp>

int main() {
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  const std::vector<cxm::event<>> batch{
      {1, t, cxm::event_kind::purchase, 25.0},
      {1, t, cxm::event_kind::purchase, NAN},              // amount_not_finite
      {2, t, cxm::event_kind::refund, -3.0},               // amount_negative
      {2, t, cxm::event_kind::nps_answer, 11},             // score_out_of_scale
      {2, t, cxm::event_kind::csat_answer, 4.5},           // score_not_whole
      {3, cxm::from_unix_ms(-1), cxm::event_kind::visit},  // time_out_of_range
      {3, t, cxm::host_kind(0)},                           // unknown_kind (no host kind declared)
  };

  // Policy 1, the default (cxm::throw_on_invalid): count the rejection, then throw cxm::invalid_event.
  // The range stops there.
  cxm::engine<> strict;
  try {
    strict.add(batch);
  } catch (const cxm::invalid_event& e) {
    std::cout << "thrown: " << e.what() << '\n';
  }
  std::cout << "strict: " << strict.result().events << " accepted, " << strict.result().rejected.total << " rejected\n";

  // Policy 2: skip, count, and hand each rejected event to a callback that keeps it.
  std::vector<std::pair<cxm::event<>, std::string>> quarantine;
  cxm::engine<> lenient;
  const std::size_t added = lenient.add(batch, cxm::traits_projection{},
                                        cxm::skip_invalid{[&](const cxm::event<>& e, const cxm::rejection& r) {
                                          quarantine.emplace_back(e, r.message());
                                        }});
  const auto r = lenient.result();
  std::cout << "lenient: " << added << " added, " << r.rejected.total << " rejected\n";
  for (const auto& [e, why] : quarantine) std::cout << "  " << why << '\n';
  std::cout << "score_out_of_scale: " << r.rejected[cxm::rejection_reason::score_out_of_scale]
            << ", score_not_whole: " << r.rejected[cxm::rejection_reason::score_not_whole] << '\n';
}
