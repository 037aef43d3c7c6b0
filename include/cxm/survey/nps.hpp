#pragma once
/// \file
/// Net Promoter Score (Reichheld 2003, "The One Number You Need to Grow", HBR 81(12)).
/// Answers 0..10 to "How likely are you to recommend ...": promoters 9–10, passives 7–8,
/// detractors 0–6. NPS = share of promoters − share of detractors, in −1..1 (score: −100..100).
/// Variance of one answer's contribution (Rocks 2016, "Interval Estimation for the 'Net Promoter
/// Score'", The American Statistician 70(4)): σ² = p_P + p_D − (p_P − p_D)²; standard error √(σ²/n).
/// Intervals: survey/intervals.hpp. Adding answers: survey/scored_answers.hpp (add(score) for one
/// answer, add_count(score, n) for n identical answers, add(score, w) for a reliability weight).

#include <cstdint>
#include <string_view>
#include <vector>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/survey/scored_answers.hpp"

namespace cxm {

/// What nps reports: counts per category, shares, the net score, its variance and standard error.
struct nps_result {
  std::uint64_t n;            ///< number of answers
  std::uint64_t promoters;    ///< answers 9–10
  std::uint64_t passives;     ///< answers 7–8
  std::uint64_t detractors;   ///< answers 0–6
  double total_weight;        ///< Σw (= n when unweighted)
  double effective_n;         ///< Kish's (Σw)²/Σw² (= n when unweighted); the n of the standard error
  bool weighted;              ///< at least one answer came with an explicit weight
  double promoter_share;      ///< promoter weight / total weight; NaN when n == 0
  double passive_share;       ///< NaN when n == 0
  double detractor_share;     ///< NaN when n == 0
  double net;                 ///< promoter_share − detractor_share, −1..1; NaN when n == 0
  double score;               ///< 100 · net, −100..100; NaN when n == 0
  double variance;            ///< per-answer σ² = p_P + p_D − (p_P − p_D)² (population); NaN when n == 0
  double standard_error;      ///< √(variance / effective_n), in units of `net`; NaN when n == 0
  std::vector<score_count> distribution;  ///< scores 0..10
  /// No answers, or only zero-weight ones: every share and moment is NaN then.
  [[nodiscard]] bool empty() const noexcept { return !(total_weight > 0); }
};

/// Net Promoter Score (Reichheld 2003; variance and standard error: Rocks 2016; the top of this
/// header and docs/metrics/satisfaction.md). Input: a whole score 0..10 per add, optionally weighted,
/// or add_count(score, n) (survey/scored_answers.hpp). Result: nps_result. Parameters: none (the
/// scale and categories are fixed). Per answer O(1), no allocation: an 11-bin score_histogram held
/// inline. Mergeable: associative and commutative, exact for counts, to rounding for weights.
/// Not synchronised: one per thread, then merge (docs/architecture.md, "Thread safety").
class nps : public detail::scored_answers<nps> {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("nps ");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::string_view name = "nps";  ///< the metric's name in messages
  static constexpr score_scale scale{0, 10};  ///< the fixed scale
  static constexpr int lowest_promoter = 9;  ///< promoters: 9 and 10
  static constexpr int lowest_passive = 7;  ///< passives: 7 and 8; detractors 0..6

  nps() : scored_answers(scale) {}

  void merge(const nps& other) { histogram_.merge(other.histogram_, name); }  ///< adds the other's histogram

  [[nodiscard]] nps_result result() const;  ///< shares, net score, variance and standard error (Rocks 2016)

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const { histogram_.save(w); }
  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static nps load(io::reader& r);

  /// Compares the whole state, parameters included.
  friend bool operator==(const nps&, const nps&) = default;
};

}  // namespace cxm

#include "cxm/survey/nps_impl.hpp"
