#pragma once
/// \file
/// Boost.Accumulators features for cxm's survey metrics (an optional adapter: cxm/cxm.hpp does not
/// include it).
///
/// What: cxm::tag::nps, cxm::tag::csat and cxm::tag::ces are features that can sit in a
/// boost::accumulators::accumulator_set beside Boost's own statistics (tag::mean, tag::variance, ...).
/// Each holds the native accumulator (cxm::nps, cxm::csat, cxm::ces) and forwards every sample to it, so
/// the results are exactly the native ones (the same code runs). Extractors cxm::extract::nps(acc),
/// cxm::extract::csat(acc) and cxm::extract::ces(acc) return cxm::nps_result, cxm::csat_result and
/// cxm::ces_result.
///
/// \code
///   #include <boost/accumulators/framework/accumulator_set.hpp>
///   #include <boost/accumulators/framework/features.hpp>
///   #include <boost/accumulators/statistics/mean.hpp>
///   #include <cxm/boost/accumulators.hpp>
///   namespace ba = boost::accumulators;
///
///   ba::accumulator_set<int, ba::features<ba::tag::mean, cxm::tag::nps>> acc;
///   for (int answer : {10, 9, 7, 3}) acc(answer);
///   cxm::nps_result r = cxm::extract::nps(acc);       // r.score == 25, ba::mean(acc) == 7.25
///
///   // Weighted answers go to the native weighted add (Kish's effective n, weighted shares):
///   ba::accumulator_set<int, ba::features<cxm::tag::nps>, double> weighted;
///   weighted(10, ba::weight = 2.5);
///
///   // Parameters at construction (each optional; the defaults are the native ones):
///   ba::accumulator_set<int, ba::features<cxm::tag::csat, cxm::tag::ces>> wide(
///       cxm::csat_scale = cxm::score_scale{0, 10}, cxm::csat_satisfied = cxm::csat::satisfied_set{9, 10},
///       cxm::ces_scale = cxm::score_scale{0, 10}, cxm::ces_threshold = 7);
/// \endcode
///
/// Samples: any integral type, or a floating-point type holding a whole number (9.0), as the native
/// add takes them: 9.5, NaN and ±inf are rejected as not whole numbers (score_not_whole), a whole
/// number off the scale (11, 2^32 + 9) as score_out_of_scale; bool and character types do not compile.
/// Weights (reliability weights, as the native add(score, weight)): any arithmetic type, converted to
/// double; the native checks apply (finite, >= 0). Counts of identical answers (frequency weights) have
/// no Boost form: use the native add_count. A call without a weight, even in
/// a weighted set, is an unweighted answer (but Boost's weighted statistics in the same set need one).
///
/// Bad input: an invalid score or weight throws cxm::invalid_event with the native message ("nps:
/// score 11 is outside the scale 0..10", "nps: score 9.5 is not a whole number"), and the cxm state is unchanged. The accumulator_set visits
/// its features in turn, so Boost's own features visited before the cxm one may already have counted
/// that sample: validate before calling the set when you mix them and must go on after an error (or
/// use the native accumulators with cxm::skip_invalid).
///
/// State: cxm::state_of<cxm::tag::nps>(acc) is a const reference to the native accumulator, to merge,
/// save (cxm::io::save_state) or inspect. There is no mutable access: folding another state into the
/// set would leave Boost's own features behind. An accumulator_set cannot be merged (Boost has no
/// merge); merge the native states instead.
///
/// The pattern (an impl deriving from accumulator_base with result_type, a constructor taking the
/// argument pack, operator()(args) and result(args); a tag deriving from depends_on<> naming the impl;
/// an extractor<tag> object; keywords declared with BOOST_PARAMETER_NAME and read with args[kw | default])
/// is the one documented in the Boost.Accumulators user's guide, "Extending the Accumulators Framework"
/// (https://www.boost.org/doc/libs/1_81_0/doc/html/accumulators/user_s_guide.html), and followed by
/// Boost's own statistics (boost/accumulators/statistics/count.hpp, weighted_mean.hpp).

#include <ranges>
#include <type_traits>
#include <utility>

#include <boost/accumulators/framework/accumulator_base.hpp>
#include <boost/accumulators/framework/accumulator_set.hpp>
#include <boost/accumulators/framework/depends_on.hpp>
#include <boost/accumulators/framework/extractor.hpp>
#include <boost/accumulators/framework/parameters/sample.hpp>
#include <boost/accumulators/framework/parameters/weight.hpp>
#include <boost/mpl/always.hpp>
#include <boost/parameter/keyword.hpp>
#include <boost/parameter/name.hpp>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

// Named parameters read when the accumulator_set is constructed (cxm::csat_scale = ..., ...):
//   csat_scale      a cxm::score_scale (default 1..5); satisfied = its top two scores unless given;
//   csat_satisfied  the satisfied scores: a cxm::csat::satisfied_set or any range of int (default
//                   the top two scores of the scale);
//   ces_scale       a cxm::score_scale (default 1..7); needs ces_threshold;
//   ces_threshold   an int, answers >= it are "easy" (default 5, on the default scale 1..7).
// Invalid values throw std::invalid_argument from the accumulator_set's constructor, as the native
// constructors do.
BOOST_PARAMETER_NAME((csat_scale, keywords) csat_scale)
BOOST_PARAMETER_NAME((csat_satisfied, keywords) csat_satisfied)
BOOST_PARAMETER_NAME((ces_scale, keywords) ces_scale)
BOOST_PARAMETER_NAME((ces_threshold, keywords) ces_threshold)

namespace detail::boost_adapter {

/// The default of a named parameter that was not given (`args[keyword | absent]`).
struct absent_argument {};
inline constexpr absent_argument absent{};

template <class T>
inline constexpr bool is_absent = std::is_same_v<std::remove_cvref_t<T>, absent_argument>;

/// The sample type must be a score type: an integer or floating-point type, not bool or a character
/// type. The native add checks the value (a whole number on the scale; 9.5 is never folded in as 9).
template <class Sample>
inline constexpr bool valid_sample = score_type<Sample>;

template <class Weight>
double weight_value(const Weight& weight) {
  static_assert(std::is_arithmetic_v<Weight> && !std::is_same_v<Weight, bool>,
                "cxm Boost.Accumulators features: the weight type must be an arithmetic type");
  return static_cast<double>(weight);
}

// Construction of each native accumulator from the argument pack.
template <class Metric>
struct make_metric;

template <>
struct make_metric<nps> {
  template <class Args>
  static nps from(const Args&) {
    return nps{};
  }
};

template <>
struct make_metric<csat> {
  template <class Range>
  static csat::satisfied_set satisfied_from(const Range& scores) {
    static_assert(std::ranges::input_range<const Range> &&
                      std::is_same_v<std::ranges::range_value_t<const Range>, int>,
                  "cxm::csat_satisfied: pass a cxm::csat::satisfied_set or another range of int");
    csat::satisfied_set out;
    for (const int s : scores) out.push_back(s);
    return out;
  }

  template <class Args>
  static csat from(const Args& args) {
    const auto& scale = args[csat_scale | absent];
    const auto& satisfied = args[csat_satisfied | absent];
    constexpr bool has_scale = !is_absent<decltype(scale)>;
    constexpr bool has_satisfied = !is_absent<decltype(satisfied)>;
    if constexpr (has_scale) {
      static_assert(std::is_same_v<std::remove_cvref_t<decltype(scale)>, score_scale>,
                    "cxm::csat_scale: pass a cxm::score_scale");
    }
    if constexpr (has_scale && has_satisfied) {
      return csat(scale, satisfied_from(satisfied));
    } else if constexpr (has_scale) {
      return csat(scale);
    } else if constexpr (has_satisfied) {
      return csat(csat{}.scale(), satisfied_from(satisfied));
    } else {
      return csat{};
    }
  }
};

template <>
struct make_metric<ces> {
  template <class Args>
  static ces from(const Args& args) {
    const auto& scale = args[ces_scale | absent];
    const auto& threshold = args[ces_threshold | absent];
    constexpr bool has_scale = !is_absent<decltype(scale)>;
    constexpr bool has_threshold = !is_absent<decltype(threshold)>;
    if constexpr (has_scale) {
      static_assert(std::is_same_v<std::remove_cvref_t<decltype(scale)>, score_scale>,
                    "cxm::ces_scale: pass a cxm::score_scale");
      // No threshold is canonical on another scale (CES 2.0's 5 is "somewhat agree" on 1..7).
      static_assert(has_threshold, "cxm::ces_scale needs cxm::ces_threshold as well");
    }
    if constexpr (has_threshold) {
      static_assert(std::is_same_v<std::remove_cvref_t<decltype(threshold)>, int>,
                    "cxm::ces_threshold: pass an int");
    }
    if constexpr (has_scale && has_threshold) {
      return ces(scale, threshold);
    } else if constexpr (has_threshold) {
      return ces(ces{}.scale(), threshold);
    } else {
      return ces{};
    }
  }
};

/// The accumulator behind cxm::tag::nps, cxm::tag::csat and cxm::tag::ces: the native metric, fed
/// one sample (and its weight, when the call has one) at a time.
template <class Metric>
class survey_feature : public ::boost::accumulators::accumulator_base {
 public:
  using result_type = decltype(std::declval<const Metric&>().result());

  template <class Args>
  explicit survey_feature(const Args& args) : metric_(make_metric<Metric>::from(args)) {}

  template <class Args>
  void operator()(const Args& args) {
    const auto& sample = args[::boost::accumulators::sample];
    const auto& weight = args[::boost::accumulators::weight | absent];
    using sample_type = std::remove_cvref_t<decltype(sample)>;
    static_assert(valid_sample<sample_type>,
                  "cxm Boost.Accumulators features: the sample type must be an integral or floating-point type "
                  "(not bool or a character type)");
    if constexpr (is_absent<decltype(weight)>) {
      metric_.add(sample);
    } else {
      metric_.add(sample, weight_value(weight));
    }
  }

  [[nodiscard]] result_type result(::boost::accumulators::dont_care) const { return metric_.result(); }

  [[nodiscard]] const Metric& state() const noexcept { return metric_; }

 private:
  Metric metric_;
};

}  // namespace detail::boost_adapter

/// Boost.Accumulators features over cxm's survey metrics (the top of this header).
namespace tag {

/// Net Promoter Score (cxm::nps, 0..10). Result: cxm::nps_result.
struct nps : ::boost::accumulators::depends_on<> {
  /// The Boost.Accumulators implementation.
  using impl = ::boost::mpl::always<detail::boost_adapter::survey_feature<cxm::nps>>;
};

/// CSAT (cxm::csat; cxm::csat_scale, cxm::csat_satisfied). Result: cxm::csat_result.
struct csat : ::boost::accumulators::depends_on<> {
  /// The Boost.Accumulators implementation.
  using impl = ::boost::mpl::always<detail::boost_adapter::survey_feature<cxm::csat>>;
};

/// CES (cxm::ces; cxm::ces_scale, cxm::ces_threshold). Result: cxm::ces_result.
struct ces : ::boost::accumulators::depends_on<> {
  /// The Boost.Accumulators implementation.
  using impl = ::boost::mpl::always<detail::boost_adapter::survey_feature<cxm::ces>>;
};

}  // namespace tag

/// Extractors of the features in cxm::tag.
namespace extract {

inline constexpr ::boost::accumulators::extractor<tag::nps> nps{};  ///< cxm::extract::nps(acc): the nps_result
inline constexpr ::boost::accumulators::extractor<tag::csat> csat{};  ///< cxm::extract::csat(acc): the csat_result
inline constexpr ::boost::accumulators::extractor<tag::ces> ces{};  ///< cxm::extract::ces(acc): the ces_result

}  // namespace extract

/// The native accumulator behind `Feature` (cxm::tag::nps, csat or ces) in `acc`: to merge with
/// states computed elsewhere, save, or inspect its parameters.
template <class Feature, class AccumulatorSet>
[[nodiscard]] const auto& state_of(const AccumulatorSet& acc) noexcept {
  return ::boost::accumulators::find_accumulator<Feature>(acc).state();
}

}  // namespace cxm
