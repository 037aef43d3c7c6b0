#pragma once
/// \file
/// A histogram of integer answers on a score_scale, with optional answer weights: the exact,
/// mergeable state behind CSAT, CES and NPS. Answers without a weight are plain 64-bit counts (exact,
/// merged by addition, as fast as a hand loop); weighted answers also add their weight to a
/// compensated sum per score. Scales of up to 11 points live inline (no allocation on copy).
///
/// Two kinds of weight: add_count(score, n) is a frequency weight (n identical answers: n counts, the
/// standard errors of n answers), add(score, w) a reliability weight (one answer standing for w, with
/// Kish's effective n = (Σw)²/Σw² as the n of the standard errors).

#include <array>
#include <concepts>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// One score of a distribution.
struct score_count {
  int score;  ///< a score of the scale
  std::uint64_t answers;  ///< number of answers with this score
  double weight;          ///< their total weight (= answers when unweighted)
  double share;           ///< weight / total weight
};

/// What every score-based result has: sizes, mean, variances and the distribution.
struct score_summary {
  std::uint64_t n;             ///< number of answers
  double total_weight;         ///< Σw (= n when unweighted)
  double effective_n;          ///< Kish's effective sample size (Σw)²/Σw² (= n when unweighted)
  bool weighted;               ///< at least one answer came with an explicit weight
  double mean;                 ///< weighted mean score; NaN when n == 0
  double population_variance;  ///< Σw(x − mean)²/Σw  (÷ n); NaN when n == 0
  double sample_variance;      ///< population_variance · n_eff/(n_eff − 1)  (÷ n − 1); NaN when n_eff <= 1
  double stddev;               ///< √sample_variance; NaN when n_eff <= 1
  std::vector<score_count> distribution;  ///< every score of the scale, low to high
  /// No answers, or only zero-weight ones: the moments are NaN then.
  [[nodiscard]] bool empty() const noexcept { return !(total_weight > 0); }
};

/// The exact, mergeable histogram behind CSAT, CES and NPS: per score a 64-bit count of unweighted
/// answers and, for weighted answers, their count and a compensated sum of weights. A building block,
/// not an accumulator: add and merge take the metric's name and policy, and it has no type tag.
/// Per answer O(1); scales of up to 11 points inline, no allocation on copy. Not synchronised.
class score_histogram {
 public:
  score_histogram() : score_histogram(score_scale{}, "score_histogram") {}
  /// Throws std::invalid_argument when the scale has fewer than two or more than max_points points.
  explicit score_histogram(score_scale scale, std::string_view metric = "score_histogram") : scale_(scale) {
    scale_.validate(metric);
    bins_.resize(scale_.points());
  }

  [[nodiscard]] const score_scale& scale() const noexcept { return scale_; }  ///< the scale, fixed at construction

  /// Index of `score` in the bins, or a value >= points() when it is outside the scale.
  [[nodiscard]] std::size_t index(std::int64_t score) const noexcept {
    // Unsigned arithmetic: a score far outside the scale wraps to a large index instead of overflowing.
    return static_cast<std::size_t>(static_cast<std::uint64_t>(score) - static_cast<std::uint64_t>(std::int64_t{scale_.low}));
  }

  /// The rejection of `score` as outside the scale, for `metric`.
  [[nodiscard]] rejection out_of_scale(double score, std::string_view metric) const noexcept {
    return rejection{rejection_reason::score_out_of_scale, metric, "score", score, double(scale_.low),
                     double(scale_.high)};
  }

  /// The bin of `score`, or a value >= points() when it is not a score of the scale. Integers take the
  /// fast path (one subtraction, compared exactly: no wrap to int or int64); floating-point scores must
  /// be whole numbers on the scale (whole_score_on).
  template <score_type S>
  [[nodiscard]] std::size_t bin_of(S score) const noexcept {
    if constexpr (std::is_integral_v<S>) {
      if constexpr (std::is_unsigned_v<S> && sizeof(S) >= sizeof(std::int64_t)) {
        if (score > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return not_a_bin;
      }
      return index(static_cast<std::int64_t>(score));
    } else {
      const auto s = whole_score_on(scale_, score);
      return s ? index(*s) : not_a_bin;
    }
  }

  /// The rejection of a `score` that bin_of found no bin for: score_out_of_scale, or score_not_whole
  /// (4.5, NaN, ±inf).
  template <score_type S>
  [[nodiscard]] rejection rejection_of(S score, std::string_view metric) const noexcept {
    if constexpr (std::is_integral_v<S>) {
      return out_of_scale(static_cast<double>(score), metric);
    } else {
      auto r = check_score(scale_, score, metric);
      return r ? std::move(*r) : out_of_scale(static_cast<double>(score), metric);
    }
  }

  /// One unweighted answer; returns false (after calling on_invalid) when it is not a score of the scale.
  template <score_type S, invalid_policy Policy>
  bool add(S score, std::string_view metric, Policy&& on_invalid) {
    const auto i = bin_of(score);
    if (i >= bins_.size()) [[unlikely]] {
      on_invalid(rejection_of(score, metric));
      return false;
    }
    ++bins_[i].unit_answers;
    return true;
  }

  /// One unweighted answer already validated by the caller: `i` is the score minus the scale's low
  /// end, below points() (precondition; the engine's kind registry checked the score on this scale).
  void add_to_bin(std::size_t i) noexcept { ++bins_[i].unit_answers; }

  /// `count` unweighted answers with the same score (a frequency weight): exactly the state of `count`
  /// calls of add(score). Throws std::overflow_error, leaving the histogram unchanged, when the number
  /// of answers would pass 2^64 − 1.
  template <score_type S, invalid_policy Policy>
  bool add_count(S score, std::uint64_t count, std::string_view metric, Policy&& on_invalid) {
    const auto i = bin_of(score);
    if (i >= bins_.size()) {
      on_invalid(rejection_of(score, metric));
      return false;
    }
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t total = 0;
    bool overflow = false;
    for (const auto& b : bins_) {
      for (const auto c : {b.unit_answers, b.weighted_answers}) {
        overflow = overflow || c > max - total;
        total += c;
      }
    }
    if (overflow || count > max - total) {
      throw std::overflow_error(std::string(metric) + ": " + std::to_string(count) + " more answers overflow the " +
                                "64-bit count of answers");
    }
    bins_[i].unit_answers += count;
    return true;
  }

  /// One weighted answer (weight finite and >= 0); the score is checked first.
  template <score_type S, invalid_policy Policy>
  bool add(S score, double weight, std::string_view metric, Policy&& on_invalid) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const auto i = bin_of(score);
    if (i >= bins_.size()) {
      on_invalid(rejection_of(score, metric));
      return false;
    }
    if (!std::isfinite(weight)) {
      on_invalid(rejection{rejection_reason::weight_not_finite, metric, "weight", weight, 0, inf});
      return false;
    }
    if (weight < 0) {
      on_invalid(rejection{rejection_reason::weight_negative, metric, "weight", weight, 0, inf});
      return false;
    }
    auto& target = bins_[i];
    ++target.weighted_answers;
    target.weight.add(weight);
    weight_squares_.add(weight * weight);
    return true;
  }

  /// Many unweighted answers: any input range of a score_type (integers; floating-point values are
  /// checked one by one like add's). Scales of up to 64 points are tallied locally first, so a throwing
  /// policy leaves the histogram unchanged (strong guarantee); on larger scales the answers before the
  /// invalid one are kept. Returns the number of answers folded in.
  template <ranges::input_range R, invalid_policy Policy>
    requires score_type<ranges::range_value_t<R>>
  std::size_t add_range(R&& scores, std::string_view metric, Policy&& on_invalid) {
    using value_type = ranges::range_value_t<R>;
    if (bins_.size() > local_tally_points) {
      std::size_t added = 0;
      for (auto&& s : scores) added += add(static_cast<value_type>(s), metric, on_invalid) ? 1u : 0u;
      return added;
    }
    // Four tallies, each answer to the next one in turn: an increment does not wait on the store of
    // the answer before it, which often has the same score. The lanes are fixed positions in an
    // unrolled loop (no lane index to compute per answer): on a vector this beats a plain loop with
    // one counter per score (benchmarks/survey.cpp, nps_add_bulk; figures in docs/benchmarks.md).
    using lane_tally = std::array<std::uint64_t, local_tally_points>;
    std::array<lane_tally, 4> tally{};
    const std::uint64_t points = bins_.size();
    // An invalid answer goes to the policy at once, with its value; a throwing policy then leaves the
    // histogram unchanged, because nothing leaves the local tallies before the end of the range.
    const auto count = [&](lane_tally& lane, value_type score) {
      const auto i = bin_of(score);
      if (i < points) [[likely]] {
        ++lane[i];
      } else {
        on_invalid(rejection_of(score, metric));
      }
    };
    auto it = ranges::begin(scores);
    const auto end = ranges::end(scores);
    if constexpr (ranges::random_access_range<R> && ranges::sized_range<R>) {
      // Four answers per step and one end-of-range check; the remainder goes through the loop below.
      for (auto left = static_cast<std::uint64_t>(ranges::size(scores)); left >= 4; left -= 4, it += 4) {
        count(tally[0], static_cast<value_type>(it[0]));
        count(tally[1], static_cast<value_type>(it[1]));
        count(tally[2], static_cast<value_type>(it[2]));
        count(tally[3], static_cast<value_type>(it[3]));
      }
    }
    // Any input range (and the remainder above): the same rotation, checking the end at each answer.
    for (;;) {
      if (it == end) break;
      count(tally[0], static_cast<value_type>(*it));
      if (++it == end) break;
      count(tally[1], static_cast<value_type>(*it));
      if (++it == end) break;
      count(tally[2], static_cast<value_type>(*it));
      if (++it == end) break;
      count(tally[3], static_cast<value_type>(*it));
      ++it;
    }
    std::size_t added = 0;
    for (std::size_t i = 0; i < points; ++i) {
      const auto c = tally[0][i] + tally[1][i] + tally[2][i] + tally[3][i];
      bins_[i].unit_answers += c;
      added += static_cast<std::size_t>(c);
    }
    return added;
  }

  /// Throws std::invalid_argument when the scales differ.
  void merge(const score_histogram& other, std::string_view metric) {
    if (other.scale_ != scale_) {
      throw std::invalid_argument(std::string(metric) + ": cannot merge states on different scales (" +
                                  scale_.to_string() + " and " + other.scale_.to_string() + ")");
    }
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      bins_[i].unit_answers += other.bins_[i].unit_answers;
      bins_[i].weighted_answers += other.bins_[i].weighted_answers;
      bins_[i].weight.merge(other.bins_[i].weight);
    }
    weight_squares_.merge(other.weight_squares_);
  }

  /// Answers in bin `i` (0 = the lowest score), weighted or not.
  [[nodiscard]] std::uint64_t answers(std::size_t i) const noexcept {
    return bins_[i].unit_answers + bins_[i].weighted_answers;
  }
  /// Total weight of bin `i` (an unweighted answer weighs 1).
  [[nodiscard]] double weight(std::size_t i) const noexcept {
    return static_cast<double>(bins_[i].unit_answers) + bins_[i].weight.value();
  }
  [[nodiscard]] std::size_t points() const noexcept { return bins_.size(); }  ///< number of bins: the scale's points

  /// Sizes, mean, variances and the distribution over every score of the scale.
  [[nodiscard]] score_summary summary() const {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    score_summary s{};
    s.distribution.reserve(bins_.size());
    std::uint64_t unit = 0;
    double total = 0;
    double weighted_sum = 0;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      s.n += answers(i);
      unit += bins_[i].unit_answers;
      s.weighted = s.weighted || bins_[i].weighted_answers != 0;
      const double w = weight(i);
      total += w;
      weighted_sum += w * score_at(i);
    }
    s.total_weight = total;
    const double squares = static_cast<double>(unit) + weight_squares_.value();
    s.effective_n = squares > 0 ? total * total / squares : 0.0;
    s.mean = total > 0 ? weighted_sum / total : nan;
    double m2 = 0;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      const double w = weight(i);
      if (total > 0) m2 += w * (score_at(i) - s.mean) * (score_at(i) - s.mean);
      s.distribution.push_back({scale_.low + static_cast<int>(i), answers(i), w, total > 0 ? w / total : nan});
    }
    s.population_variance = total > 0 ? m2 / total : nan;
    s.sample_variance = s.effective_n > 1 ? s.population_variance * s.effective_n / (s.effective_n - 1) : nan;
    s.stddev = std::sqrt(s.sample_variance);
    return s;
  }

  /// Writes the scale, then each bin, then the sum of squared weights.
  void save(io::writer& w) const {
    w.i32(scale_.low);
    w.i32(scale_.high);
    std::uint64_t total = 0;
    for (const auto& b : bins_) total += b.unit_answers + b.weighted_answers;
    w.u64(total);
    for (const auto& b : bins_) {
      w.u64(b.unit_answers);
      w.u64(b.weighted_answers);
      b.weight.save(w);
    }
    weight_squares_.save(w);
  }

  /// Reads a histogram written by save; throws cxm::format_error naming `metric` and the failed check.
  static score_histogram load(io::reader& r, std::string_view metric) {
    const std::string m(metric);
    score_scale scale{r.i32(m + ": scale low"), r.i32(m + ": scale high")};
    try {
      scale.validate(metric);
    } catch (const std::invalid_argument& e) {
      io::reader::fail(e.what());
    }
    const std::uint64_t n = r.u64(m + ": n");
    constexpr std::size_t bin_bytes = 32;
    if (scale.points() > r.remaining() / bin_bytes) {
      io::reader::fail("truncated: " + m + ": " + std::to_string(scale.points()) + " scores need " +
                       std::to_string(scale.points() * bin_bytes) + " bytes, " + std::to_string(r.remaining()) +
                       " remain");
    }
    score_histogram out(scale, metric);
    std::uint64_t sum = 0;
    bool overflow = false;
    for (auto& b : out.bins_) {
      b.unit_answers = r.u64(m + ": unweighted count");
      b.weighted_answers = r.u64(m + ": weighted count");
      b.weight = compensated_sum::load(r);
      if (!(b.weight.value() >= 0) || !std::isfinite(b.weight.value())) io::reader::fail(m + ": weight sum is negative or not finite");
      if (b.weighted_answers == 0 && b.weight.value() != 0) {
        io::reader::fail(m + ": weight sum without weighted answers");
      }
      for (const auto c : {b.unit_answers, b.weighted_answers}) {
        overflow = overflow || sum > std::numeric_limits<std::uint64_t>::max() - c;
        sum += c;
      }
    }
    out.weight_squares_ = compensated_sum::load(r);
    const double squares = out.weight_squares_.value();
    if (!(squares >= 0) || !std::isfinite(squares)) io::reader::fail(m + ": sum of squared weights is negative or not finite");
    // The weighted answers' Σw and Σw² must be consistent: (Σw)²/k <= Σw² <= (Σw)² for k answers
    // (Cauchy–Schwarz), which bounds the effective sample size by the number of answers.
    std::uint64_t weighted = 0;
    double weight_total = 0;
    for (const auto& b : out.bins_) {
      weighted += b.weighted_answers;
      weight_total += b.weight.value();
    }
    if (!std::isfinite(weight_total)) io::reader::fail(m + ": weight sum is not finite");
    const double tolerance = 1e-9 * (weight_total * weight_total) + 1e-300;
    if (weighted == 0 ? squares != 0
                      : (squares > weight_total * weight_total + tolerance ||
                         weight_total * weight_total > static_cast<double>(weighted) * squares + tolerance)) {
      io::reader::fail(m + ": sum of squared weights is inconsistent with the weights");
    }
    if (overflow) io::reader::fail(m + ": counts overflow 64 bits");
    if (sum != n) io::reader::fail(m + ": counts sum to " + std::to_string(sum) + ", n = " + std::to_string(n));
    return out;
  }

  /// Compares the whole state, parameters included.
  friend bool operator==(const score_histogram&, const score_histogram&) = default;

 private:
  static constexpr std::size_t local_tally_points = 64;
  static constexpr std::size_t not_a_bin = std::numeric_limits<std::size_t>::max();

  struct bin {
    std::uint64_t unit_answers = 0;      // answers added without a weight (weight 1 each)
    std::uint64_t weighted_answers = 0;  // answers added with an explicit weight
    compensated_sum weight;              // Σw of the weighted answers
    friend bool operator==(const bin&, const bin&) = default;
  };

  [[nodiscard]] double score_at(std::size_t i) const noexcept { return static_cast<double>(scale_.low) + double(i); }

  score_scale scale_;
  boost::container::small_vector<bin, 11> bins_;
  compensated_sum weight_squares_;  // Σw² of the weighted answers (for Kish's effective n)
};

}  // namespace cxm
