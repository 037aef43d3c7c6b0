#pragma once
/// \file
/// A validated event as the engine hands it to the metrics that listen to it: the customer id has
/// been looked up already, the time is representable, the kind is known and the value is valid for
/// the kind. Metrics never see invalid input.

#include <cstdint>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// A validated event as metrics see it: time, kind and value, checked once by the engine.
struct observation {
  timestamp time;  ///< the event's time
  std::uint32_t seconds;  ///< time as seconds since 1970 (the per-customer resolution)
  event_kind kind;  ///< the event's kind
  double value;           ///< amount (purchase, refund) or score (answers) as given; 0 otherwise
  std::uint16_t score_index;  ///< answers: score − the survey scale's low end; 0 otherwise
};

}  // namespace cxm
