#pragma once
/// \file
/// Parallel ingest: ingest a random-access range of events on `threads` threads, one engine each, then
/// merge the engines in part order. Events are PARTITIONED BY CUSTOMER (a hash of the id): each
/// customer lives in exactly one part, so a per-customer metric that merges exactly only when its
/// customers are not split (exact_only_when_partitioned, events/metric.hpp) stays exact, and the merged
/// report's customers_merged_from_both_sides is 0. Each worker reads the whole range and takes its own
/// customers' events in chunks that go through the engine's bulk add, which prefetches the customers of
/// the events ahead once the table is large. The result equals the sequential pass (exactly for
/// counts, to rounding for floating-point sums), because merge is associative and commutative; with a
/// lateness bound, lateness is judged within each part (against that part's latest time). An exception
/// thrown on a worker (the default policy on a bad event) is rethrown here after every worker has stopped.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>
#include <range/v3/range/primitives.hpp>

#include "cxm/core/invalid_input.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/event.hpp"

namespace cxm {

namespace detail {
/// Reads events through pointers to them (a chunk of one part's events), with the host's projection.
template <class P>
struct through_pointer {
  const P* proj;
  template <class E>
  decltype(auto) customer(const E* e) const { return proj->customer(*e); }
  template <class E>
  decltype(auto) time(const E* e) const { return proj->time(*e); }
  template <class E>
  event_kind kind(const E* e) const { return proj->kind(*e); }
  template <class E>
  double value(const E* e) const { return static_cast<double>(proj->value(*e)); }
};
/// Hands the host's policy the event itself, not the pointer to it.
template <class Policy>
struct policy_through_pointer {
  Policy* policy;
  template <class E>
  void operator()(const E* e, const rejection& r) const {
    if constexpr (std::is_invocable_v<Policy&, const E&, const rejection&>) {
      (*policy)(*e, r);
    } else {
      (*policy)(r);
    }
  }
};
}  // namespace detail

/// Returns the merged engine. `setup` is an engine_config, or an engine whose configuration and metric
/// instances (parameters) every part starts from (its data is not copied). `policy` is copied into
/// each worker (its callback may then be called from several threads at once). Throws
/// std::invalid_argument when threads == 0.
template <class Engine, ranges::random_access_range R, class Setup = engine_config, class P = traits_projection,
          class Policy = throw_invalid>
  requires ranges::sized_range<R> && (std::is_same_v<Setup, engine_config> || std::is_same_v<Setup, Engine>)
Engine parallel_ingest(const R& events, unsigned threads, const Setup& setup = {}, const P& proj = {},
                       const Policy& policy = {}) {
  if (threads == 0) throw std::invalid_argument("parallel_ingest: needs at least one thread");
  const auto total = static_cast<std::size_t>(ranges::size(events));
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, total));
  const Engine prototype = [&] {
    if constexpr (std::is_same_v<Setup, Engine>) {
      return setup.empty_copy();
    } else {
      return Engine(setup);
    }
  }();
  std::vector<Engine> engines(parts, prototype);
  std::vector<std::exception_ptr> errors(parts);
  auto work = [&](std::size_t part) {
    try {
      Policy local = policy;
      const detail::through_pointer<P> by_pointer{&proj};
      const detail::policy_through_pointer<Policy> local_by_pointer{&local};
      using event_type = std::remove_cvref_t<ranges::range_reference_t<const R&>>;
      // Chunks of this part's events: a sized random-access range for the engine's prefetching bulk add.
      constexpr std::size_t chunk = 4096;
      std::vector<const event_type*> mine;
      mine.reserve(chunk);
      for (auto it = ranges::begin(events); it != ranges::end(events); ++it) {
        const event_type& e = *it;
        if (parts > 1 && Engine::table_type::part_of(proj.customer(e), parts) != part) continue;
        mine.push_back(&e);
        if (mine.size() == chunk) {
          engines[part].add(std::span<const event_type* const>(mine), by_pointer, local_by_pointer);
          mine.clear();
        }
      }
      engines[part].add(std::span<const event_type* const>(mine), by_pointer, local_by_pointer);
    } catch (...) {
      errors[part] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  try {
    for (std::size_t part = 1; part < parts; ++part) workers.emplace_back(work, part);
  } catch (...) {  // a thread failed to start: join those running (destroying a joinable one terminates)
    for (auto& w : workers) w.join();
    throw;
  }
  work(0);
  for (auto& w : workers) w.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  Engine out = std::move(engines[0]);
  for (std::size_t part = 1; part < parts; ++part) out.merge(engines[part]);
  return out;
}

}  // namespace cxm
