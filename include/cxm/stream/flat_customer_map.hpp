#pragma once
/// \file
/// flat_customer_map: boost::unordered_flat_map as the customer table's map, the alternative to the
/// default dense_customer_map (docs/architecture.md, "The customer table"). In a header of its own:
/// Boost.Unordered's flat map costs about 0.8 s of compile time to every translation unit that
/// includes it, and <cxm/cxm.hpp> does not (docs/benchmarks.md, "Compile cost").

#include <utility>

#include <boost/version.hpp>
#if BOOST_VERSION >= 108100
#include <boost/unordered/unordered_flat_map.hpp>
#endif

#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/stream/customer_id.hpp"

namespace cxm {

/// An alternative map (the Map template parameter): boost::unordered_flat_map with the id's transparent
/// hash and equality, on an allocator that asks for transparent huge pages once the table outgrows 2 MiB.
/// Needs boost::unordered_flat_map, new in Boost 1.81; with an older Boost (cxm's floor is 1.74)
/// flat_customer_map is still declared, and a table using it fails to compile with that message.
#if BOOST_VERSION >= 108100
template <class Id, class Record>
using flat_customer_map =
    boost::unordered_flat_map<Id, Record, typename customer_id_traits<Id>::hash, typename customer_id_traits<Id>::equal,
                              huge_page_allocator<std::pair<const Id, Record>>>;
#else
namespace detail {
template <class Id, class Record>
struct flat_customer_map_needs_boost_1_81 {
  static_assert(sizeof(Id) == 0 && sizeof(Record) == 0,
                "cxm::flat_customer_map needs boost::unordered_flat_map, Boost >= 1.81 (BOOST_VERSION >= 108100); "
                "this Boost is older: use cxm::dense_customer_map, the default map");
};
}  // namespace detail
template <class Id, class Record>
using flat_customer_map = detail::flat_customer_map_needs_boost_1_81<Id, Record>;
#endif

}  // namespace cxm
