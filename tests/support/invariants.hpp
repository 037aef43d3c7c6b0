#pragma once
// The invariants every accumulator must keep (docs/architecture.md, "The accumulator contract"), as one generic
// doctest routine:
//   - a default/empty state with the same parameters is merge's identity;
//   - random 3-way associativity, and commutativity where promised;
//   - any split of a stream into k parts (k = 1..16), merged in any order, equals one pass
//     (results compared by the caller's `same`, which is exact for counts and 1e-12 relative otherwise);
//   - save → load gives an equal state; save → load → continue equals never stopping;
//   - every truncation of a saved image and every corrupted byte → cxm::format_error;
//   - payload corruption with a recomputed CRC → format_error or a valid state, never a crash.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/state.hpp"

namespace cxm::test {

/// Relative closeness, NaN equal to NaN (an empty result's NaN fields must agree too).
inline bool close(double a, double b, double rel = 1e-12) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::abs(a - b) <= rel * std::max({std::abs(a), std::abs(b), 1e-300});
}

#define CXM_CHECK_CLOSE(a, b) CHECK_MESSAGE(::cxm::test::close((a), (b)), #a " = ", (a), ", " #b " = ", (b))

struct invariant_options {
  std::size_t stream_length = 400;   ///< observations per random stream
  std::size_t split_trials = 2000;   ///< random k-way splits checked
  std::size_t corruption_trials = 300;
  bool commutative = true;
  std::uint64_t seed = 20261123;
};

/// `make()` returns an empty accumulator with the parameters under test; `draw(rng)` returns one
/// observation; `feed(acc, x)` folds it in; `same(result_a, result_b)` CHECKs the results agree.
template <class A, class Make, class Draw, class Feed, class Same>
void check_invariants(Make make, Draw draw, Feed feed, Same same, invariant_options opt = {}) {
  std::mt19937_64 rng(opt.seed);
  using observation = decltype(draw(rng));
  auto stream = [&](std::size_t n) {
    std::vector<observation> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(draw(rng));
    return out;
  };
  auto fold = [&](const std::vector<observation>& xs) {
    A acc = make();
    for (const auto& x : xs) feed(acc, x);
    return acc;
  };

  const auto xs = stream(opt.stream_length);
  const A whole = fold(xs);

  SUBCASE("an empty state is the identity of merge") {
    A left = make();
    left.merge(whole);
    CHECK(left == whole);
    A right = whole;
    right.merge(make());
    CHECK(right == whole);
    same(make().result(), A{make()}.result());
  }

  SUBCASE("merge is associative (random 3-way) and commutative where promised") {
    for (int trial = 0; trial < 50; ++trial) {
      const A a = fold(stream(rng() % 50)), b = fold(stream(rng() % 50)), c = fold(stream(rng() % 50));
      A ab_c = a;
      ab_c.merge(b);
      ab_c.merge(c);
      A bc = b;
      bc.merge(c);
      A a_bc = a;
      a_bc.merge(bc);
      same(ab_c.result(), a_bc.result());
      if (opt.commutative) {
        A ba = b;
        ba.merge(a);
        A ab = a;
        ab.merge(b);
        same(ab.result(), ba.result());
      }
    }
  }

  SUBCASE("any split into k parts, merged in any order, equals one pass") {
    for (std::size_t trial = 0; trial < opt.split_trials; ++trial) {
      const std::size_t k = 1 + rng() % 16;
      std::vector<A> parts(k, make());
      for (const auto& x : xs) feed(parts[rng() % k], x);
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), 0);
      if (opt.commutative) std::shuffle(order.begin(), order.end(), rng);
      A merged = make();
      for (const auto i : order) merged.merge(parts[i]);
      if (!opt.commutative) continue;  // order-dependent types check their own splits
      same(merged.result(), whole.result());
    }
  }

  SUBCASE("save -> load gives the same state; save -> load -> continue equals never stopping") {
    const auto image = cxm::io::save_state(whole);
    const A loaded = cxm::io::load_state<A>(image);
    CHECK(loaded == whole);
    same(loaded.result(), whole.result());

    const A empty_loaded = cxm::io::load_state<A>(cxm::io::save_state(make()));
    CHECK(empty_loaded == make());

    const std::size_t cut = xs.size() / 3;
    A first = make();
    for (std::size_t i = 0; i < cut; ++i) feed(first, xs[i]);
    A resumed = cxm::io::load_state<A>(cxm::io::save_state(first));
    for (std::size_t i = cut; i < xs.size(); ++i) feed(resumed, xs[i]);
    CHECK(resumed == whole);
  }

  SUBCASE("every truncation and every corrupted byte of a saved image is a format_error") {
    const auto image = cxm::io::save_state(whole);
    for (std::size_t len = 0; len < image.size(); ++len) {
      CHECK_THROWS_AS(cxm::io::load_state<A>(std::span(image).first(len)), cxm::format_error);
    }
    for (std::size_t i = 0; i < image.size(); ++i) {
      auto bad = image;
      bad[i] ^= std::byte{static_cast<unsigned char>(1u + rng() % 255u)};
      CHECK_THROWS_AS(cxm::io::load_state<A>(bad), cxm::format_error);
    }
    auto longer = image;
    longer.push_back(std::byte{0});
    CHECK_THROWS_AS(cxm::io::load_state<A>(longer), cxm::format_error);
  }

  SUBCASE("payload corruption behind a valid CRC never crashes") {
    const auto image = cxm::io::save_state(whole);
    const std::size_t payload_end = image.size() - cxm::io::state_trailer_size;
    for (std::size_t trial = 0; trial < opt.corruption_trials; ++trial) {
      auto bad = image;
      const std::size_t flips = 1 + rng() % 4;
      for (std::size_t f = 0; f < flips; ++f) {
        const std::size_t at = cxm::io::state_header_size + rng() % (payload_end - cxm::io::state_header_size);
        bad[at] ^= std::byte{static_cast<unsigned char>(1u + rng() % 255u)};
      }
      const auto crc = cxm::io::crc32(std::span(bad).first(payload_end));
      for (std::size_t b = 0; b < 4; ++b) bad[payload_end + b] = std::byte{static_cast<unsigned char>(crc >> (8 * b))};
      try {
        const A loaded = cxm::io::load_state<A>(bad);
        (void)loaded.result();  // a state that passed validation must be usable
      } catch (const cxm::format_error&) {
        // expected for most corruptions
      }
    }
  }
}

/// The usual case: `feed` is acc.add(x).
template <class A, class Make, class Draw, class Same>
void check_invariants(Make make, Draw draw, Same same, invariant_options opt = {}) {
  check_invariants<A>(make, draw, [](A& acc, const auto& x) { acc.add(x); }, same, opt);
}

}  // namespace cxm::test
