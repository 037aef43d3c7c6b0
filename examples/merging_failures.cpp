#include <iostream>
#include <stdexcept>
#include <cxm/io/state.hpp>
#include <cxm/stream/engine.hpp>

using survey_only = cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::metric_list<cxm::satisfaction>>;

int main() {
  // Engine-wide configuration: CSAT asked on 1..10. A metric's parameter: the CSAT satisfied set.
  cxm::engine_config ten_point;
  ten_point.kinds.set_scale(cxm::event_kind::csat_answer, {1, 10});
  const cxm::metric_list top_two{cxm::nps_answers{}, cxm::csat_answers{{9, 10}}, cxm::ces_answers{},
                                 cxm::active_customers{}};
  const cxm::metric_list top_three{cxm::nps_answers{}, cxm::csat_answers{{8, 9, 10}}, cxm::ces_answers{},
                                   cxm::active_customers{}};
  cxm::engine<> standard, custom(ten_point, top_two), wider(ten_point, top_three);

  // 1. Engines of different configurations, or whose metrics have different parameters, never merge.
  try {
    standard.merge(custom);
  } catch (const std::invalid_argument& e) {
    std::cout << "merge: " << e.what() << '\n';
  }
  try {
    custom.merge(wider);
  } catch (const std::invalid_argument& e) {
    std::cout << "merge: " << e.what() << '\n';
  }

  // 2. A state loads only into an engine of the same composition.
  try {
    (void)cxm::io::load_state<survey_only>(cxm::io::save_state(standard));
  } catch (const cxm::format_error& e) {
    std::cout << "load: " << e.what() << '\n';
  }

  // 3. load_state takes the configuration and the parameters saved in the state. To insist on yours,
  //    load the payload with Engine::load(reader, expected_config) or Engine::load(reader, prototype).
  const auto loaded = cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(custom));
  std::cout << "loaded: csat scale " << loaded.config().kinds.scale(cxm::event_kind::csat_answer).to_string()
            << ", satisfied " << cxm::parameter_list(loaded.metric<cxm::csat_answers>())[0].second << '\n';
  cxm::io::writer payload;
  custom.save(payload);
  try {
    cxm::io::reader r(payload.bytes(), cxm::engine<>::format_version);
    (void)cxm::engine<>::load(r, cxm::engine_config{});
  } catch (const cxm::format_error& e) {
    std::cout << "load(reader, expected): " << e.what() << '\n';
  }
  try {
    cxm::io::reader r(payload.bytes(), cxm::engine<>::format_version);
    (void)cxm::engine<>::load(r, wider);
  } catch (const cxm::format_error& e) {
    std::cout << "load(reader, prototype): " << e.what() << '\n';
  }
}
