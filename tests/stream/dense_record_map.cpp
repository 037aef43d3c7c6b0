// Tests for cxm::dense_record_map (include/cxm/stream/dense_record_map.hpp), the engine's default map:
// lookups against a std::unordered_map reference over several record blocks and index growths,
// iteration in insertion order, reserve, copies and moves, equality whatever the insertion order,
// prefetch hints, keys whose hash tags collide, the engine's prefetching bulk add, and erase and clear
// (random interleavings against the reference, the moved record, memory in use, no byte left behind).

#include "cxm/stream/dense_record_map.hpp"
#include "cxm/stream/customer_table.hpp"
#include "cxm/stream/flat_customer_map.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/version.hpp>
#include <doctest/doctest.h>

#include "cxm/events/customer_metrics.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/parallel.hpp"
#include "stream/stream_support.hpp"

// The `clang` preset builds against the Boost 1.74 headers (cxm's floor) and says so with
// -DCXM_EXPECTED_BOOST_VERSION=107400: fail here if another Boost was found instead.
#ifdef CXM_EXPECTED_BOOST_VERSION
static_assert(BOOST_VERSION == CXM_EXPECTED_BOOST_VERSION,
              "not the Boost this preset expects (CXM_EXPECTED_BOOST_VERSION); `make clang` unpacks Boost 1.74 "
              "into build/boost-1.74 and the clang preset points Boost_ROOT there");
#endif

namespace {

/// A record of `Words` 64-bit words. Wide records make small blocks (Map::block_records), so that a
/// few thousand customers span several blocks. In the reference runs words[0] counts the customer's
/// lookups and words.back() holds its insertion number (1, 2, ...).
template <std::size_t Words>
struct wide_record {
  std::array<std::uint64_t, Words> words{};
  friend bool operator==(const wide_record&, const wide_record&) = default;
};

/// 96 bytes, like the engine's default record: a value of 104 bytes with a 64-bit id.
using engine_sized_record = wide_record<12>;

/// FNV-1a over the 16 bytes: the reference's own hash for UUIDs (independent of cxm's).
struct uuid_reference_hash {
  std::size_t operator()(const cxm::uuid& id) const noexcept {
    std::uint64_t h = 0xCBF29CE484222325u;
    for (const auto b : id.bytes) h = (h ^ b) * 0x100000001B3u;
    return static_cast<std::size_t>(h);
  }
};

/// How a key is looked up: string ids as std::string_view (no allocation), others as they are.
template <class Key>
decltype(auto) lookup_form(const Key& key) {
  if constexpr (std::is_same_v<Key, std::string>) {
    return std::string_view(key);
  } else {
    return (key);
  }
}

template <class Map, class Key, class ReferenceHash>
struct reference_run {
  Map map;
  std::unordered_map<Key, std::uint64_t, ReferenceHash> lookups;  ///< customer -> find_or_insert calls
  std::vector<Key> first_seen;                                     ///< customers in insertion order
  std::size_t index_growths = 0;
  std::size_t wrong_finds = 0;  ///< find() before find_or_insert disagreed with the reference
  std::size_t wrong_sizes = 0;  ///< size() disagreed with the reference after an insertion
};

/// Feeds `map` with keys from `pool` until it holds `customers` of them: two draws in three are a new
/// key (in pool order), one in three repeats a key already inserted. Every eighth draw is first looked
/// up with find() and compared with the reference. pool[customers..] are never inserted.
template <class Map, class Key, class ReferenceHash>
void run_against_reference(reference_run<Map, Key, ReferenceHash>& run, const std::vector<Key>& pool,
                           std::size_t customers, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::size_t next = 0, slots = run.map.index_slots();
  for (std::size_t draw = 0; run.first_seen.size() < customers; ++draw) {
    const bool repeat = !run.first_seen.empty() && rng() % 3 == 0;
    const Key& key = repeat ? run.first_seen[rng() % run.first_seen.size()] : pool[next++];
    if (draw % 8 == 0) {
      const auto it = run.map.find(lookup_form(key));
      const auto want = run.lookups.find(key);
      const bool ok = (it == run.map.end()) == (want == run.lookups.end()) &&
                      (it == run.map.end() || (it->first == key && it->second.words[0] == want->second));
      if (!ok) ++run.wrong_finds;
    }
    auto& record = run.map.find_or_insert(lookup_form(key));
    ++record.words[0];
    const auto [counted, inserted] = run.lookups.try_emplace(key, 0);
    ++counted->second;
    if (inserted) {
      run.first_seen.push_back(key);
      record.words.back() = run.first_seen.size();
    }
    if (run.map.size() != run.lookups.size()) ++run.wrong_sizes;
    if (run.map.index_slots() != slots) {
      ++run.index_growths;
      slots = run.map.index_slots();
    }
  }
}

/// Every customer of the reference is found (const and non-const find) with its id and lookup count;
/// the keys never inserted are not found; iteration visits every record once, in insertion order.
template <class Map, class Key, class ReferenceHash>
void check_against_reference(const reference_run<Map, Key, ReferenceHash>& run, const std::vector<Key>& pool) {
  const Map& map = run.map;
  CHECK(run.wrong_finds == 0);
  CHECK(run.wrong_sizes == 0);
  REQUIRE(map.size() == run.lookups.size());
  CHECK_FALSE(map.empty());

  std::size_t unreachable = 0;
  for (const auto& [key, count] : run.lookups) {
    const auto it = map.find(lookup_form(key));
    if (it == map.end() || !(it->first == key) || it->second.words[0] != count) ++unreachable;
  }
  CHECK(unreachable == 0);

  std::size_t found_absent = 0;
  for (std::size_t i = run.first_seen.size(); i < pool.size(); ++i) {
    if (map.find(lookup_form(pool[i])) != map.end()) ++found_absent;
  }
  CHECK(found_absent == 0);

  std::size_t visited = 0, out_of_order = 0;
  for (const auto& [key, record] : map) {
    if (visited >= run.first_seen.size() || !(key == run.first_seen[visited]) || record.words.back() != visited + 1) {
      ++out_of_order;
    }
    ++visited;
  }
  CHECK(visited == map.size());
  CHECK(out_of_order == 0);
  CHECK(static_cast<std::size_t>(std::distance(map.begin(), map.end())) == map.size());
}

/// `n` distinct keys made by `make(rng)`.
template <class Key, class ReferenceHash, class Make>
std::vector<Key> distinct_keys(std::size_t n, std::uint64_t seed, Make make) {
  std::mt19937_64 rng(seed);
  std::unordered_set<Key, ReferenceHash> seen;
  std::vector<Key> out;
  out.reserve(n);
  while (out.size() < n) {
    Key key = make(rng);
    if (seen.insert(key).second) out.push_back(std::move(key));
  }
  return out;
}

/// Customers enough for three blocks and a quarter: four blocks allocated.
template <class Map>
constexpr std::size_t over_three_blocks = 3 * Map::block_records + Map::block_records / 4;

std::vector<std::uint64_t> random_ids(std::size_t n, std::uint64_t seed) {
  return distinct_keys<std::uint64_t, std::hash<std::uint64_t>>(n, seed, [](std::mt19937_64& rng) { return rng(); });
}

/// A map of `n` customers (keys 1000 + 7·i, inserted in order); customer i's words[1] is i.
template <class Map>
Map numbered_map(std::size_t n) {
  Map map;
  for (std::size_t i = 0; i < n; ++i) map.find_or_insert(std::uint64_t{1000 + 7 * i}).words[1] = i;
  return map;
}

/// The ids of `map` in iteration order.
template <class Map>
std::vector<typename Map::key_type> ids_in_order(const Map& map) {
  std::vector<typename Map::key_type> out;
  for (const auto& [id, record] : map) out.push_back(id);
  return out;
}

// --- hashes that collide -----------------------------------------------------------------------------

/// Five hash values for all keys: keys congruent mod 5 have the same hash, hence the same 32-bit tag
/// and the same home slot in the index.
struct five_hashes {
  using is_transparent = void;
  std::size_t operator()(std::uint64_t key) const noexcept { return static_cast<std::size_t>(key % 5); }
};

/// dense_record_map's hash mixer (x ^= x >> 33; x *= C; x ^= x >> 33), copied, and its inverse: both
/// xor-shifts are their own inverse (33 ≥ 32), and C is odd, so it has an inverse modulo 2^64 (found by
/// Newton's iteration).
constexpr std::uint64_t mixer_multiplier = 0xFF51AFD7ED558CCDu;
constexpr std::uint64_t inverse_multiplier = [] {
  std::uint64_t inverse = mixer_multiplier;  // right to 3 bits for an odd number; each step doubles that
  for (int i = 0; i < 5; ++i) inverse *= 2 - mixer_multiplier * inverse;
  return inverse;
}();
static_assert(mixer_multiplier * inverse_multiplier == 1);

constexpr std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= mixer_multiplier;
  h ^= h >> 33;
  return h;
}
constexpr std::uint64_t unmix(std::uint64_t mixed) noexcept {
  mixed ^= mixed >> 33;
  mixed *= inverse_multiplier;
  mixed ^= mixed >> 33;
  return mixed;
}
static_assert(mix(unmix(0x0123456789ABCDEFu)) == 0x0123456789ABCDEFu && unmix(mix(42)) == 42);

/// A hash whose mixed value has the same low 32 bits (the tag) for every key and key-dependent high
/// bits (the slot): every key shares one tag, but the keys spread over the index. It relies on the
/// mixer of dense_record_map::mixed_hash as written today; were that to change, the keys would stop
/// sharing a tag and this would test ordinary lookups.
struct one_tag_hash {
  using is_transparent = void;
  std::size_t operator()(std::uint64_t key) const noexcept {
    std::uint64_t spread = key * 0x9E3779B97F4A7C15u;
    spread ^= spread >> 29;
    return static_cast<std::size_t>(unmix((spread & 0xFFFFFFFF00000000u) | 0x2468ACE1u));
  }
};

template <class Id, class Record>
using five_hash_map = cxm::dense_record_map<Id, Record, five_hashes, std::equal_to<>>;

using engine_record = cxm::customer_record<cxm::spend, cxm::activity, cxm::satisfaction>;

/// Every id of `reference` is found, under its own key, with its count in words[0]; no id in
/// [absent_from, absent_to) is found.
template <class Map>
void check_counts(const Map& map, const std::unordered_map<std::uint64_t, std::uint64_t>& reference,
                  std::uint64_t absent_from, std::uint64_t absent_to) {
  REQUIRE(map.size() == reference.size());
  std::size_t wrong = 0;
  for (const auto& [id, count] : reference) {
    const auto it = map.find(id);
    if (it == map.end() || it->first != id || it->second.words[0] != count) ++wrong;
  }
  CHECK(wrong == 0);
  std::size_t found_absent = 0;
  for (std::uint64_t id = absent_from; id < absent_to; ++id) found_absent += map.find(id) != map.end() ? 1u : 0u;
  CHECK(found_absent == 0);
}

}  // namespace

// --- lookups against a reference -------------------------------------------------------------------

TEST_CASE("dense_record_map: an empty map finds nothing and owns no memory") {
  cxm::dense_record_map<std::uint64_t, engine_sized_record> map;
  CHECK(map.size() == 0);
  CHECK(map.empty());
  CHECK(map.begin() == map.end());
  CHECK(map.find(std::uint64_t{0}) == map.end());
  CHECK(map.find(std::uint64_t{42}) == map.end());
  CHECK(map.index_slots() == 0);
  CHECK(map.record_capacity() == 0);
  const auto& const_map = map;
  CHECK(const_map.find(std::uint64_t{42}) == const_map.end());
}

TEST_CASE("dense_record_map: uint64 ids over several blocks and index growths agree with std::unordered_map") {
  using map_type = cxm::dense_record_map<std::uint64_t, engine_sized_record>;
  static_assert(sizeof(map_type::value_type) == 104);
  static_assert(map_type::block_records == 2 * cxm::huge_page_size / 104);  // 40,329
  constexpr std::size_t customers = over_three_blocks<map_type>;
  const auto pool = random_ids(customers + 5'000, 101);
  reference_run<map_type, std::uint64_t, std::hash<std::uint64_t>> run;
  run_against_reference(run, pool, customers, 1);
  check_against_reference(run, pool);
  CHECK(run.map.record_capacity() == 4 * map_type::block_records);  // four whole blocks
  CHECK(run.index_growths >= 10);                                      // 16 slots .. 262,144
  CHECK(run.map.index_slots() >= run.map.size() * 5 / 4);             // at most 4/5 full
}

TEST_CASE("dense_record_map: string ids, looked up as std::string_view, agree with std::unordered_map") {
  using map_type = cxm::dense_record_map<std::string, wide_record<124>>;
  static_assert(map_type::block_records <= 5'000);  // 1024-byte values with libstdc++'s 32-byte string
  constexpr std::size_t customers = over_three_blocks<map_type>;
  // Short ids live in the string's inline buffer, long ones on the heap: both move when the first block grows.
  const auto pool = distinct_keys<std::string, std::hash<std::string>>(customers + 2'000, 102, [](std::mt19937_64& rng) {
    const auto n = rng();
    return n % 2 == 0 ? std::to_string(n % 100'000'000) : "customer-" + std::to_string(n) + "@example.com";
  });
  reference_run<map_type, std::string, std::hash<std::string>> run;
  run_against_reference(run, pool, customers, 2);
  check_against_reference(run, pool);
  CHECK(run.map.record_capacity() == 4 * map_type::block_records);
  CHECK(run.index_growths >= 10);
}

TEST_CASE("dense_record_map: uuid ids agree with std::unordered_map") {
  using map_type = cxm::dense_record_map<cxm::uuid, wide_record<126>>;
  static_assert(sizeof(map_type::value_type) == 1024 && map_type::block_records == 4096);
  constexpr std::size_t customers = over_three_blocks<map_type>;
  const auto pool = distinct_keys<cxm::uuid, uuid_reference_hash>(customers + 1'000, 103, [](std::mt19937_64& rng) {
    cxm::uuid id;
    for (std::size_t half = 0; half < 2; ++half) {
      const auto bits = rng();
      for (std::size_t i = 0; i < 8; ++i) id.bytes[8 * half + i] = static_cast<std::uint8_t>(bits >> (8 * i));
    }
    return id;
  });
  reference_run<map_type, cxm::uuid, uuid_reference_hash> run;
  run_against_reference(run, pool, customers, 3);
  check_against_reference(run, pool);
  CHECK(run.index_growths >= 8);
}

TEST_CASE("dense_record_map: records are modified in place through iterators and find") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  auto map = numbered_map<map_type>(1'000);
  for (auto& [id, r] : map) r.words[2] = id * 3;
  const auto it = map.find(std::uint64_t{1000 + 7 * 500});
  REQUIRE(it != map.end());
  it->second.words[3] = 99;
  map_type::const_iterator converted = it;  // iterator -> const_iterator
  CHECK(converted->second.words[3] == 99);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < 1'000; ++i) {
    const std::uint64_t id = 1000 + 7 * i;
    const auto found = std::as_const(map).find(id);
    if (found == map.end() || found->second.words[1] != i || found->second.words[2] != id * 3 ||
        found->second.words[3] != (i == 500 ? 99u : 0u)) {
      ++wrong;
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("dense_record_map: try_emplace inserts once and reports whether it did") {
  cxm::dense_record_map<std::uint64_t, wide_record<2>> map;
  auto [first, inserted] = map.try_emplace(7);
  CHECK(inserted);
  CHECK(first->first == 7);
  first->second.words[0] = 5;
  auto [again, inserted_again] = map.try_emplace(7);
  CHECK_FALSE(inserted_again);
  CHECK(again->second.words[0] == 5);
  CHECK(map.size() == 1);
  CHECK(map.find_or_insert(std::uint64_t{7}).words[0] == 5);
  CHECK(map.try_emplace(8).second);
  CHECK(ids_in_order(map) == std::vector<std::uint64_t>{7, 8});
}

TEST_CASE("dense_record_map: records keep their address once the first block is full") {
  // While the table is small the first block grows by relocation; from a full block on, never again.
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<126>>;
  constexpr std::size_t block = map_type::block_records;
  auto map = numbered_map<map_type>(block + 1);
  const auto* first = &map.find(std::uint64_t{1000})->second;
  const auto* last_of_first_block = &map.find(std::uint64_t{1000 + 7 * (block - 1)})->second;
  const auto* first_of_second_block = &map.find(std::uint64_t{1000 + 7 * block})->second;
  for (std::size_t i = block + 1; i < 3 * block; ++i) map.find_or_insert(std::uint64_t{1000 + 7 * i}).words[1] = i;
  CHECK(map.size() == 3 * block);
  CHECK(&map.find(std::uint64_t{1000})->second == first);
  CHECK(&map.find(std::uint64_t{1000 + 7 * (block - 1)})->second == last_of_first_block);
  CHECK(&map.find(std::uint64_t{1000 + 7 * block})->second == first_of_second_block);
  CHECK(first->words[1] == 0);
  CHECK(first_of_second_block->words[1] == block);
}

// --- reserve -----------------------------------------------------------------------------------------

TEST_CASE("dense_record_map: after reserve(n), n customers fit without growing the index") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;  // 504-byte values, 8322 per block
  constexpr std::size_t customers = 2 * map_type::block_records + 100;
  const auto ids = random_ids(customers, 104);
  map_type map;
  map.reserve(customers);
  CHECK(map.empty());
  const auto slots = map.index_slots();
  CHECK(slots >= customers * 5 / 4);
  CHECK(map.record_capacity() == map_type::block_records);  // the first block, whole
  for (std::size_t i = 0; i < customers; ++i) map.find_or_insert(ids[i]).words[0] = i + 1;
  CHECK(map.index_slots() == slots);
  CHECK(map.size() == customers);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < customers; ++i) {
    const auto it = map.find(ids[i]);
    if (it == map.end() || it->second.words[0] != i + 1) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(ids_in_order(map) == ids);
}

TEST_CASE("dense_record_map: reserve on a filled map keeps every record, and reserve below size changes nothing") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;
  const auto ids = random_ids(20'000, 105);
  map_type map;
  for (std::size_t i = 0; i < 300; ++i) map.find_or_insert(ids[i]).words[0] = i + 1;
  map.reserve(100);  // below the size
  CHECK(map.size() == 300);
  map.reserve(ids.size());  // rebuilds the index and grows the small first block to a whole one
  CHECK(map.size() == 300);
  const auto slots = map.index_slots();
  for (std::size_t i = 300; i < ids.size(); ++i) map.find_or_insert(ids[i]).words[0] = i + 1;
  CHECK(map.index_slots() == slots);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto it = map.find(ids[i]);
    if (it == map.end() || it->second.words[0] != i + 1) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(ids_in_order(map) == ids);
  map.reserve(0);
  CHECK(map.size() == ids.size());

  map_type small;
  small.reserve(10);
  for (std::uint64_t id = 1; id <= 25; ++id) small.find_or_insert(id).words[0] = id;  // past the reserved 10
  CHECK(small.size() == 25);
  std::size_t small_wrong = 0;
  for (std::uint64_t id = 1; id <= 25; ++id) small_wrong += small.find(id)->second.words[0] == id ? 0u : 1u;
  CHECK(small_wrong == 0);
}

// --- copies, moves, swap --------------------------------------------------------------------------------

TEST_CASE("dense_record_map: a copy holds the same records in the same order and is independent") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;
  const std::size_t n = 3 * map_type::block_records + 17;
  const auto original = numbered_map<map_type>(n);
  map_type copy(original);
  CHECK(copy.size() == n);
  CHECK(copy == original);
  CHECK(ids_in_order(copy) == ids_in_order(original));
  CHECK(copy.find(std::uint64_t{1000 + 7 * (n - 1)})->second.words[1] == n - 1);

  copy.find_or_insert(std::uint64_t{1000}).words[1] = 12345;
  CHECK(original.find(std::uint64_t{1000})->second.words[1] == 0);
  CHECK_FALSE(copy == original);
  copy.find_or_insert(std::uint64_t{3});
  CHECK(copy.size() == n + 1);
  CHECK(original.size() == n);
  CHECK(original.find(std::uint64_t{3}) == original.end());

  const map_type empty;
  const map_type empty_copy(empty);
  CHECK(empty_copy.empty());
  CHECK(empty_copy == empty);
}

TEST_CASE("dense_record_map: copy assignment replaces the content; self-assignment keeps it") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;
  const auto source = numbered_map<map_type>(2 * map_type::block_records + 5);
  auto target = numbered_map<map_type>(50);
  target.find_or_insert(std::uint64_t{1}).words[0] = 1;
  target = source;
  CHECK(target == source);
  CHECK(ids_in_order(target) == ids_in_order(source));
  CHECK(target.find(std::uint64_t{1}) == target.end());

  const map_type snapshot(target);
  auto& alias = target;
  target = alias;
  CHECK(target == snapshot);
  CHECK(ids_in_order(target) == ids_in_order(snapshot));

  target = map_type{};
  CHECK(target.empty());
  CHECK(target.find(std::uint64_t{1000}) == target.end());
}

TEST_CASE("dense_record_map: moves transfer the records; the moved-from map is empty and reusable") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;
  const std::size_t n = 2 * map_type::block_records + 3;
  const auto snapshot = numbered_map<map_type>(n);
  auto source = snapshot;
  const auto* record_address = &source.find(std::uint64_t{1000 + 7 * 10})->second;

  map_type moved(std::move(source));
  CHECK(moved == snapshot);
  CHECK(&moved.find(std::uint64_t{1000 + 7 * 10})->second == record_address);  // no copy of the records
  CHECK(source.size() == 0);  // NOLINT(bugprone-use-after-move): the move leaves an empty map
  CHECK(source.find(std::uint64_t{1000}) == source.end());
  source.find_or_insert(std::uint64_t{9}).words[0] = 9;
  CHECK(source.size() == 1);
  CHECK(source.find(std::uint64_t{9})->second.words[0] == 9);

  map_type target = numbered_map<map_type>(40);
  target = std::move(moved);
  CHECK(target == snapshot);
  CHECK(ids_in_order(target) == ids_in_order(snapshot));
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)

  auto& alias = target;
  target = std::move(alias);
  CHECK(target == snapshot);
}

TEST_CASE("dense_record_map: swap exchanges the contents") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  const auto big = numbered_map<map_type>(5'000);
  map_type small;
  small.find_or_insert(std::uint64_t{1}).words[0] = 1;
  const map_type small_snapshot(small);
  map_type a(big), b(small);
  a.swap(b);
  CHECK(a == small_snapshot);
  CHECK(b == big);
  using std::swap;
  swap(a, b);
  CHECK(a == big);
  CHECK(b == small_snapshot);
  a.find_or_insert(std::uint64_t{2});  // both stay usable
  b.find_or_insert(std::uint64_t{2});
  CHECK(a.size() == 5'001);
  CHECK(b.size() == 2);
}

// --- equality -----------------------------------------------------------------------------------------

TEST_CASE("dense_record_map: == compares customers and records, whatever the insertion order") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  const auto ids = random_ids(3'000, 106);
  map_type forward, backward, reserved;
  for (std::size_t i = 0; i < ids.size(); ++i) forward.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  for (std::size_t i = ids.size(); i-- > 0;) backward.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  reserved.reserve(100'000);  // another index size
  for (std::size_t i = 0; i < ids.size(); i += 2) reserved.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  for (std::size_t i = 1; i < ids.size(); i += 2) reserved.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  CHECK(ids_in_order(forward) != ids_in_order(backward));
  CHECK(forward == backward);
  CHECK(backward == forward);
  CHECK(forward == reserved);
  CHECK(forward.index_slots() != reserved.index_slots());

  backward.find_or_insert(ids[1'234]).words[3] = 1;  // one record differs
  CHECK_FALSE(forward == backward);
  CHECK_FALSE(backward == forward);
  backward.find_or_insert(ids[1'234]).words[3] = 0;
  CHECK(forward == backward);

  auto bigger = forward;
  bigger.find_or_insert(std::uint64_t{0});  // one customer more
  CHECK_FALSE(forward == bigger);
  CHECK_FALSE(bigger == forward);

  // Same size, one customer replaced by another with an equal record.
  map_type other_customer;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) other_customer.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  other_customer.find_or_insert(ids.back() + 1).words[0] = ids.back() % 1000;
  CHECK(other_customer.size() == forward.size());
  CHECK_FALSE(forward == other_customer);

  CHECK(map_type{} == map_type{});
  CHECK_FALSE(map_type{} == forward);
}

TEST_CASE("customer_table: tables on dense_record_map compare equal whatever the insertion order") {
  cxm::customer_table<std::string, engine_record> a, b;
  for (int i = 0; i < 500; ++i) a.find_or_insert("customer-" + std::to_string(i)).get<cxm::spend>().purchase_amount = i;
  for (int i = 499; i >= 0; --i) b.find_or_insert("customer-" + std::to_string(i)).get<cxm::spend>().purchase_amount = i;
  CHECK(a == b);
  b.find_or_insert(std::string_view{"customer-7"}).get<cxm::spend>().refund_amount = 1.0;
  CHECK_FALSE(a == b);
}

// --- prefetch hints -------------------------------------------------------------------------------------

TEST_CASE("dense_record_map: prefetch hints on an empty map, on present and on absent keys change nothing") {
  using map_type = cxm::dense_record_map<std::uint64_t, engine_sized_record>;
  map_type map;
  map.prefetch_slot(std::uint64_t{1});
  map.prefetch_record(std::uint64_t{1});
  map.prefetch_slot(std::numeric_limits<std::uint64_t>::max());
  map.prefetch_record(std::uint64_t{0});
  CHECK(map.empty());
  CHECK(map.index_slots() == 0);

  const auto ids = random_ids(6'000, 107);
  for (std::size_t i = 0; i < 3'000; ++i) map.find_or_insert(ids[i]).words[0] = i + 1;
  const map_type snapshot(map);
  for (const auto id : ids) {  // half present, half absent
    map.prefetch_slot(id);
    map.prefetch_record(id);
  }
  for (std::uint64_t id = 0; id < 1'000; ++id) {
    std::as_const(map).prefetch_slot(id);
    std::as_const(map).prefetch_record(id);
  }
  CHECK(map.size() == 3'000);
  CHECK(map == snapshot);
  CHECK(ids_in_order(map) == ids_in_order(snapshot));
  CHECK(map.find(ids[4'000]) == map.end());

  cxm::dense_record_map<std::string, wide_record<2>> strings;
  strings.prefetch_slot(std::string_view{"nobody"});
  strings.prefetch_record(std::string_view{""});
  strings.find_or_insert(std::string_view{"somebody"});
  strings.prefetch_slot(std::string_view{"somebody"});
  strings.prefetch_record(std::string_view{"somebody"});
  strings.prefetch_record(std::string_view{"nobody"});
  CHECK(strings.size() == 1);
}

TEST_CASE("customer_table: takes prefetch hints on dense_record_map only, harmlessly") {
  static_assert(cxm::customer_table<std::uint64_t, engine_record>::prefetches);
  static_assert(cxm::customer_table<cxm::uuid, engine_record>::prefetches);
#if BOOST_VERSION >= 108100  // flat_customer_map needs Boost 1.81 (include/cxm/stream/flat_customer_map.hpp)
  static_assert(!cxm::customer_table<std::uint64_t, engine_record, cxm::flat_customer_map>::prefetches);
#endif

  cxm::customer_table<std::string, engine_record> table;
  table.prefetch_slot(std::string{"ada"});  // empty table
  table.prefetch_record("ada");
  table.find_or_insert(std::string_view{"ada"}).get<cxm::spend>().purchase_amount = 2.5;
  table.prefetch_slot("ada");
  table.prefetch_record(std::string_view{"ada"});
  table.prefetch_slot("grace");
  table.prefetch_record("grace");
  CHECK(table.size() == 1);
  CHECK(table.find("ada")->get<cxm::spend>().purchase_amount == 2.5);
  CHECK(table.find("grace") == nullptr);

#if BOOST_VERSION >= 108100
  cxm::customer_table<std::uint64_t, engine_record, cxm::flat_customer_map> flat;  // no-ops
  flat.prefetch_slot(std::uint64_t{1});
  flat.prefetch_record(std::uint64_t{1});
  CHECK(flat.size() == 0);
#endif
}

// --- colliding hashes ---------------------------------------------------------------------------------

TEST_CASE("dense_record_map: keys with one hash value (same tag, same home slot) are told apart") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<2>, five_hashes, std::equal_to<>>;
  map_type map;
  std::unordered_map<std::uint64_t, std::uint64_t> reference;
  std::mt19937_64 rng(108);
  std::vector<std::uint64_t> first_seen;
  for (int draw = 0; draw < 2'000; ++draw) {
    const std::uint64_t id = rng() % 600;  // 600 ids, 5 hash values
    ++map.find_or_insert(id).words[0];
    if (reference[id]++ == 0) first_seen.push_back(id);
    map.prefetch_slot(id);
    map.prefetch_record(id);
    map.prefetch_record(id + 600);  // absent, same hash as id
  }
  check_counts(map, reference, 600, 1'200);
  CHECK(ids_in_order(map) == first_seen);

  // Copies rebuild the clustered index; equality probes it.
  map_type reversed;
  for (auto it = first_seen.rbegin(); it != first_seen.rend(); ++it) reversed.find_or_insert(*it) = map.find(*it)->second;
  CHECK(reversed == map);
  const map_type copy(reversed);
  CHECK(copy == map);
}

TEST_CASE("dense_record_map: keys that share one 32-bit tag in different slots are told apart") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<2>, one_tag_hash, std::equal_to<>>;
  // After mixing, the keys' hashes share their low 32 bits (the tag) and differ in the high bits (the slot).
  std::unordered_set<std::uint64_t> high_bits;
  std::size_t other_tags = 0;
  for (std::uint64_t id = 0; id < 1'000; ++id) {
    const std::uint64_t mixed = mix(one_tag_hash{}(id));
    if ((mixed & 0xFFFFFFFFu) != 0x2468ACE1u) ++other_tags;
    high_bits.insert(mixed >> 32);
  }
  CHECK(other_tags == 0);
  CHECK(high_bits.size() == 1'000);
  map_type map;
  std::unordered_map<std::uint64_t, std::uint64_t> reference;
  std::mt19937_64 rng(109);
  for (int draw = 0; draw < 30'000; ++draw) {
    const std::uint64_t id = rng() % 20'000;
    ++map.find_or_insert(id).words[0];
    ++reference[id];
    if (draw % 16 == 0) map.prefetch_record(id + 20'000);
  }
  check_counts(map, reference, 20'000, 40'000);
}

TEST_CASE("customer_table on a map with colliding hashes: the engine's customers match the reference") {
  cxm::test::stream_spec spec;
  spec.events = 5'000;
  spec.customers = 400;  // 400 customers, 5 hash values
  const auto events = cxm::test::random_stream(spec);
  cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::default_customer_metrics, five_hash_map> colliding(
      cxm::test::config_for(spec));
  CHECK(colliding.add(events) == events.size());
  std::string first;
  CHECK_MESSAGE(cxm::test::mismatches_against_reference(colliding, cxm::test::reference_customers(events), first) == 0,
                first);
  cxm::engine<> usual(cxm::test::config_for(spec));
  usual.add(events);
  cxm::test::same_report(colliding.report(spec.to), usual.report(spec.to));
}

// --- the engine's prefetching bulk add ------------------------------------------------------------------

namespace {

/// 40,000 customers in 110,000 valid events (shuffled): the table passes the bulk add's 32,768-customer
/// prefetch threshold a little under half-way through. `events` adds three invalid events (an NPS answer
/// of 11 for a known customer) past the threshold.
struct large_stream {
  cxm::test::stream_spec spec;
  std::vector<cxm::event<>> valid;
  std::vector<cxm::event<>> events;
  std::size_t threshold_event = 0;  ///< the number of events up to the one that brings the 32,768th customer

  large_stream() {
    spec.events = 110'000;
    spec.customers = 40'000;
    valid = cxm::test::random_stream(spec);
    std::unordered_set<std::uint64_t> seen;
    for (; threshold_event < valid.size() && seen.size() < std::size_t{1} << 15; ++threshold_event) {
      seen.insert(valid[threshold_event].customer);
    }
    events = valid;
    // From the last position to the first, so that each insertion leaves the earlier positions in place.
    for (const std::size_t at : {valid.size() - 3, threshold_event + 20'000, threshold_event + 1'000}) {
      const cxm::event<> bad{valid[at].customer, valid[at].time, cxm::event_kind::nps_answer, 11.0};
      events.insert(events.begin() + static_cast<std::ptrdiff_t>(at), bad);
    }
  }
};

const large_stream& large() {
  static const large_stream stream;
  return stream;
}

}  // namespace

TEST_CASE("engine<>: add(range) with prefetching equals one add per event, and the reference") {
  const auto& s = large();
  REQUIRE(s.threshold_event + 50'000 < s.events.size());  // most of the stream goes through the prefetch path
  const auto config = cxm::test::config_for(s.spec);
  std::size_t callbacks = 0;
  const cxm::skip_invalid skip{[&callbacks](const cxm::event<>&, const cxm::rejection&) { ++callbacks; }};

  cxm::engine<> bulk(config);
  REQUIRE(s.events.size() == s.valid.size() + 3);
  CHECK(bulk.add(s.events, cxm::traits_projection{}, skip) == s.valid.size());
  CHECK(callbacks == 3);

  cxm::engine<> one_by_one(config);
  std::size_t added = 0;
  for (const auto& e : s.events) added += one_by_one.add(e, cxm::traits_projection{}, skip) ? 1u : 0u;
  CHECK(added == s.valid.size());

  CHECK(bulk.customers().size() == s.spec.customers);
  CHECK(bulk == one_by_one);
  cxm::test::same_report(bulk.report(s.spec.to), one_by_one.report(s.spec.to));
  const auto r = bulk.report(s.spec.to);
  CHECK(r.rejected[cxm::rejection_reason::score_out_of_scale] == 3);
  CHECK(r.events == s.valid.size());

  std::string first;
  const auto reference = cxm::test::reference_customers(s.valid);
  CHECK_MESSAGE(cxm::test::mismatches_against_reference(bulk, reference, first) == 0, first);
  CHECK(r.get<cxm::active_customers>().active == cxm::test::reference_active(reference, s.spec.to));

  // The bulk add of a vector of valid events equals that of the same events, one at a time.
  cxm::engine<> valid_bulk(config), valid_one_by_one(config);
  CHECK(valid_bulk.add(s.valid) == s.valid.size());
  for (const auto& e : s.valid) valid_one_by_one.add(e);
  CHECK(valid_bulk == valid_one_by_one);
  CHECK(valid_bulk.customers() == bulk.customers());
}

TEST_CASE("engine<std::string>: add(range, projection) with prefetching equals one add per event") {
  const auto& s = large();
  struct row {
    std::string user;
    cxm::timestamp time;
    cxm::event_kind kind;
    double value;
  };
  std::vector<row> rows;
  rows.reserve(s.valid.size());
  for (const auto& e : s.valid) rows.push_back({"user-" + std::to_string(e.customer), e.time, e.kind, e.value});
  const auto proj = cxm::projection{[](const row& r) -> std::string_view { return r.user; },
                                    [](const row& r) { return r.time; }, [](const row& r) { return r.kind; },
                                    [](const row& r) { return r.value; }};
  const auto config = cxm::test::config_for(s.spec);
  cxm::engine<std::string> bulk(config), one_by_one(config);
  CHECK(bulk.add(rows, proj) == rows.size());
  for (const auto& r : rows) one_by_one.add(r, proj);
  CHECK(bulk.customers().size() == s.spec.customers);
  CHECK(bulk == one_by_one);
  cxm::test::same_report(bulk.report(s.spec.to), one_by_one.report(s.spec.to));

  cxm::engine<> by_number(config);
  by_number.add(s.valid);
  cxm::test::same_report(bulk.report(s.spec.to), by_number.report(s.spec.to));
  std::size_t wrong = 0;
  for (const auto& [id, r] : by_number.customers()) {
    const auto* theirs = bulk.find("user-" + std::to_string(id));
    if (theirs == nullptr || !(*theirs == r)) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("parallel_ingest over a table past the prefetch threshold equals the sequential pass") {
  const auto& s = large();
  const auto config = cxm::test::config_for(s.spec);
  cxm::engine<> sequential(config);
  sequential.add(s.valid);
  const auto one_thread = cxm::parallel_ingest<cxm::engine<>>(s.valid, 1, config);
  CHECK(one_thread == sequential);  // the same additions in the same order: bit for bit
  const auto two_threads = cxm::parallel_ingest<cxm::engine<>>(s.valid, 2, config);
  cxm::test::same_engine(two_threads, sequential, s.spec.to);

  // Bad events past the threshold are counted under skip_invalid...
  const auto counted = cxm::parallel_ingest<cxm::engine<>>(s.events, 2, config, cxm::traits_projection{},
                                                           cxm::skip_invalid{});
  CHECK(counted.report(s.spec.to).rejected.total == 3);
  cxm::engine<> skipping(config);
  CHECK(skipping.add(s.events, cxm::traits_projection{}, cxm::skip_invalid{}) == s.valid.size());
  cxm::test::same_engine(counted, skipping, s.spec.to);
  // ...and rethrown under the default policy.
  CHECK_THROWS_AS(cxm::parallel_ingest<cxm::engine<>>(s.events, 2, config), cxm::invalid_event);
}

// --- erase and clear ---------------------------------------------------------------------------------

namespace {

/// One phase of an interleaving: `operations` draws, `insert_percent` of them find_or_insert,
/// `erase_percent` erase, the rest find.
struct erase_phase {
  std::size_t operations;
  unsigned insert_percent;
  unsigned erase_percent;
};

template <class Map, class Key, class ReferenceHash>
struct erase_run {
  Map map;
  /// customer -> (find_or_insert calls since its insertion, its insertion stamp); the map keeps them in
  /// words[0] and words[1].
  std::unordered_map<Key, std::pair<std::uint64_t, std::uint64_t>, ReferenceHash> reference;
  std::uint64_t stamps = 0;
  std::size_t wrong_inserts = 0;  ///< a new record was not value-initialised, or an old one had lost its data
  std::size_t wrong_erases = 0;   ///< erase returned other than the reference's erase
  std::size_t wrong_finds = 0;
  std::size_t wrong_sizes = 0;
  std::size_t wrong_checks = 0;   ///< the full checks: lookups, iteration, index load
  std::size_t erased = 0, absent_erases = 0, index_growths = 0, max_capacity = 0, max_size = 0;
};

/// Every customer of the reference is found with its data, iteration yields exactly the reference's
/// customers (each once, with its data), and the index is at most 4/5 full. Returns the failures.
template <class Map, class Key, class ReferenceHash>
std::size_t full_check(const erase_run<Map, Key, ReferenceHash>& run) {
  const Map& map = run.map;
  std::size_t wrong = map.size() == run.reference.size() ? 0 : 1;
  for (const auto& [key, want] : run.reference) {
    const auto it = map.find(lookup_form(key));
    if (it == map.end() || !(it->first == key) || it->second.words[0] != want.first ||
        it->second.words[1] != want.second) {
      ++wrong;
    }
  }
  std::unordered_set<Key, ReferenceHash> visited;
  for (const auto& [key, record] : map) {
    const auto want = run.reference.find(key);
    if (want == run.reference.end() || !visited.insert(key).second || record.words[0] != want->second.first ||
        record.words[1] != want->second.second) {
      ++wrong;
    }
  }
  if (visited.size() != run.reference.size()) ++wrong;
  if (map.size() * 5 > map.index_slots() * 4) ++wrong;
  return wrong;
}

/// Interleaves find_or_insert, erase and find on keys drawn from `pool` against a std::unordered_map,
/// comparing every answer and the size after every operation, and everything every `check_every` draws.
template <class Map, class Key, class ReferenceHash>
void interleave_against_reference(erase_run<Map, Key, ReferenceHash>& run, const std::vector<Key>& pool,
                                  const std::vector<erase_phase>& phases, std::size_t check_every,
                                  std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::size_t slots = run.map.index_slots(), draw = 0;
  for (const auto& phase : phases) {
    for (std::size_t op = 0; op < phase.operations; ++op, ++draw) {
      const Key& key = pool[rng() % pool.size()];
      const auto dice = static_cast<unsigned>(rng() % 100);
      if (dice < phase.insert_percent) {
        auto& record = run.map.find_or_insert(lookup_form(key));
        const auto [want, inserted] = run.reference.try_emplace(key, std::uint64_t{0}, std::uint64_t{0});
        if (inserted) {
          want->second.second = ++run.stamps;
          if (!(record == std::remove_reference_t<decltype(record)>{})) ++run.wrong_inserts;  // no stale bytes of an erased record
          record.words[1] = run.stamps;
        } else if (record.words[1] != want->second.second || record.words[0] != want->second.first) {
          ++run.wrong_inserts;
        }
        ++record.words[0];
        ++want->second.first;
      } else if (dice < phase.insert_percent + phase.erase_percent) {
        const std::size_t removed = run.map.erase(lookup_form(key));
        if (removed != run.reference.erase(key)) ++run.wrong_erases;
        run.erased += removed;
        run.absent_erases += 1 - removed;
      } else {
        const auto it = std::as_const(run.map).find(lookup_form(key));
        const auto want = run.reference.find(key);
        const bool ok = (it == run.map.end()) == (want == run.reference.end()) &&
                        (it == run.map.end() || (it->first == key && it->second.words[0] == want->second.first &&
                                                 it->second.words[1] == want->second.second));
        if (!ok) ++run.wrong_finds;
      }
      if (run.map.size() != run.reference.size()) ++run.wrong_sizes;
      if (run.map.index_slots() != slots) {
        ++run.index_growths;
        slots = run.map.index_slots();
      }
      run.max_capacity = std::max(run.max_capacity, run.map.record_capacity());
      run.max_size = std::max(run.max_size, run.map.size());
      if (draw % check_every == 0) run.wrong_checks += full_check(run);
    }
  }
  run.wrong_checks += full_check(run);
}

/// The checks every interleaving ends with: no wrong answer; keys never drawn are absent; a copy, and a
/// map filled from the reference in another order, compare equal.
template <class Map, class Key, class ReferenceHash>
void check_interleaving(const erase_run<Map, Key, ReferenceHash>& run, const std::vector<Key>& never_drawn) {
  CHECK(run.wrong_inserts == 0);
  CHECK(run.wrong_erases == 0);
  CHECK(run.wrong_finds == 0);
  CHECK(run.wrong_sizes == 0);
  CHECK(run.wrong_checks == 0);
  CHECK(run.erased > 1'000);
  CHECK(run.absent_erases > 1'000);
  Map copy(run.map);
  std::size_t found_absent = 0;
  for (const auto& key : never_drawn) {
    found_absent += run.map.find(lookup_form(key)) != run.map.end() ? 1u : 0u;
    found_absent += copy.erase(lookup_form(key));
  }
  CHECK(found_absent == 0);
  CHECK(copy == run.map);
  CHECK(ids_in_order(copy) == ids_in_order(run.map));
  Map rebuilt;
  std::vector<std::pair<Key, std::pair<std::uint64_t, std::uint64_t>>> entries(run.reference.begin(),
                                                                                run.reference.end());
  std::reverse(entries.begin(), entries.end());
  for (const auto& [key, want] : entries) {
    auto& record = rebuilt.find_or_insert(lookup_form(key));
    record.words[0] = want.first;
    record.words[1] = want.second;
  }
  CHECK(rebuilt == run.map);
  CHECK(run.map == rebuilt);
}

/// Grows towards ~78% of the pool, shrinks towards ~17%, grows again towards ~55%.
std::vector<erase_phase> grow_shrink_grow(std::size_t scale) {
  return {{scale * 4, 70, 20}, {scale * 3, 15, 75}, {scale * 3, 50, 40}};
}

/// Stateless, counting the bytes held by every instance: the table's total memory in use.
std::size_t counted_bytes = 0;
template <class T>
struct counting_allocator {
  using value_type = T;
  counting_allocator() = default;
  template <class U>
  counting_allocator(const counting_allocator<U>&) noexcept {}  // NOLINT: rebinding is implicit
  T* allocate(std::size_t n) {
    counted_bytes += n * sizeof(T);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    counted_bytes -= n * sizeof(T);
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  friend bool operator==(const counting_allocator&, const counting_allocator<U>&) noexcept {
    return true;
  }
};

/// The bytes of a value in a map's block.
template <class Value>
std::vector<unsigned char> bytes_of(const Value* v) {
  const auto* p = reinterpret_cast<const unsigned char*>(v);
  return {p, p + sizeof(Value)};
}

bool contains_bytes(const std::vector<unsigned char>& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); }) != haystack.end();
}

}  // namespace

TEST_CASE("dense_record_map: 200k random inserts, erases and finds over several blocks agree with std::unordered_map") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<126>>;  // 1016-byte values
  static_assert(map_type::block_records == 4128);
  const auto ids = random_ids(41'000, 110);
  const std::vector<std::uint64_t> pool(ids.begin(), ids.begin() + 40'000), never(ids.begin() + 40'000, ids.end());
  erase_run<map_type, std::uint64_t, std::hash<std::uint64_t>> run;
  interleave_against_reference(run, pool, grow_shrink_grow(20'000), 10'000, 11);
  check_interleaving(run, never);
  CHECK(run.max_size > 5 * map_type::block_records);  // several blocks...
  CHECK(run.max_capacity >= 6 * map_type::block_records);
  CHECK(run.index_growths >= 10);                      // ...and index growths: 16 .. 32,768 slots
  CHECK(run.map.size() < run.max_size);
}

TEST_CASE("dense_record_map: random inserts, erases and finds of string ids looked up as std::string_view agree") {
  using map_type = cxm::dense_record_map<std::string, wide_record<124>>;
  const auto keys = distinct_keys<std::string, std::hash<std::string>>(12'500, 111, [](std::mt19937_64& rng) {
    const auto n = rng();
    return n % 2 == 0 ? std::to_string(n % 100'000'000) : "customer-" + std::to_string(n) + "@example.com";
  });
  const std::vector<std::string> pool(keys.begin(), keys.begin() + 12'000), never(keys.begin() + 12'000, keys.end());
  erase_run<map_type, std::string, std::hash<std::string>> run;
  interleave_against_reference(run, pool, grow_shrink_grow(6'000), 5'000, 12);
  check_interleaving(run, never);
  CHECK(run.max_capacity >= 2 * map_type::block_records);
  // Down to a few customers in the first of several blocks: the destructor destroys just those.
  for (const auto& key : pool) {
    if (run.map.size() <= 10) break;
    run.map.erase(std::string_view(key));
  }
  CHECK(run.map.size() == 10);
  CHECK(run.map.record_capacity() >= 2 * map_type::block_records);
}

TEST_CASE("dense_record_map: random inserts, erases and finds agree when hashes collide") {
  SUBCASE("five hash values: one tag and one home slot per value, one long probe cluster") {
    using map_type = five_hash_map<std::uint64_t, wide_record<2046>>;  // 16 KiB values, 256 per block
    static_assert(map_type::block_records == 256);
    std::vector<std::uint64_t> pool(1'200), never(300);
    for (std::uint64_t i = 0; i < pool.size(); ++i) pool[i] = i;
    for (std::uint64_t i = 0; i < never.size(); ++i) never[i] = pool.size() + i;  // same hashes as pool's
    erase_run<map_type, std::uint64_t, std::hash<std::uint64_t>> run;
    interleave_against_reference(run, pool, grow_shrink_grow(5'000), 2'500, 13);
    check_interleaving(run, never);
    CHECK(run.max_capacity >= 3 * map_type::block_records);
  }
  SUBCASE("one tag for every key, in different slots") {
    using map_type = cxm::dense_record_map<std::uint64_t, wide_record<126>, one_tag_hash, std::equal_to<>>;
    const auto ids = random_ids(21'000, 112);
    const std::vector<std::uint64_t> pool(ids.begin(), ids.begin() + 20'000), never(ids.begin() + 20'000, ids.end());
    erase_run<map_type, std::uint64_t, std::hash<std::uint64_t>> run;
    interleave_against_reference(run, pool, grow_shrink_grow(10'000), 10'000, 14);
    check_interleaving(run, never);
    CHECK(run.max_capacity >= 3 * map_type::block_records);
  }
}

TEST_CASE("dense_record_map: erasing an absent key returns 0 and changes nothing") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  map_type empty;
  CHECK(empty.erase(std::uint64_t{42}) == 0);
  CHECK(empty.index_slots() == 0);  // allocates nothing
  CHECK(empty.record_capacity() == 0);

  auto map = numbered_map<map_type>(5'000);
  const map_type snapshot(map);
  std::size_t removed = 0;
  for (std::uint64_t id = 0; id < 1'000; ++id) removed += map.erase(id);  // below the ids
  for (std::size_t i = 0; i < 5'000; ++i) removed += map.erase(std::uint64_t{1000 + 7 * i + 3});  // between them
  CHECK(removed == 0);
  CHECK(map == snapshot);
  CHECK(ids_in_order(map) == ids_in_order(snapshot));

  CHECK(map.erase(std::uint64_t{1000 + 7 * 10}) == 1);
  CHECK(map.erase(std::uint64_t{1000 + 7 * 10}) == 0);
  CHECK(map.size() == 4'999);

  five_hash_map<std::uint64_t, wide_record<2>> colliding;
  for (std::uint64_t id = 0; id < 100; ++id) colliding.find_or_insert(id).words[0] = id;
  std::size_t colliding_removed = 0;
  for (std::uint64_t id = 100; id < 200; ++id) colliding_removed += colliding.erase(id);  // same hashes, absent
  CHECK(colliding_removed == 0);
  CHECK(colliding.size() == 100);
}

TEST_CASE("dense_record_map: erase moves the last record into the erased one's place") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  const auto id = [](std::uint64_t i) { return std::uint64_t{1000 + 7 * i}; };
  auto map = numbered_map<map_type>(10);  // customer i's words[1] is i
  const auto* first = &map.find(id(0))->second;

  CHECK(map.erase(id(2)) == 1);
  CHECK(ids_in_order(map) == std::vector<std::uint64_t>{id(0), id(1), id(9), id(3), id(4), id(5), id(6), id(7), id(8)});
  CHECK(map.find(id(9))->second.words[1] == 9);  // the moved record keeps its data
  CHECK(map.find(id(2)) == map.end());

  CHECK(map.erase(id(8)) == 1);  // the last record: nothing moves
  CHECK(ids_in_order(map) == std::vector<std::uint64_t>{id(0), id(1), id(9), id(3), id(4), id(5), id(6), id(7)});
  CHECK(&map.find(id(0))->second == first);  // records other than the last stay in place
  CHECK(map.find(id(7))->second.words[1] == 7);

  // Erasing it->first (an id inside the erased record) while iterating: `it` stays on the record to visit.
  std::size_t failed_erases = 0;
  for (auto it = map.begin(); it != map.end();) {
    if (it->second.words[1] % 2 == 0) {
      ++it;
    } else if (map.erase(it->first) != 1) {
      ++failed_erases;
      ++it;
    }
  }
  CHECK(failed_erases == 0);
  CHECK(ids_in_order(map) == std::vector<std::uint64_t>{id(0), id(6), id(4)});
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < 10; ++i) {
    const auto it = map.find(id(i));
    if ((it != map.end()) != (i % 2 == 0 && i != 2 && i != 8) || (it != map.end() && it->second.words[1] != i)) ++wrong;
  }
  CHECK(wrong == 0);

  map_type one;
  one.find_or_insert(std::uint64_t{5});
  CHECK(one.erase(std::uint64_t{5}) == 1);
  CHECK(one.empty());
  CHECK(one.begin() == one.end());
}

TEST_CASE("dense_record_map: erase everything, then reinsert, over several blocks") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<62>>;  // 504-byte values, 8322 per block
  const std::size_t n = 2 * map_type::block_records + 100;
  const auto ids = random_ids(n, 113);
  std::mt19937_64 rng(114);
  for (const auto order : {"random", "first", "last"}) {
    CAPTURE(order);
    map_type map;
    for (std::size_t i = 0; i < n; ++i) map.find_or_insert(ids[i]).words[0] = i + 1;
    const auto slots = map.index_slots();
    const auto capacity = map.record_capacity();
    std::size_t removed = 0;
    if (std::string_view(order) == "random") {
      auto shuffled = ids;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      for (const auto id : shuffled) removed += map.erase(id);
    } else if (std::string_view(order) == "first") {  // the last record moves every time
      while (!map.empty()) removed += map.erase(map.begin()->first);
    } else {  // nothing moves
      for (std::size_t i = n; i-- > 0;) removed += map.erase(ids[i]);
    }
    CHECK(removed == n);
    CHECK(map.empty());
    CHECK(map.begin() == map.end());
    std::size_t found = 0;
    for (const auto id : ids) found += map.find(id) != map.end() ? 1u : 0u;
    CHECK(found == 0);
    CHECK(map.index_slots() == slots);  // memory is kept
    CHECK(map.record_capacity() == capacity);

    std::size_t stale = 0;
    for (std::size_t i = n; i-- > 0;) {
      auto& record = map.find_or_insert(ids[i]);
      if (!(record == wide_record<62>{})) ++stale;  // value-initialised, nothing of the erased records
      record.words[0] = i + 1;
    }
    CHECK(stale == 0);
    CHECK(map.index_slots() == slots);
    CHECK(map.record_capacity() == capacity);
    map_type fresh;
    for (std::size_t i = 0; i < n; ++i) fresh.find_or_insert(ids[i]).words[0] = i + 1;
    CHECK(map == fresh);
    std::vector<std::uint64_t> reversed(ids.rbegin(), ids.rend());
    CHECK(ids_in_order(map) == reversed);
  }
}

TEST_CASE("dense_record_map: == after erasures compares the remaining customers, whatever the order") {
  using map_type = cxm::dense_record_map<std::uint64_t, wide_record<4>>;
  const auto ids = random_ids(3'000, 115);
  map_type erased, survivors;
  for (std::size_t i = 0; i < ids.size(); ++i) erased.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  for (std::size_t i = 0; i < ids.size(); i += 3) erased.erase(ids[i]);
  for (std::size_t i = ids.size(); i-- > 0;) {
    if (i % 3 != 0) survivors.find_or_insert(ids[i]).words[0] = ids[i] % 1000;
  }
  CHECK(erased.size() == 2'000);
  CHECK(erased == survivors);
  CHECK(survivors == erased);
  CHECK(map_type(erased) == survivors);

  CHECK(erased.erase(ids[1]) == 1);  // one customer fewer
  CHECK_FALSE(erased == survivors);
  CHECK_FALSE(survivors == erased);
  CHECK(survivors.erase(ids[1]) == 1);
  CHECK(erased == survivors);

  erased.find_or_insert(ids[3]);  // erased then reinserted: a value-initialised record
  survivors.find_or_insert(ids[3]).words[0] = ids[3] % 1000;
  CHECK_FALSE(erased == survivors);
  survivors.find_or_insert(ids[3]).words[0] = 0;
  CHECK(erased == survivors);

  five_hash_map<std::uint64_t, wide_record<2>> a, b;
  for (std::uint64_t id = 0; id < 500; ++id) a.find_or_insert(id).words[0] = id;
  for (std::uint64_t id = 0; id < 500; id += 2) a.erase(id);
  for (std::uint64_t id = 500; id-- > 0;) {
    if (id % 2 == 1) b.find_or_insert(id).words[0] = id;
  }
  CHECK(a == b);
  a.erase(std::uint64_t{499});
  CHECK_FALSE(a == b);
}

TEST_CASE("dense_record_map: erase leaves the key absent, no byte of its record, and the memory in use as it was") {
  using record = wide_record<8>;
  using map_type = cxm::dense_record_map<std::uint64_t, record, cxm::customer_id_traits<std::uint64_t>::hash,
                                         cxm::customer_id_traits<std::uint64_t>::equal,
                                         counting_allocator<std::pair<const std::uint64_t, record>>>;
  using value_type = map_type::value_type;
  const std::size_t baseline = counted_bytes;
  {
    const std::size_t n = 2 * map_type::block_records + 10;
    map_type map;
    const auto pattern = [](std::uint64_t id) { return id * 0x0101010101010101u ^ 0xC0FFEE0000C0FFEEu; };
    for (std::uint64_t id = 1; id <= n; ++id) map.find_or_insert(id).words.fill(pattern(id));
    const std::size_t in_use = counted_bytes - baseline;
    CHECK(in_use >= n * sizeof(value_type));

    const auto* hole = &*map.find(std::uint64_t{7});
    const auto* last = &*map.find(std::uint64_t{n});
    CHECK(map.erase(std::uint64_t{7}) == 1);
    CHECK(map.find(std::uint64_t{7}) == map.end());
    CHECK(counted_bytes - baseline == in_use);
    CHECK(&*map.find(std::uint64_t{n}) == hole);  // the last record took the erased one's place
    CHECK(bytes_of(hole) == bytes_of(&*map.find(std::uint64_t{n})));
    const record moved_record = map.find(std::uint64_t{n})->second;
    CHECK(moved_record.words[0] == pattern(n));
    CHECK(bytes_of(last) == std::vector<unsigned char>(sizeof(value_type), 0));  // the vacated place is zeroed

    const auto* now_last = &*map.find(std::uint64_t{n - 1});
    CHECK(map.erase(std::uint64_t{n - 1}) == 1);  // the last record itself
    CHECK(bytes_of(now_last) == std::vector<unsigned char>(sizeof(value_type), 0));
    CHECK(counted_bytes - baseline == in_use);

    std::size_t removed = 0;
    for (std::uint64_t id = 1; id <= n; ++id) removed += map.erase(id);
    CHECK(removed == n - 2);
    CHECK(map.empty());
    CHECK(counted_bytes - baseline == in_use);
    for (std::uint64_t id = 1; id <= n; ++id) map.find_or_insert(id).words.fill(pattern(id));
    CHECK(counted_bytes - baseline == in_use);  // refilling allocates nothing

    map.clear();
    CHECK(map.empty());
    CHECK(map.begin() == map.end());
    CHECK(map.find(std::uint64_t{1}) == map.end());
    CHECK(bytes_of(hole) == std::vector<unsigned char>(sizeof(value_type), 0));
    CHECK(counted_bytes - baseline == in_use);
    map.find_or_insert(std::uint64_t{3}).words[0] = 3;
    CHECK(map.size() == 1);
    CHECK(map.find(std::uint64_t{3})->second.words[0] == 3);
    CHECK(map.erase(std::uint64_t{3}) == 1);
  }
  CHECK(counted_bytes == baseline);  // and the destructor releases everything, whatever was erased

  // A short string id lives in the string's inline buffer; a shorter id moved into its place must not
  // leave the end of the erased one there.
  cxm::dense_record_map<std::string, wide_record<2>> strings;
  strings.find_or_insert(std::string_view{"alice-id-1"});
  strings.find_or_insert(std::string_view{"secret-id-2"}).words.fill(0x5EC2E75EC2E75EC2u);
  strings.find_or_insert(std::string_view{"ab"});
  const auto* secret = &*strings.find(std::string_view{"secret-id-2"});
  CHECK(contains_bytes(bytes_of(secret), "-id-2"));
  CHECK(strings.erase(std::string_view{"secret-id-2"}) == 1);
  CHECK(strings.find(std::string_view{"secret-id-2"}) == strings.end());
  CHECK(&*strings.find(std::string_view{"ab"}) == secret);
  CHECK_FALSE(contains_bytes(bytes_of(secret), "-id-2"));
  CHECK_FALSE(contains_bytes(bytes_of(secret), "\xC2\x5E\xE7\xC2"));
  CHECK(ids_in_order(strings) == std::vector<std::string>{"alice-id-1", "ab"});
  strings.clear();
  CHECK(strings.empty());
  strings.clear();  // twice, and on an empty map
  cxm::dense_record_map<std::string, wide_record<2>>{}.clear();
  CHECK(strings == cxm::dense_record_map<std::string, wide_record<2>>{});
}

namespace {

/// Counts the records alive: erase and clear must destroy exactly the records they remove, and the
/// destructor only the records left, even when erasures have left whole blocks empty.
std::ptrdiff_t live_records = 0;
struct counted_record {
  std::array<std::uint64_t, 126> words{};
  counted_record() noexcept { ++live_records; }
  counted_record(const counted_record& other) noexcept : words(other.words) { ++live_records; }
  counted_record(counted_record&& other) noexcept : words(other.words) { ++live_records; }
  counted_record& operator=(const counted_record&) = default;
  counted_record& operator=(counted_record&&) = default;
  ~counted_record() { --live_records; }
};

}  // namespace

TEST_CASE("dense_record_map: erase, clear and the destructor destroy each record once, even past emptied blocks") {
  using map_type = cxm::dense_record_map<std::uint64_t, counted_record>;
  const std::size_t n = 3 * map_type::block_records + 5;
  live_records = 0;
  {
    map_type map;
    for (std::uint64_t id = 0; id < n; ++id) map.find_or_insert(id).words[0] = id;
    CHECK(live_records == static_cast<std::ptrdiff_t>(n));
    for (std::uint64_t id = 0; id < n; id += 2) map.erase(id);
    CHECK(live_records == static_cast<std::ptrdiff_t>(map.size()));
    for (std::uint64_t id = 1; map.size() > 10; id += 2) map.erase(id);  // three blocks left empty
    CHECK(live_records == 10);
    CHECK(map.record_capacity() == 4 * map_type::block_records);
    std::size_t wrong = 0;
    for (const auto& [id, record] : map) wrong += record.words[0] == id ? 0u : 1u;
    CHECK(wrong == 0);
    map_type copy(map);
    CHECK(live_records == 20);
    copy.clear();
    CHECK(live_records == 10);
    copy.find_or_insert(std::uint64_t{1});
    CHECK(live_records == 11);
  }
  CHECK(live_records == 0);
}
