// Must NOT compile: a metric reads a sub-state (activity) it did not declare in depends_on.
#include <cstdint>
#include <string_view>

#include "cxm/stream/engine.hpp"

struct sneaky {
  using state = std::uint32_t;
  static constexpr std::string_view id = "sneaky";
  static constexpr std::uint16_t version = 1;
  static constexpr cxm::kind_set listens{cxm::event_kind::visit};
  template <class Context>
  void on(state& s, const cxm::observation&, const Context& ctx) const { s = ctx.template get<cxm::activity>().last_seen; }
  void merge(state& a, const state& b) const { a = a > b ? a : b; }
  void save(const state& s, cxm::io::writer& w) const { w.u32(s); }
  state load(cxm::io::reader& r, std::uint16_t) const { return r.u32("sneaky"); }
};

int main() {
  cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::metric_list<cxm::activity, sneaky>> e;
  e.add(cxm::event<>{1, cxm::from_unix_ms(0), cxm::event_kind::visit, 0});
  return static_cast<int>(e.customers().size());
}
