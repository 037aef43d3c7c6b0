#pragma once
/// \file
/// The customer table: one record per customer, keyed by customer id, so that an event costs one hash
/// lookup whatever the number of per-customer metrics. The record is a struct of the metrics'
/// sub-states (customer_record<activity, spend, ...>). The map is a template parameter; the default is
/// dense_customer_map (records in insertion order on huge pages, an 8-byte-slot index, prefetch hints
/// for the engine's bulk add); flat_customer_map (boost::unordered_flat_map, in
/// cxm/stream/flat_customer_map.hpp) is the alternative. Both hash transparently, so a string id is
/// looked up as a std::string_view without allocating.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>


#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/stream/customer_id.hpp"
#include "cxm/stream/dense_record_map.hpp"

namespace cxm {

namespace detail {
/// One sub-state of a record, tagged by its position so that two metrics with the same state type
/// (or a scalar state such as double) are distinct sub-objects.
template <std::size_t I, class State>
struct record_slot {
  State value{};
};
template <class Indices, class... Metrics>
struct record_base;
template <std::size_t... I, class... Metrics>
struct record_base<std::index_sequence<I...>, Metrics...> : record_slot<I, typename Metrics::state>... {};
}  // namespace detail

/// The per-customer record: the sub-states of `Metrics...` (the closure of the composed per-customer
/// metrics under depends_on, each once), in that order. Its size is the sum of the states' sizes plus
/// the padding their alignment needs (docs/architecture.md, "customer record").
template <class... Metrics>
struct customer_record : detail::record_base<std::index_sequence_for<Metrics...>, Metrics...> {
  /// The position of `Metric`'s sub-state in the record.
  template <class Metric>
  static constexpr std::size_t index = detail::index_of<Metric, Metrics...>();

  /// The sub-state of `Metric`.
  template <class Metric>
  [[nodiscard]] typename Metric::state& get() noexcept {
    return static_cast<detail::record_slot<index<Metric>, typename Metric::state>&>(*this).value;
  }
  /// The sub-state of `Metric`, read-only.
  template <class Metric>
  [[nodiscard]] const typename Metric::state& get() const noexcept {
    return static_cast<const detail::record_slot<index<Metric>, typename Metric::state>&>(*this).value;
  }
  /// Compares every sub-state.
  friend bool operator==(const customer_record& a, const customer_record& b) {
    return ((a.template get<Metrics>() == b.template get<Metrics>()) && ...);
  }
};

/// dense_record_map with the id's transparent hash and equality, on huge pages: the default map.
template <class Id, class Record>
using dense_customer_map = dense_record_map<Id, Record>;

/// The customer table: `Map<Id, Record>` behind one interface (docs/architecture.md, "The customer table").
template <class Id, class Record, template <class, class> class Map = dense_customer_map>
class customer_table {
 public:
  using id_type = Id;  ///< the customer id type
  using record_type = Record;  ///< the per-customer record
  using map_type = Map<Id, Record>;  ///< the map holding the records

  /// The record of `key`, created empty on first sight. One lookup for a known customer.
  template <class Key>
  [[gnu::always_inline]] inline Record& find_or_insert(const Key& key) {
    decltype(auto) k = lookup_key(key);
    if constexpr (requires { map_.find_or_insert(k); }) {
      return map_.find_or_insert(k);
    } else {
      auto it = map_.find(k);
      if (it != map_.end()) return it->second;
      return map_.try_emplace(Id(k)).first->second;
    }
  }

  /// Whether the map takes prefetch hints (the engine's bulk add then issues them for the events ahead).
  static constexpr bool prefetches = requires(const map_type& m, const Id& id) {
    m.prefetch_slot(id);
    m.prefetch_record(id);
  };
  /// Hints that `key` will be looked up soon: first its index slot, then (a few lookups later) its record.
  template <class Key>
  void prefetch_slot(const Key& key) const noexcept {
    if constexpr (prefetches) map_.prefetch_slot(lookup_key(key));
  }
  /// Hints that the record of `key` will be read soon (after prefetch_slot).
  template <class Key>
  void prefetch_record(const Key& key) const noexcept {
    if constexpr (prefetches) map_.prefetch_record(lookup_key(key));
  }

  /// The record of `key`, or nullptr for an unknown customer.
  template <class Key>
  [[nodiscard]] const Record* find(const Key& key) const {
    const auto it = map_.find(lookup_key(key));
    return it == map_.end() ? nullptr : &it->second;
  }

  /// Which of `parts` parts a customer belongs to (parallel_ingest partitions by customer): the id's
  /// hash, mixed by another multiplier than the map's so that each part's table still uses every slot.
  template <class Key>
  static std::size_t part_of(const Key& key, std::size_t parts) noexcept {
    const auto h = static_cast<std::uint64_t>(typename customer_id_traits<Id>::hash{}(lookup_key(key)));
    return static_cast<std::size_t>(((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull) >> 40) % parts;
  }

  /// Removes the record of `key`; returns whether there was one.
  template <class Key>
  bool erase(const Key& key) {
    return map_.erase(lookup_key(key)) != 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }  ///< number of customers
  void reserve(std::size_t customers) { map_.reserve(customers); }  ///< room for `customers` customers
  [[nodiscard]] auto begin() const { return map_.begin(); }  ///< (id, record) pairs, in the map's order
  [[nodiscard]] auto end() const { return map_.end(); }  ///< end of the pairs
  [[nodiscard]] const map_type& map() const noexcept { return map_; }  ///< the underlying map

  /// Same customers with equal records, whatever the order.
  friend bool operator==(const customer_table& a, const customer_table& b) { return a.map_ == b.map_; }

 private:
  template <class Key>
  static decltype(auto) lookup_key(const Key& key) {
    if constexpr (std::is_same_v<Id, std::string>) {
      return std::string_view(key);
    } else if constexpr (std::is_same_v<std::remove_cvref_t<Key>, Id>) {
      return (key);
    } else {
      return static_cast<Id>(key);
    }
  }

  map_type map_;
};

}  // namespace cxm
