#pragma once
/// \file
/// dense_record_map: the customer table's default map (docs/architecture.md, "customer table").

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/stream/customer_id.hpp"

namespace cxm {

/// The engine's default map: records stored densely, in insertion order, in blocks of two huge pages,
/// found through an open-addressing index of 8-byte slots (a 32-bit hash tag, and the record's block
/// and offset in 32 bits; linear probing, at most half full). A key's home slot is never among the last
/// window_slots − 1 slots, so the first comparison of a lookup reads window_slots slots from the home
/// without a bound check (probing past the home still wraps around).
///
/// Why not boost::unordered_flat_map: its slots hold the records themselves, so a power-of-two
/// capacity at most 7/8 full leaves between 1/8 and 9/16 of 100-byte slots empty (about 207 bytes per
/// customer at a million customers, against 122 here: docs/benchmarks.md); and it offers no prefetch, which
/// the engine's bulk add uses to overlap the memory misses of the events ahead (prefetch_slot, then
/// prefetch_record, a few events before the lookup). A lookup costs one index line and the record's lines.
///
/// Offers what customer_table needs: find, find_or_insert, try_emplace, reserve, size, iteration over
/// (id, record) pairs in insertion order, ==; and erase and clear (for privacy requests). References stay
/// valid until the table is destroyed, except while it is small (the first block grows by relocation up to
/// its full size) and for the records that erase moves or removes (see erase).
template <class Id, class Record, class Hash = typename customer_id_traits<Id>::hash,
          class Equal = typename customer_id_traits<Id>::equal,
          class Allocator = huge_page_allocator<std::pair<const Id, Record>>>
class dense_record_map {
 public:
  using key_type = Id;  ///< the customer id
  using mapped_type = Record;  ///< the record
  using value_type = std::pair<const Id, Record>;  ///< an (id, record) pair
  using size_type = std::size_t;  ///< sizes and counts
  using hasher = Hash;  ///< the id's hash
  using key_equal = Equal;  ///< the id's equality
  using allocator_type = Allocator;  ///< allocates the blocks and the index

  static_assert(alignof(value_type) <= alignof(std::max_align_t), "dense_record_map: over-aligned records");
  /// Records per block: as many as fit in two huge pages, so that a block is allocated on huge pages
  /// with nothing to spare but the remainder of the division.
  static constexpr std::size_t block_records =
      sizeof(value_type) <= 2 * huge_page_size ? 2 * huge_page_size / sizeof(value_type) : 1;

  /// A forward iterator over the (id, record) pairs, in insertion order; Const: read-only.
  template <bool Const>
  class basic_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;  ///< forward
    using value_type = dense_record_map::value_type;  ///< an (id, record) pair
    using difference_type = std::ptrdiff_t;  ///< distance between positions
    using reference = std::conditional_t<Const, const value_type&, value_type&>;  ///< (const) value_type&
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;  ///< (const) value_type*

    basic_iterator() = default;
    /// Converts an iterator to a const_iterator.
    template <bool OtherConst>
      requires(Const && !OtherConst)
    basic_iterator(const basic_iterator<OtherConst>& other) noexcept  // NOLINT: iterator -> const_iterator
        : map_(other.map_), index_(other.index_) {}

    reference operator*() const noexcept { return map_->record_at(index_); }  ///< the pair
    pointer operator->() const noexcept { return &map_->record_at(index_); }  ///< the pair
    /// The next pair.
    basic_iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    /// The next pair; returns the iterator before the step.
    basic_iterator operator++(int) noexcept {
      auto old = *this;
      ++index_;
      return old;
    }
    /// Same position.
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept { return a.index_ == b.index_; }

   private:
    friend class dense_record_map;
    template <bool>
    friend class basic_iterator;
    using map_pointer = std::conditional_t<Const, const dense_record_map*, dense_record_map*>;
    basic_iterator(map_pointer map, std::size_t index) noexcept : map_(map), index_(index) {}
    map_pointer map_ = nullptr;
    std::size_t index_ = 0;
  };
  using iterator = basic_iterator<false>;  ///< read-write iterator
  using const_iterator = basic_iterator<true>;  ///< read-only iterator

  dense_record_map() = default;
  /// A copy: the same pairs, in the same order.
  dense_record_map(const dense_record_map& other) : hash_(other.hash_), equal_(other.equal_), alloc_(other.alloc_) {
    try {
      reserve(other.size_);
      for (const auto& v : other) emplace_new(v.first, v.second);
    } catch (...) {
      release();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  /// Takes the other's storage; the other is left empty.
  dense_record_map(dense_record_map&& other) noexcept
      : index_(std::exchange(other.index_, no_index())),
        index_mask_(std::exchange(other.index_mask_, 0)),
        home_slots_(std::exchange(other.home_slots_, 0)),
        max_size_before_growth_(std::exchange(other.max_size_before_growth_, 0)),
        blocks_(std::move(other.blocks_)),
        first_block_capacity_(std::exchange(other.first_block_capacity_, 0)),
        size_(std::exchange(other.size_, 0)),
        hash_(other.hash_),
        equal_(other.equal_),
        alloc_(other.alloc_) {
    other.blocks_.clear();
  }
  /// Copy assignment (copy, then swap).
  dense_record_map& operator=(const dense_record_map& other) {
    if (this != &other) {
      dense_record_map copy(other);
      swap(copy);
    }
    return *this;
  }
  /// Move assignment; the other is left empty.
  dense_record_map& operator=(dense_record_map&& other) noexcept {
    if (this != &other) {
      dense_record_map moved(std::move(other));
      swap(moved);
    }
    return *this;
  }
  ~dense_record_map() { release(); }

  /// Exchanges the contents.
  void swap(dense_record_map& other) noexcept {
    using std::swap;
    swap(index_, other.index_);
    swap(index_mask_, other.index_mask_);
    swap(home_slots_, other.home_slots_);
    swap(max_size_before_growth_, other.max_size_before_growth_);
    swap(blocks_, other.blocks_);
    swap(first_block_capacity_, other.first_block_capacity_);
    swap(size_, other.size_);
    swap(hash_, other.hash_);
    swap(equal_, other.equal_);
    swap(alloc_, other.alloc_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }  ///< number of customers
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }  ///< whether size() == 0
  [[nodiscard]] iterator begin() noexcept { return {this, 0}; }  ///< the first pair inserted
  [[nodiscard]] iterator end() noexcept { return {this, size_}; }  ///< past the last pair
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }  ///< the first pair inserted
  [[nodiscard]] const_iterator end() const noexcept { return {this, size_}; }  ///< past the last pair

  /// Slots of the index (a power of two, or 0 before the first insertion).
  [[nodiscard]] std::size_t index_slots() const noexcept { return has_index() ? index_mask_ + 1 : 0; }
  /// Bytes of one index slot.
  static constexpr std::size_t slot_bytes = sizeof(std::uint64_t);
  /// Records allocated: the first block's capacity while it is the only one, else whole blocks.
  [[nodiscard]] std::size_t record_capacity() const noexcept {
    return blocks_.size() <= 1 ? first_block_capacity_ : blocks_.size() * block_records;
  }

  /// The pair of `key`, or end().
  template <class Key>
  [[nodiscard]] iterator find(const Key& key) {
    return {this, find_record(key, mixed_hash(key))};
  }
  /// The pair of `key`, or end().
  template <class Key>
  [[nodiscard]] const_iterator find(const Key& key) const {
    return {this, find_record(key, mixed_hash(key))};
  }

  /// The record of `key`; a value-initialised one is inserted (with Id(key) as its id) on first sight.
  /// Inlined into the caller (the engine's add): a found customer costs no call, and the work of the
  /// events around it overlaps the lookup's memory accesses.
  template <class Key>
  [[gnu::always_inline]] inline Record& find_or_insert(const Key& key) {
    const std::uint64_t h = mixed_hash(key);
    {  // without an index (an empty table), index_ is no_index_: nothing matches, the probe stops at once
      const std::size_t home = position(h);
      // The usual case without a data-dependent branch: the key is in one of the window_slots slots
      // from its home slot (at most half full: a miss of the window is rare), found by its tag. The
      // window is inside the index: no home slot is among the last window_slots − 1 (position).
      const std::uint32_t matches = window_matches(home, tag(h));
      if (matches != 0) [[likely]] {
        value_type& v = slot_record(index_[home + static_cast<std::size_t>(std::countr_zero(matches))]);
        if (equal_(v.first, key)) [[likely]] return v.second;
      }
      // Otherwise (a new key, a key further along its cluster, or wrapped past the end of the index,
      // a tag shared by two keys): the plain linear probe.
      for (std::size_t pos = home;; pos = (pos + 1) & index_mask_) {
        const std::uint64_t slot = index_[pos];
        if (slot == 0) break;
        if (tag_of(slot) == tag(h)) {
          value_type& v = slot_record(slot);
          if (equal_(v.first, key)) return v.second;
        }
      }
    }
    return record_at(insert_new(h, Id(key))).second;
  }

  /// The pair of `key` and false, or a new pair with a value-initialised record and true.
  std::pair<iterator, bool> try_emplace(const Id& key) {
    const std::uint64_t h = mixed_hash(key);
    const std::size_t found = find_record(key, h);
    if (found != size_) return {iterator(this, found), false};
    return {iterator(this, insert_new(h, key)), true};
  }

  /// Removes the customer `key` (looked up like find); returns 1, or 0 when it is absent.
  ///
  /// Records stay dense: the last record is moved into the erased one's place, so the iteration order is
  /// the insertion order except that the last customer now stands where the erased one stood. Iterators
  /// are positions: one at the erased record's place now refers to the moved record (or is end() if the
  /// erased record was the last), so erasing `it->first` while iterating leaves `it` on the next record
  /// to visit. Iterators, references and pointers to the moved (formerly last) record, and end(), are
  /// invalidated; all others stay valid. The index slot is removed by backward-shift deletion (no
  /// tombstones): lookups probe as if the key had never been inserted. Memory is kept (record blocks and
  /// index do not shrink); the index stays at most half full.
  ///
  /// Privacy: the erased record is destroyed and its bytes zeroed before the moved record takes its place,
  /// and the vacated last place is destroyed and zeroed too, so no byte of the erased record stays
  /// readable in the table's blocks. Memory the record or id owned elsewhere (say, a long string id's heap
  /// buffer) is released to its allocator by their destructors, not zeroed.
  ///
  /// Cost: one lookup, one more probe for the last record's slot, and one hash per index slot of the rest
  /// of the erased key's probe cluster (the home slot is not stored), each reading that record's id.
  /// Copies the moved record's id (it is const in the pair), so a string id may allocate: if that throws,
  /// the table is unchanged.
  template <class Key>
  size_type erase(const Key& key) {
    static_assert(std::is_nothrow_move_constructible_v<Id> && std::is_nothrow_move_constructible_v<Record>,
                  "dense_record_map::erase moves the last record into the erased one's place");
    if (!has_index()) return 0;
    // Everything that can throw, or that reads `key` (which may alias the erased record's id), first.
    const std::uint64_t h = mixed_hash(key);
    std::size_t pos = position(h);
    for (;; pos = (pos + 1) & index_mask_) {
      const std::uint64_t slot = index_[pos];
      if (slot == 0) return 0;
      if (tag_of(slot) == tag(h) && equal_(slot_record(slot).first, key)) break;
    }
    const std::size_t erased = record_of(index_[pos]);
    const std::size_t last = size_ - 1;
    value_type& hole = record_at(erased);
    if (erased != last) {
      value_type& moved = record_at(last);
      const std::uint64_t moved_hash = mixed_hash(moved.first);
      const std::uint64_t moved_slot = make_slot(moved_hash, last);
      std::size_t moved_pos = position(moved_hash);
      while (index_[moved_pos] != moved_slot) moved_pos = (moved_pos + 1) & index_mask_;
      Id moved_id(moved.first);  // may throw: nothing has changed yet
      // From here on nothing throws.
      index_[moved_pos] = make_slot(moved_hash, erased);
      destroy_and_zero(hole);
      ::new (static_cast<void*>(&hole)) value_type(std::piecewise_construct, std::forward_as_tuple(std::move(moved_id)),
                                                   std::forward_as_tuple(std::move(moved.second)));
      destroy_and_zero(moved);
    } else {
      destroy_and_zero(hole);
    }
    --size_;
    remove_slot(pos);
    return 1;
  }

  /// Removes every customer, destroying and zeroing their records (as erase does); keeps the memory:
  /// record blocks and index, so that refilling allocates nothing. Invalidates every iterator.
  void clear() noexcept {
    for (std::size_t i = 0; i < size_; ++i) destroy_and_zero(record_at(i));
    size_ = 0;
    if (has_index()) std::fill_n(index_, index_mask_ + 1, std::uint64_t{0});
  }

  /// Room for `customers` without growing the index; the first block is allocated up to that size.
  void reserve(std::size_t customers) {
    if (customers > max_size_before_growth_) rebuild_index(slots_for(customers));
    if (blocks_.size() <= 1 && first_block_capacity_ < block_records && customers > first_block_capacity_) grow_first_block(std::min(customers, block_records));
    blocks_.reserve((customers + block_records - 1) / block_records);
  }

  /// Hints that `key` will be looked up soon: loads its index slot's cache line.
  template <class Key>
  void prefetch_slot(const Key& key) const noexcept {
    if (has_index()) prefetch(&index_[position(mixed_hash(key))]);
  }
  /// Hints that `key` will be looked up soon: finds the first record whose tag matches in the index (best
  /// called a few lookups after prefetch_slot) and loads its cache lines.
  template <class Key>
  void prefetch_record(const Key& key) const noexcept {
    if (!has_index()) return;
    const std::uint64_t h = mixed_hash(key);
    for (std::size_t pos = position(h), probes = 0; probes < 8; pos = (pos + 1) & index_mask_, ++probes) {
      const std::uint64_t slot = index_[pos];
      if (slot == 0) return;
      if (tag_of(slot) == tag(h)) {
        const auto* bytes = reinterpret_cast<const char*>(&slot_record(slot));
        for (std::size_t offset = 0; offset < sizeof(value_type); offset += 64) prefetch(bytes + offset);
        prefetch(bytes + sizeof(value_type) - 1);
        return;
      }
    }
  }

  /// Same customers with equal records, whatever the insertion order.
  friend bool operator==(const dense_record_map& a, const dense_record_map& b) {
    if (a.size_ != b.size_) return false;
    for (const auto& v : a) {
      const std::size_t i = b.find_record(v.first, b.mixed_hash(v.first));
      if (i == b.size_ || !(b.record_at(i).second == v.second)) return false;
    }
    return true;
  }

 private:
  using slot_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::uint64_t>;
  using block_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<std::byte>;
  // A slot's low 32 bits locate its record without a division: block number, then the offset in the block.
  static constexpr unsigned offset_bits = static_cast<unsigned>(std::bit_width(block_records - 1));
  static constexpr std::uint32_t offset_mask = static_cast<std::uint32_t>((std::uint64_t{1} << offset_bits) - 1);
  static constexpr std::size_t max_records = (std::size_t{1} << (32 - offset_bits)) * block_records;

  // GCC 12 drops __builtin_prefetch calls in some shapes (two of them on one base address; any inside
  // a loop that does nothing else), so x86-64 issues the instruction itself.
  static void prefetch([[maybe_unused]] const void* p) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __asm__ __volatile__("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#endif
  }

  // The id's hash, mixed (integers hash to themselves): the high bits pick the slot, the low 32 are the tag.
  template <class Key>
  [[nodiscard]] std::uint64_t mixed_hash(const Key& key) const noexcept {
    std::uint64_t h = static_cast<std::uint64_t>(hash_(key));
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    return h;
  }
  // The home slot: the high 32 bits of the hash scaled to [0, home_slots_) by a multiplication (Lemire,
  // "Fast random integer generation in an interval", ACM TOMACS 2019), home_slots_ = slots − window_slots
  // + 1, so that window_matches never reads past the index. The product fits: slots <= 2^32 (max_slots).
  [[nodiscard]] std::size_t position(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(((h >> 32) * home_slots_) >> 32);
  }
  /// The slots find_or_insert compares at once, from the home slot on.
  static constexpr std::size_t window_slots = 4;
  /// Bit i set when the tag of slot pos + i is `t` (i < window_slots; the window is inside the index).
  [[nodiscard]] std::uint32_t window_matches(std::size_t pos, std::uint32_t t) const noexcept {
    const std::uint64_t* w = index_ + pos;
#if defined(__SSE2__)
    // The four high halves (the tags) side by side, compared in one instruction.
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
    const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
    const __m128 tags = _mm_shuffle_ps(_mm_castsi128_ps(low), _mm_castsi128_ps(high), _MM_SHUFFLE(3, 1, 3, 1));
    const __m128i equal = _mm_cmpeq_epi32(_mm_castps_si128(tags), _mm_set1_epi32(static_cast<int>(t)));
    return static_cast<std::uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(equal)));
#else
    std::uint32_t matches = 0;
    for (std::size_t i = 0; i < window_slots; ++i) {
      matches |= static_cast<std::uint32_t>(tag_of(w[i]) == t) << i;
    }
    return matches;
#endif
  }
  /// Never 0, so that an occupied slot is never 0.
  static std::uint32_t tag(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h) | 1u; }
  static std::uint32_t tag_of(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot >> 32); }
  static std::size_t record_of(std::uint64_t slot) noexcept {
    const auto code = static_cast<std::uint32_t>(slot);
    return static_cast<std::size_t>(code >> offset_bits) * block_records + (code & offset_mask);
  }
  static std::uint64_t make_slot(std::uint64_t h, std::size_t record) noexcept {
    const auto code = ((record / block_records) << offset_bits) | (record % block_records);
    return (std::uint64_t{tag(h)} << 32) | static_cast<std::uint64_t>(code);
  }
  // The first block's address is read before the slot arrives (it does not depend on it), so in a
  // table of one block (up to block_records customers) the record's address waits for the slot only.
  [[nodiscard]] value_type& slot_record(std::uint64_t slot) noexcept {
    const auto code = static_cast<std::uint32_t>(slot);
    const std::uint32_t block = code >> offset_bits;
    value_type* base = blocks_[0];
    if (block != 0) base = blocks_[block];
    return base[code & offset_mask];
  }
  [[nodiscard]] const value_type& slot_record(std::uint64_t slot) const noexcept {
    const auto code = static_cast<std::uint32_t>(slot);
    return blocks_[code >> offset_bits][code & offset_mask];
  }

  [[nodiscard]] value_type& record_at(std::size_t i) noexcept {
    return blocks_[i / block_records][i % block_records];
  }
  [[nodiscard]] const value_type& record_at(std::size_t i) const noexcept {
    return blocks_[i / block_records][i % block_records];
  }

  /// The record number of `key`, or size_ when absent.
  template <class Key>
  [[nodiscard]] std::size_t find_record(const Key& key, std::uint64_t h) const {
    if (!has_index()) return size_;
    for (std::size_t pos = position(h);; pos = (pos + 1) & index_mask_) {
      const std::uint64_t slot = index_[pos];
      if (slot == 0) return size_;
      if (tag_of(slot) == tag(h) && equal_(slot_record(slot).first, key)) return record_of(slot);
    }
  }

  /// Destroys a record and zeroes its bytes (erase and clear: nothing of it stays in the block). The
  /// compiler may drop stores to storage that a constructor then takes (GCC's -flifetime-dse removes the
  /// memset before the moved record's construction at -O2), so the zeroes are made visible: an empty asm
  /// that may read them, or volatile stores elsewhere.
  static void destroy_and_zero(value_type& v) noexcept {
    std::destroy_at(&v);
    void* bytes = static_cast<void*>(&v);
#if defined(__GNUC__) || defined(__clang__)
    std::memset(bytes, 0, sizeof(value_type));
    __asm__ __volatile__("" : : "r"(bytes) : "memory");
#else
    auto* volatile_bytes = static_cast<volatile unsigned char*>(bytes);
    for (std::size_t i = 0; i < sizeof(value_type); ++i) volatile_bytes[i] = 0;
#endif
  }

  /// Empties index slot `pos` by backward-shift deletion: each later slot of the probe cluster that may
  /// sit earlier (its home is not cyclically in (hole, slot]) moves into the hole, which then moves on.
  void remove_slot(std::size_t pos) noexcept {
    std::size_t hole = pos;
    for (std::size_t j = (pos + 1) & index_mask_;; j = (j + 1) & index_mask_) {
      const std::uint64_t slot = index_[j];
      if (slot == 0) break;
      const std::size_t home = position(mixed_hash(slot_record(slot).first));
      if (((j - home) & index_mask_) >= ((j - hole) & index_mask_)) {
        index_[hole] = slot;
        hole = j;
      }
    }
    index_[hole] = 0;
  }

  /// Index slots for `customers` at most half full: a power of two, at least 16. Half, not more: with
  /// linear probing a successful lookup takes 1.5 probes on average at 1/2 full but 3 at 4/5; find_or_insert
  /// compares the first window_slots slots at once, and a key further along costs the plain probe, a
  /// branch mispredicted while the slot's load is in flight (docs/benchmarks.md).
  static std::size_t slots_for(std::size_t customers) {
    if (customers > max_slots / 2) throw std::length_error("dense_record_map: more than 2^31 customers");
    std::size_t slots = 16;
    while (slots / 2 < customers) slots *= 2;
    return slots;
  }
  /// The largest index (see position); at most half full, it holds 2^31 customers.
  static constexpr std::uint64_t max_slots = std::uint64_t{1} << 32;

  /// Appends a record for a key known to be absent; returns its number.
  std::size_t insert_new(std::uint64_t h, Id key) {
    if (size_ >= max_size_before_growth_) rebuild_index(slots_for(size_ + 1 > 8 ? 2 * size_ : 16));
    const std::size_t record = emplace_record(std::move(key));
    std::size_t pos = position(h);
    while (index_[pos] != 0) pos = (pos + 1) & index_mask_;
    index_[pos] = make_slot(h, record);
    return record;
  }

  /// Used when copying: the key is known to be absent.
  void emplace_new(const Id& key, const Record& record) {
    const std::size_t i = insert_new(mixed_hash(key), key);
    record_at(i).second = record;
  }

  std::size_t emplace_record(Id&& key) {
    if (size_ >= max_records) throw std::length_error("dense_record_map: too many customers for 32-bit record codes");
    if (blocks_.empty() || (blocks_.size() == 1 && size_ == first_block_capacity_ && size_ < block_records)) {
      grow_first_block(std::min(std::max<std::size_t>(16, 2 * size_), block_records));
    } else if (size_ == blocks_.size() * block_records) {
      blocks_.reserve(blocks_.size() + 1);
      blocks_.push_back(allocate_block(block_records));
    }
    value_type* where = &blocks_[size_ / block_records][size_ % block_records];
    ::new (static_cast<void*>(where)) value_type(std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                                                 std::forward_as_tuple());
    return size_++;
  }

  /// The first block, while the table is small, grows by relocating its records.
  void grow_first_block(std::size_t capacity) {
    value_type* grown = allocate_block(capacity);
    if (!blocks_.empty()) {
      value_type* old = blocks_[0];
      std::size_t moved = 0;
      try {
        for (; moved < size_; ++moved) ::new (static_cast<void*>(grown + moved)) value_type(old[moved]);
      } catch (...) {
        std::destroy_n(grown, moved);
        deallocate_block(grown, capacity);
        throw;
      }
      std::destroy_n(old, size_);
      deallocate_block(old, first_block_capacity_);
      blocks_[0] = grown;
    } else {
      blocks_.push_back(grown);
    }
    first_block_capacity_ = capacity;
  }

  value_type* allocate_block(std::size_t records) {
    block_allocator a(alloc_);
    return reinterpret_cast<value_type*>(a.allocate(records * sizeof(value_type)));
  }
  void deallocate_block(value_type* block, std::size_t records) noexcept {
    block_allocator a(alloc_);
    a.deallocate(reinterpret_cast<std::byte*>(block), records * sizeof(value_type));
  }

  void rebuild_index(std::size_t slots) {
    slot_allocator a(alloc_);
    std::uint64_t* fresh = a.allocate(slots);
    std::fill_n(fresh, slots, std::uint64_t{0});
    if (has_index()) a.deallocate(index_, index_mask_ + 1);
    index_ = fresh;
    index_mask_ = slots - 1;
    home_slots_ = slots - window_slots + 1;
    max_size_before_growth_ = slots / 2;
    for (std::size_t i = 0; i < size_; ++i) {
      const std::uint64_t h = mixed_hash(record_at(i).first);
      std::size_t pos = position(h);
      while (index_[pos] != 0) pos = (pos + 1) & index_mask_;
      index_[pos] = make_slot(h, i);
    }
  }

  void release() noexcept {
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      // Blocks past the records (after erasures) hold none.
      const std::size_t in_block = size_ > b * block_records ? std::min(block_records, size_ - b * block_records) : 0;
      std::destroy_n(blocks_[b], in_block);
      deallocate_block(blocks_[b], blocks_.size() == 1 ? first_block_capacity_ : block_records);
    }
    blocks_.clear();
    if (has_index()) {
      slot_allocator a(alloc_);
      a.deallocate(index_, index_mask_ + 1);
      index_ = no_index();
      index_mask_ = 0;
      home_slots_ = 0;
      max_size_before_growth_ = 0;
    }
    first_block_capacity_ = 0;
    size_ = 0;
  }

  // Without an index (nothing inserted yet, or released), index_ points to window_slots empty slots
  // shared by every table of this type, with index_mask_ = 0 and home_slots_ = 0: a lookup reads them
  // like any index (no test on the hot path), finds nothing, and inserts; nothing ever writes them.
  inline static std::uint64_t no_index_[window_slots] = {};
  static std::uint64_t* no_index() noexcept { return no_index_; }
  [[nodiscard]] bool has_index() const noexcept { return index_ != no_index_; }

  std::uint64_t* index_ = no_index();  ///< 0 = empty; else tag << 32 | block << offset_bits | offset
  std::size_t index_mask_ = 0;
  std::uint64_t home_slots_ = 0;  ///< home slots are 0 .. home_slots_ − 1 (position)
  std::size_t max_size_before_growth_ = 0;
  std::vector<value_type*> blocks_;  ///< full blocks of block_records, except a small first block
  std::size_t first_block_capacity_ = 0;
  std::size_t size_ = 0;
  [[no_unique_address]] Hash hash_{};
  [[no_unique_address]] Equal equal_{};
  [[no_unique_address]] Allocator alloc_{};
};

}  // namespace cxm
