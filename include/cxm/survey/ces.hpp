#pragma once
/// \file
/// Customer Effort Score (Dixon, Freeman & Toman 2010, "Stop Trying to Delight Your Customers", HBR;
/// CES 2.0 as in Dixon, Toman & DeLisi 2013, "The Effortless Experience"): agreement with "The company
/// made it easy for me to handle my issue" on 1..7 (1 strongly disagree, 7 strongly agree). Reported as
/// the mean and as the share of answers at or above a threshold (default 5: "somewhat agree" or more).
/// Adding answers (scores, reliability weights, add_count for frequency weights): survey/scored_answers.hpp.

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/survey/scored_answers.hpp"

namespace cxm {

/// score_summary (n, weights, mean, variances, distribution) plus the share at or above the threshold.
struct ces_result : score_summary {
  int threshold;                ///< answers >= threshold count as "easy"
  std::uint64_t easy;           ///< answers at or above the threshold
  double easy_weight;           ///< their total weight
  double easy_share;            ///< easy_weight / total_weight; NaN when empty()
};

/// Customer Effort Score (Dixon, Freeman & Toman 2010; CES 2.0 on 1..7: Dixon, Toman & DeLisi 2013):
/// the mean and the share of answers at or above a threshold (docs/metrics/satisfaction.md).
/// Input: a whole score on the scale per add, optionally weighted, or add_count(score, n)
/// (survey/scored_answers.hpp). Result: ces_result. Parameters: the scale (default 1..7) and the
/// threshold (default 5), saved and compared by merge. Per answer O(1), no allocation: one
/// score_histogram bin per scale point (inline up to 11 points). Mergeable: associative and
/// commutative, exact for counts, to rounding for weights; std::invalid_argument when the parameters
/// differ. Not synchronised (docs/architecture.md, "Thread safety").
class ces : public detail::scored_answers<ces> {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("ces ");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::string_view name = "ces";  ///< the metric's name in messages

  /// Scale 1..7, threshold 5.
  ces() : ces(score_scale{1, 7}, 5) {}
  /// Throws std::invalid_argument for a single-score scale or a threshold outside the scale.
  ces(score_scale scale, int threshold) : scored_answers(scale), threshold_(threshold) {
    validate_threshold(scale, threshold);
  }

  [[nodiscard]] const score_scale& scale() const noexcept { return histogram_.scale(); }  ///< the answer scale
  [[nodiscard]] int threshold() const noexcept { return threshold_; }  ///< answers >= threshold are "easy"

  /// Throws std::invalid_argument when the scales or thresholds differ.
  void merge(const ces& other) {
    if (other.threshold_ != threshold_) {
      throw std::invalid_argument("ces: cannot merge states with different thresholds (" + std::to_string(threshold_) +
                                  " and " + std::to_string(other.threshold_) + ")");
    }
    histogram_.merge(other.histogram_, name);
  }

  /// The summary and the easy share; NaN shares and moments when empty().
  [[nodiscard]] ces_result result() const {
    ces_result r{histogram_.summary(), threshold_, 0, 0.0, 0.0};
    for (const auto& c : r.distribution) {
      if (c.score >= threshold_) {
        r.easy += c.answers;
        r.easy_weight += c.weight;
      }
    }
    r.easy_share = r.empty() ? std::numeric_limits<double>::quiet_NaN() : r.easy_weight / r.total_weight;
    return r;
  }

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    histogram_.save(w);
    w.i32(threshold_);
  }

  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static ces load(io::reader& r) {
    auto histogram = score_histogram::load(r, name);
    const int threshold = r.i32("ces: threshold");
    try {
      validate_threshold(histogram.scale(), threshold);
    } catch (const std::invalid_argument& e) {
      io::reader::fail(e.what());
    }
    ces out(histogram.scale(), threshold);
    out.histogram_ = std::move(histogram);
    return out;
  }

  /// Compares the whole state, parameters included.
  friend bool operator==(const ces&, const ces&) = default;

 private:
  static void validate_threshold(const score_scale& scale, int threshold) {
    if (!scale.contains(threshold)) {
      throw std::invalid_argument("ces: threshold " + std::to_string(threshold) + " is outside the scale " +
                                  scale.to_string());
    }
  }

  int threshold_;
};

}  // namespace cxm
