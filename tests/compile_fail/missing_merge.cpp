// Must NOT compile: a per-customer metric without merge(). The build fails where the metric is
// composed into an engine, with a message naming the missing member (tests/CMakeLists.txt checks it).
#include <cstdint>
#include <string_view>

#include "cxm/stream/engine.hpp"

struct no_merge {
  using state = double;
  static constexpr std::string_view id = "no_merge";
  static constexpr std::uint16_t version = 1;
  static constexpr cxm::kind_set listens{cxm::event_kind::purchase};
  template <class Context>
  void on(state& s, const cxm::observation& o, const Context&) const { s += o.value; }
  void save(const state& s, cxm::io::writer& w) const { w.f64(s); }
  state load(cxm::io::reader& r, std::uint16_t) const { return r.f64("no_merge"); }
};

int main() {
  cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::metric_list<cxm::spend, no_merge>> e;
  return static_cast<int>(e.customers().size());
}
