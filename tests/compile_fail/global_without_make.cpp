// Must NOT compile: a global metric without make(). The diagnostic names the missing member.
#include <cstdint>
#include <string_view>

#include "cxm/stream/engine.hpp"
#include "cxm/survey/nps.hpp"

struct no_make {
  using state = cxm::nps;
  static constexpr std::string_view id = "no_make";
  static constexpr std::uint16_t version = 1;
  static constexpr cxm::kind_set listens{cxm::event_kind::nps_answer};
  template <class Context>
  void on(state& s, const cxm::observation& o, const Context&) const { s.add(static_cast<int>(o.value)); }
  template <class Context>
  cxm::nps_result result(const state& s, const Context&) const { return s.result(); }
};

int main() {
  cxm::engine<std::uint64_t, cxm::metric_list<no_make>> e;
  return static_cast<int>(e.customers().size());
}
