#pragma once
/// \file
/// Errors cxm throws. Parameter mistakes (a single-score scale, merging states with different
/// parameters) are std::invalid_argument; a bad observation is cxm::invalid_event; bytes that are not a
/// valid saved state are cxm::format_error.

#include <stdexcept>
#include <string>

namespace cxm {

/// An observation that cannot be folded in (a score outside its scale, a NaN weight, ...).
/// The message names the metric, the field, the value and the allowed range.
class invalid_event : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Bytes that are not a valid saved state: truncated, corrupted, of another type or version.
/// The message names the check that failed ("nps: counts sum to 12, n = 11").
class format_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cxm
