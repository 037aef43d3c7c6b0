#pragma once
// The memory of the engine's default table, as the benchmarks report it (bytes_per_customer):
// shared by benchmarks/engine.cpp and benchmarks/engagement.cpp.

#include <cstddef>
#include <cstdint>

#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/stream/dense_record_map.hpp"

namespace cxm::bench {

/// What cxm::huge_page_allocator takes for a block of `bytes`: large blocks are rounded up to 2 MiB.
inline std::size_t huge_page_block(std::size_t bytes) {
  return bytes < cxm::huge_page_size ? bytes : (bytes + cxm::huge_page_size - 1) / cxm::huge_page_size * cxm::huge_page_size;
}

/// cxm::dense_record_map (the engine's default): an index of 4-byte slots, and the records (id and
/// record) in blocks of two huge pages (a smaller first block while the table is small), each
/// allocation rounded as huge_page_allocator rounds it, plus the vector of block pointers.
template <class Id, class Record>
double map_bytes(const cxm::dense_record_map<Id, Record>& map) {
  using map_type = cxm::dense_record_map<Id, Record>;
  std::size_t bytes = huge_page_block(map.index_slots() * map_type::slot_bytes);
  const std::size_t records = map.record_capacity();
  if (records <= map_type::block_records) {
    bytes += huge_page_block(records * sizeof(typename map_type::value_type));
  } else {
    bytes += records / map_type::block_records *
             huge_page_block(map_type::block_records * sizeof(typename map_type::value_type));
  }
  bytes += (records + map_type::block_records - 1) / map_type::block_records * sizeof(void*);
  return static_cast<double>(bytes);
}

}  // namespace cxm::bench
