#pragma once
/// \file
/// Customer Satisfaction Score: answers on an integer scale (default 1..5); CSAT is the share of
/// answers in the "satisfied" set (default top-2-box: 4 and 5 on 1..5), reported with the mean, the
/// standard deviation and the full distribution. Intervals and tests: survey/intervals.hpp,
/// survey/compare.hpp. Adding answers (scores, reliability weights, add_count for frequency weights):
/// survey/scored_answers.hpp. The satisfied-set check is cxm::satisfied_set_error (core/score_scale.hpp).

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/survey/scored_answers.hpp"

namespace cxm {

/// score_summary (n, weights, mean, variances, distribution) plus the satisfied share.
struct csat_result : score_summary {
  std::uint64_t satisfied;  ///< answers in the satisfied set
  double satisfied_weight;  ///< their total weight
  double satisfied_share;   ///< satisfied_weight / total_weight (the CSAT); NaN when empty()
};

/// Customer Satisfaction Score: the share of answers in the satisfied set (default top-2-box),
/// with the mean, the standard deviation and the distribution (docs/metrics/satisfaction.md).
/// Input: a whole score on the scale per add, optionally weighted, or add_count(score, n)
/// (survey/scored_answers.hpp). Result: csat_result. Parameters: the scale (default 1..5) and the
/// satisfied set (default {4, 5}), saved and compared by merge. Per answer O(1), no allocation: one
/// score_histogram bin per scale point (inline up to 11 points) and the satisfied set. Mergeable:
/// associative and commutative, exact for counts, to rounding for weights; std::invalid_argument when
/// the parameters differ. Not synchronised (docs/architecture.md, "Thread safety").
class csat : public detail::scored_answers<csat> {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("csat");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::string_view name = "csat";  ///< the metric's name in messages
  using satisfied_set = std::vector<int>;  ///< the satisfied scores, sorted, each once

  /// Scale 1..5, satisfied = {4, 5}.
  csat() : csat(score_scale{1, 5}) {}
  /// Satisfied = the top two scores of `scale`.
  explicit csat(score_scale scale) : csat(scale, {scale.high - 1, scale.high}) {}
  /// Any non-empty subset of the scale. Throws std::invalid_argument for a single-score scale, an empty
  /// set, or a satisfied score outside the scale.
  csat(score_scale scale, std::initializer_list<int> satisfied) : csat(scale, satisfied_set(satisfied)) {}
  /// Any non-empty subset of the scale, in any order; throws std::invalid_argument as above.
  csat(score_scale scale, satisfied_set satisfied) : scored_answers(scale), satisfied_(std::move(satisfied)) {
    std::sort(satisfied_.begin(), satisfied_.end());
    satisfied_.erase(std::unique(satisfied_.begin(), satisfied_.end()), satisfied_.end());
    validate_satisfied_set(scale, satisfied_, name);
  }
  /// The top `boxes` scores of `scale` (top-box = 1, top-2-box = 2, ...).
  static csat top_box(score_scale scale, int boxes) {
    scale.validate(name);
    if (boxes < 1 || static_cast<std::size_t>(boxes) >= scale.points()) {
      throw std::invalid_argument("csat: top_box needs 1 <= boxes < " + std::to_string(scale.points()) + ", got " +
                                  std::to_string(boxes));
    }
    satisfied_set set;
    for (int s = scale.high - boxes + 1; s <= scale.high; ++s) set.push_back(s);
    return csat(scale, std::move(set));
  }

  [[nodiscard]] const score_scale& scale() const noexcept { return histogram_.scale(); }  ///< the answer scale
  /// The satisfied set, sorted.
  [[nodiscard]] const satisfied_set& satisfied_scores() const noexcept { return satisfied_; }

  /// Throws std::invalid_argument when the scales or satisfied sets differ.
  void merge(const csat& other) {
    if (other.satisfied_ != satisfied_) throw std::invalid_argument("csat: cannot merge states with different satisfied sets");
    histogram_.merge(other.histogram_, name);
  }

  /// The summary and the satisfied share; NaN shares and moments when empty().
  [[nodiscard]] csat_result result() const {
    csat_result r{histogram_.summary(), 0, 0.0, 0.0};
    for (const auto& c : r.distribution) {
      if (std::binary_search(satisfied_.begin(), satisfied_.end(), c.score)) {
        r.satisfied += c.answers;
        r.satisfied_weight += c.weight;
      }
    }
    r.satisfied_share = r.empty() ? std::numeric_limits<double>::quiet_NaN() : r.satisfied_weight / r.total_weight;
    return r;
  }

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    histogram_.save(w);
    w.u32(static_cast<std::uint32_t>(satisfied_.size()));
    for (const int s : satisfied_) w.i32(s);
  }

  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static csat load(io::reader& r) {
    auto histogram = score_histogram::load(r, name);
    const auto count = r.u32("csat: satisfied set size");
    if (count > r.remaining() / 4) io::reader::fail("truncated: csat: satisfied set of " + std::to_string(count) + " scores");
    satisfied_set set;
    for (std::uint32_t i = 0; i < count; ++i) set.push_back(r.i32("csat: satisfied score"));
    if (auto error = satisfied_set_error(histogram.scale(), set)) io::reader::fail("csat: " + *error);
    csat out(histogram.scale(), std::move(set));
    out.histogram_ = std::move(histogram);
    return out;
  }

  /// Compares the whole state, parameters included.
  friend bool operator==(const csat&, const csat&) = default;

 private:
  satisfied_set satisfied_;  // sorted, unique
};

}  // namespace cxm
