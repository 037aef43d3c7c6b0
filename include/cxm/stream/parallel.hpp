#pragma once
// Parallel ingest: split a random-access range of events into `threads` contiguous parts, ingest
// each into its own engine on its own thread, then merge the engines in part order. Each part goes
// through the engine's bulk add (a sized random-access subrange), which prefetches the customers of
// the events ahead once the table is large. The result equals the sequential pass (exactly for
// counts, to rounding for floating-point sums), because merge is associative and commutative. An
// exception thrown on a worker (the default policy on a bad event) is rethrown here after every
// worker has stopped.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>
#include <range/v3/range/primitives.hpp>
#include <range/v3/view/subrange.hpp>

#include "cxm/stream/engine.hpp"
#include "cxm/stream/event.hpp"

namespace cxm {

/// Returns the merged engine. `policy` is copied into each worker (its callback may then be called
/// from several threads at once). Throws std::invalid_argument when threads == 0.
template <class Engine, ranges::random_access_range R, class P = traits_projection, class Policy = throw_invalid_events>
  requires ranges::sized_range<R>
Engine parallel_ingest(const R& events, unsigned threads, const engine_config& config = {}, const P& proj = {},
                       const Policy& policy = {}) {
  if (threads == 0) throw std::invalid_argument("parallel_ingest: needs at least one thread");
  const auto total = static_cast<std::size_t>(ranges::size(events));
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, total));
  std::vector<Engine> engines(parts, Engine(config));
  std::vector<std::exception_ptr> errors(parts);
  auto work = [&](std::size_t part) {
    try {
      const auto from = static_cast<std::ptrdiff_t>(total * part / parts);
      const auto to = static_cast<std::ptrdiff_t>(total * (part + 1) / parts);
      Policy local = policy;
      const auto first = ranges::begin(events);
      // A sized random-access subrange: the engine's bulk add prefetches the customers ahead.
      engines[part].add(ranges::subrange(first + from, first + to), proj, local);
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
