// The code blocks of docs/metrics/engagement.md: the decayed engagement score's weights, and the
// metric composed next to the engine's defaults; checked against the half-life rule.
#include <cxm/engagement/decayed_score.hpp>  // cxm::decayed_engagement, decay_factor, decayed
#include <cxm/stream/engine.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <vector>

using namespace std::chrono;

namespace {
int failures = 0;
void expect(const char* what, bool ok) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok) ++failures;
}

using with_decayed = cxm::engine<std::uint64_t, cxm::default_global_metrics,
                                 cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::decayed_engagement>>;

// One visit, and the same customer's score read one half-life (30 days) later.
void composed() {
  const cxm::timestamp t = sys_days{2026y / March / 1};
  const std::uint64_t id = 7;
  const std::vector<cxm::event<>> events{{id, t, cxm::event_kind::visit}};
  const cxm::timestamp as_of = t + days{30};
  using engine_t = cxm::engine<std::uint64_t, cxm::default_global_metrics,
                               cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction,
                                                cxm::decayed_engagement>>;
  engine_t e({}, cxm::default_global_metrics{},
             cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, cxm::decayed_engagement{days{30}}});
  e.add(events);
  auto r = e.customer(id)->result<cxm::decayed_engagement>(as_of);   // cxm::decayed_engagement_result
  const auto at_once = e.customer(id)->result<cxm::decayed_engagement>(t);
  expect("a visit's weight halves over one half-life",
         at_once.score > 0 && std::abs(r.score - 0.5 * at_once.score) < 1e-12 && !r.includes_later_events);
  expect("two half-lives: a quarter of the weight", std::abs(cxm::decay_factor(days{60}, days{30}) - 0.25) < 1e-15);
}
}  // namespace

int main() {
  {
    using namespace std::chrono;
    cxm::decayed_engagement m{days{14}};                               // default weights
    auto points = cxm::decayed_engagement{days{30}}
                      .weight(cxm::host_kind(0), 0.01, /*scaled_by_value=*/true)   // "points earned"
                      .weight(cxm::event_kind::support_contact, 0.0);             // ignore support contacts
    // The parameters saved with an engine and compared at merge and load.
    for (const auto& [name, value] : cxm::parameter_list(points)) std::cout << "     points " << name << " = " << value << '\n';
    const with_decayed a({}, cxm::default_global_metrics{}, cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, m});
    expect("the 14-day metric composes with the defaults", a.customers().size() == 0);
    expect("the two metrics differ in their parameters", cxm::parameter_list(m) != cxm::parameter_list(points));
  }
  composed();
  std::cout << (failures == 0 ? "every block of docs/metrics/engagement.md holds\n" : "some blocks differ\n");
  return failures == 0 ? 0 : 1;
}
