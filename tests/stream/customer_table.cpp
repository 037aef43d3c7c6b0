// Tests for the customer table (include/cxm/stream/customer_table.hpp): one record per customer,
// created on first sight, looked up without allocating for string ids, and a replaceable map.

#include "cxm/stream/customer_table.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include <doctest/doctest.h>

#include "cxm/events/customer_metrics.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"

namespace {

using record = cxm::customer_record<cxm::spend, cxm::activity, cxm::satisfaction>;
static_assert(std::is_same_v<record, cxm::engine<>::record_type>);  // the default engine's record

/// A replacement map: std::unordered_map with the id's transparent hash.
template <class Id, class Record>
using std_customer_map = std::unordered_map<Id, Record, typename cxm::customer_id_traits<Id>::hash,
                                            typename cxm::customer_id_traits<Id>::equal>;

}  // namespace

TEST_CASE("A customer record holds one value-initialised sub-state per metric") {
  record r{};
  CHECK(r.get<cxm::spend>().purchase_amount == 0.0);
  CHECK_FALSE(r.get<cxm::activity>().seen());
  CHECK(r.get<cxm::satisfaction>().latest[0] == cxm::satisfaction::no_answer);
  r.get<cxm::spend>().refund_amount = 3.0;
  const record& cr = r;
  CHECK(cr.get<cxm::spend>().refund_amount == 3.0);
  record other{};
  CHECK_FALSE(r == other);
  other.get<cxm::spend>().refund_amount = 3.0;
  CHECK(r == other);
}

TEST_CASE("find_or_insert creates a customer's record on first sight and returns the same record after") {
  cxm::customer_table<std::uint64_t, record> table;
  CHECK(table.size() == 0);
  CHECK(table.find(42u) == nullptr);
  record& first = table.find_or_insert(std::uint64_t{42});
  CHECK(table.size() == 1);
  CHECK_FALSE(first.get<cxm::activity>().seen());
  first.get<cxm::spend>().purchase_amount = 7.5;
  record& again = table.find_or_insert(std::uint64_t{42});
  CHECK(&again == &first);
  CHECK(table.size() == 1);
  REQUIRE(table.find(42u) != nullptr);
  CHECK(table.find(42u)->get<cxm::spend>().purchase_amount == 7.5);
  table.find_or_insert(std::uint64_t{43});
  CHECK(table.size() == 2);
}

TEST_CASE("A string-keyed table is looked up and filled through std::string_view keys") {
  cxm::customer_table<std::string, record> table;
  const std::string name = "customer-with-a-name-longer-than-the-small-string-buffer";
  table.find_or_insert(std::string_view{name}).get<cxm::spend>().purchase_amount = 1.0;
  CHECK(table.size() == 1);
  CHECK(table.find(std::string_view{name}) != nullptr);
  CHECK(table.find(name) != nullptr);
  CHECK(table.find(name.c_str()) != nullptr);
  CHECK(table.find(std::string_view{name}.substr(1)) == nullptr);
  table.find_or_insert(name.c_str()).get<cxm::spend>().purchase_amount += 1.0;
  CHECK(table.size() == 1);
  CHECK(table.find(name)->get<cxm::spend>().purchase_amount == 2.0);
  // The stored key is an owning copy: the table outlives the host's string.
  std::string temporary = "short-lived";
  table.find_or_insert(std::string_view{temporary});
  temporary.assign("overwritten");
  CHECK(table.find("short-lived") != nullptr);
  CHECK(table.find("overwritten") == nullptr);
}

TEST_CASE("Tables compare equal by content, whatever the insertion order") {
  cxm::customer_table<std::uint64_t, record> a, b;
  for (std::uint64_t id = 1; id <= 100; ++id) a.find_or_insert(id).get<cxm::spend>().purchase_amount = double(id);
  for (std::uint64_t id = 100; id >= 1; --id) b.find_or_insert(id).get<cxm::spend>().purchase_amount = double(id);
  CHECK(a == b);
  b.find_or_insert(std::uint64_t{50}).get<cxm::spend>().purchase_amount = 0.5;
  CHECK_FALSE(a == b);

  // Iteration visits every customer once.
  std::map<std::uint64_t, double> seen;
  for (const auto& [id, r] : a) seen[id] += r.get<cxm::spend>().purchase_amount;
  CHECK(seen.size() == 100);
  CHECK(seen[77] == 77.0);
}

TEST_CASE("The engine's map is a template parameter: std::unordered_map gives the same customers") {
  cxm::test::stream_spec spec;
  spec.events = 20'000;
  spec.customers = 2'000;
  const auto events = cxm::test::random_stream(spec);
  const auto config = cxm::test::config_for(spec);
  cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::default_customer_metrics, std_customer_map> std_map(config);
  cxm::engine<> flat(config);
  CHECK(std_map.add(events) == events.size());
  CHECK(flat.add(events) == events.size());
  REQUIRE(std_map.customers().size() == flat.customers().size());
  std::size_t differing = 0;
  for (const auto& [id, r] : flat.customers()) {
    const auto* theirs = std_map.find(id);
    if (theirs == nullptr || !(*theirs == r)) ++differing;  // same order of events: bit-identical
  }
  CHECK(differing == 0);
  cxm::test::same_report(std_map.report(spec.to), flat.report(spec.to));
  // And both hold the figures a brute-force pass over the events computes, read through the results.
  const auto reference = cxm::test::reference_customers(events);
  std::string first;
  CHECK_MESSAGE(cxm::test::mismatches_against_reference(std_map, reference, first) == 0, first);
  CHECK_MESSAGE(cxm::test::mismatches_against_reference(flat, reference, first) == 0, first);
}
