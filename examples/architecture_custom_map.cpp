// docs/architecture.md's custom-map example. cxm::flat_customer_map needs Boost >= 1.81
// (boost::unordered_flat_map); with an older Boost (the floor is 1.74) the example says so.
#include <boost/version.hpp>
#if BOOST_VERSION >= 108100
#include <cstdio>
#include <string>
#include <unordered_map>
#include <cxm/stream/engine.hpp>
#include <cxm/stream/flat_customer_map.hpp>  // cxm::flat_customer_map (Boost >= 1.81)

// Any map template <class Id, class Record> with find, try_emplace, reserve, size, iteration and ==.
template <class Id, class Record>
using node_map = std::unordered_map<Id, Record, typename cxm::customer_id_traits<Id>::hash,
                                    typename cxm::customer_id_traits<Id>::equal>;

using dense_engine = cxm::engine<std::string>;  // cxm::dense_customer_map
using flat_engine =
    cxm::engine<std::string, cxm::default_global_metrics, cxm::default_customer_metrics, cxm::flat_customer_map>;
using std_engine = cxm::engine<std::string, cxm::default_global_metrics, cxm::default_customer_metrics, node_map>;

int main() {
  const cxm::event<std::string> visit{"ada", cxm::from_unix_ms(0), cxm::event_kind::visit};
  dense_engine a;
  flat_engine b;
  std_engine c;
  a.add(visit);
  b.add(visit);
  c.add(visit);
  const bool same = dense_engine::composition() == flat_engine::composition() &&
                    flat_engine::composition() == std_engine::composition();
  std::printf("%zu %zu %zu %s\n", a.customers().size(), b.customers().size(), c.customers().size(),
              same ? "same signature" : "different");
}
#else
#include <cstdio>
int main() { std::puts("skipped: cxm::flat_customer_map needs Boost >= 1.81"); }
#endif
