// The accumulator concept (core/accumulator.hpp): every building block of core/ satisfies it, and a
// type missing any one part of the contract does not. Mostly compile-time checks.

#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"

// Probe types live in a named namespace (not an anonymous one) so that compilers do not warn about
// the members the concept checks but no code calls.
namespace accumulator_concept_probes {

// A complete, minimal accumulator: the reference every broken variant below differs from in one part.
struct counter {
  static constexpr std::uint32_t type_tag = cxm::fourcc("cntr");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const counter& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static counter load(cxm::io::reader& r) { return counter{r.u64("counter: n")}; }
  friend bool operator==(const counter&, const counter&) = default;
};

struct no_load {
  static constexpr std::uint32_t type_tag = cxm::fourcc("nold");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const no_load& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  friend bool operator==(const no_load&, const no_load&) = default;
};

struct no_type_tag {
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const no_type_tag& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static no_type_tag load(cxm::io::reader& r) { return no_type_tag{r.u64("n")}; }
  friend bool operator==(const no_type_tag&, const no_type_tag&) = default;
};

struct no_format_version {
  static constexpr std::uint32_t type_tag = cxm::fourcc("nofv");
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const no_format_version& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static no_format_version load(cxm::io::reader& r) { return no_format_version{r.u64("n")}; }
  friend bool operator==(const no_format_version&, const no_format_version&) = default;
};

// load must be static and return the type itself.
struct load_returns_other_type {
  static constexpr std::uint32_t type_tag = cxm::fourcc("lrot");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const load_returns_other_type& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static counter load(cxm::io::reader& r) { return counter{r.u64("n")}; }
  friend bool operator==(const load_returns_other_type&, const load_returns_other_type&) = default;
};

struct non_static_load {
  static constexpr std::uint32_t type_tag = cxm::fourcc("nsld");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const non_static_load& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  non_static_load load(cxm::io::reader& r) { return non_static_load{r.u64("n")}; }
  friend bool operator==(const non_static_load&, const non_static_load&) = default;
};

// result must be callable on a const accumulator.
struct mutating_result {
  static constexpr std::uint32_t type_tag = cxm::fourcc("mres");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const mutating_result& other) { n += other.n; }
  result_type result() { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static mutating_result load(cxm::io::reader& r) { return mutating_result{r.u64("n")}; }
  friend bool operator==(const mutating_result&, const mutating_result&) = default;
};

// result must be a plain struct with named fields, not a bare number.
struct scalar_result {
  static constexpr std::uint32_t type_tag = cxm::fourcc("sres");
  static constexpr std::uint16_t format_version = 1;
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const scalar_result& other) { n += other.n; }
  [[nodiscard]] std::uint64_t result() const { return n; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static scalar_result load(cxm::io::reader& r) { return scalar_result{r.u64("n")}; }
  friend bool operator==(const scalar_result&, const scalar_result&) = default;
};

// save must be const.
struct mutating_save {
  static constexpr std::uint32_t type_tag = cxm::fourcc("msav");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const mutating_save& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) { w.u64(n); }
  static mutating_save load(cxm::io::reader& r) { return mutating_save{r.u64("n")}; }
  friend bool operator==(const mutating_save&, const mutating_save&) = default;
};

// == compares state: without it the type is not std::regular.
struct no_equality {
  static constexpr std::uint32_t type_tag = cxm::fourcc("noeq");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  void merge(const no_equality& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static no_equality load(cxm::io::reader& r) { return no_equality{r.u64("n")}; }
};

// The empty state is merge's identity: a type without a default constructor is not std::regular.
struct no_default_constructor {
  static constexpr std::uint32_t type_tag = cxm::fourcc("nodc");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  explicit no_default_constructor(std::uint64_t start) : n(start) {}
  std::uint64_t n;
  void add(int) { ++n; }
  void merge(const no_default_constructor& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static no_default_constructor load(cxm::io::reader& r) { return no_default_constructor{r.u64("n")}; }
  friend bool operator==(const no_default_constructor&, const no_default_constructor&) = default;
};

struct no_merge {
  static constexpr std::uint32_t type_tag = cxm::fourcc("nomg");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(int) { ++n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static no_merge load(cxm::io::reader& r) { return no_merge{r.u64("n")}; }
  friend bool operator==(const no_merge&, const no_merge&) = default;
};

struct input_a {};
struct input_b {};
struct adds_only_a {
  static constexpr std::uint32_t type_tag = cxm::fourcc("adda");
  static constexpr std::uint16_t format_version = 1;
  struct result_type {
    std::uint64_t n;
  };
  std::uint64_t n = 0;
  void add(const input_a&) { ++n; }
  void merge(const adds_only_a& other) { n += other.n; }
  [[nodiscard]] result_type result() const { return {n}; }
  void save(cxm::io::writer& w) const { w.u64(n); }
  static adds_only_a load(cxm::io::reader& r) { return adds_only_a{r.u64("n")}; }
  friend bool operator==(const adds_only_a&, const adds_only_a&) = default;
};

}  // namespace accumulator_concept_probes

using namespace accumulator_concept_probes;

// The building blocks of core/ are accumulators of their observation type.
static_assert(cxm::accumulator<cxm::compensated_sum, double>);
static_assert(cxm::accumulator<cxm::moments, double>);
static_assert(cxm::accumulator<cxm::rejection_counts, cxm::rejection_reason>);
static_assert(cxm::accumulator<cxm::rejection_counts, cxm::rejection>);
static_assert(cxm::io::saveable<cxm::compensated_sum>);
static_assert(cxm::io::saveable<cxm::moments>);
static_assert(cxm::io::saveable<cxm::rejection_counts>);

// score_histogram is a building block *inside* csat/ces/nps, not an accumulator of its own: it is not
// framed (no type_tag), and merge/load take the metric's name.
static_assert(!cxm::accumulator<cxm::score_histogram, std::int64_t>);
static_assert(!cxm::io::saveable<cxm::score_histogram>);

// The reference type is complete; removing any one part breaks the concept.
static_assert(cxm::accumulator<counter, int>);
static_assert(cxm::io::saveable<counter>);
static_assert(!cxm::accumulator<no_load, int>);
static_assert(!cxm::io::saveable<no_load>);
static_assert(!cxm::accumulator<no_type_tag, int>);
static_assert(!cxm::io::saveable<no_type_tag>);
static_assert(!cxm::accumulator<no_format_version, int>);
static_assert(!cxm::accumulator<load_returns_other_type, int>);
static_assert(!cxm::accumulator<non_static_load, int>);
static_assert(!cxm::accumulator<mutating_result, int>);
static_assert(!cxm::accumulator<scalar_result, int>);
static_assert(!cxm::accumulator<mutating_save, int>);
static_assert(!cxm::accumulator<no_equality, int>);
static_assert(!cxm::accumulator<no_default_constructor, int>);
static_assert(!cxm::accumulator<no_merge, int>);
static_assert(cxm::accumulator<adds_only_a, input_a>);
static_assert(!cxm::accumulator<adds_only_a, input_b>);

// plain_result: a class aggregate that can be copied.
static_assert(cxm::plain_result<cxm::moments_result>);
static_assert(cxm::plain_result<cxm::compensated_sum::result_type>);
static_assert(cxm::plain_result<cxm::rejection_counts::result_type>);
static_assert(cxm::plain_result<cxm::score_summary>);
static_assert(!cxm::plain_result<double>);
static_assert(!cxm::plain_result<std::vector<double>>);  // has constructors: not an aggregate

// fourcc packs the characters little-endian: 'c' = 0x63, 's' = 0x73, 'u' = 0x75, 'm' = 0x6d.
static_assert(cxm::fourcc("csum") == 0x6d757363u);
static_assert(cxm::fourcc("nps ") == 0x2073706eu);  // 'n' 0x6e, 'p' 0x70, 's' 0x73, ' ' 0x20
// Characters above 0x7f are taken as unsigned bytes, never sign-extended into the other bytes.
static_assert(cxm::fourcc("\xff\x01\x80\x7f") == 0x7f8001ffu);

TEST_CASE("fourcc tags are distinct for the core accumulators and read as text in a hex dump") {
  CHECK(cxm::compensated_sum::type_tag == cxm::fourcc("csum"));
  CHECK(cxm::moments::type_tag == cxm::fourcc("mome"));
  CHECK(cxm::rejection_counts::type_tag == cxm::fourcc("rejc"));
  CHECK(cxm::compensated_sum::type_tag != cxm::moments::type_tag);
  CHECK(cxm::moments::type_tag != cxm::rejection_counts::type_tag);
  CHECK(cxm::compensated_sum::type_tag != cxm::rejection_counts::type_tag);

  // Written as a little-endian u32, the tag's bytes are the four characters in order.
  cxm::io::writer w;
  w.u32(cxm::fourcc("mome"));
  const std::vector<std::byte> expected{std::byte{'m'}, std::byte{'o'}, std::byte{'m'}, std::byte{'e'}};
  CHECK(w.bytes() == expected);
  CHECK(cxm::io::tag_name(cxm::fourcc("mome")) == "mome");
}

TEST_CASE("the reference accumulator of this file round-trips through the framed format") {
  // A sanity check that `counter` above really is a working accumulator, so that the negative
  // static_asserts each differ from a good type in exactly one part.
  counter a;
  a.add(1);
  a.add(2);
  counter b;
  b.add(3);
  a.merge(b);
  CHECK(a.result().n == 3);
  const counter loaded = cxm::io::load_state<counter>(cxm::io::save_state(a));
  CHECK(loaded == a);
}
