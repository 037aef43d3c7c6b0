// cxm's survey metrics as Boost.Accumulators features, beside Boost's own mean and variance.
#include <cxm/boost/accumulators.hpp>

#include <boost/accumulators/framework/accumulator_set.hpp>
#include <boost/accumulators/framework/features.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/variance.hpp>

#include <iostream>

namespace ba = boost::accumulators;

template <class Feature>
using survey = ba::accumulator_set<int, ba::features<ba::tag::mean, ba::tag::variance, Feature>>;

int main() {
  survey<cxm::tag::nps> recommend;               // 0..10: promoters 9-10, detractors 0-6
  survey<cxm::tag::csat> satisfied;              // 1..5, satisfied = 4 and 5
  survey<cxm::tag::ces> effort(cxm::ces_threshold = 6);  // 1..7, easy = 6 and above

  for (const int answer : {10, 9, 9, 8, 7, 6, 3, 10}) recommend(answer);
  for (const int answer : {5, 4, 4, 3, 2, 5}) satisfied(answer);
  for (const int answer : {7, 6, 5, 6, 2}) effort(answer);

  const cxm::nps_result nps = cxm::extract::nps(recommend);
  std::cout << "NPS  " << nps.score << " (" << nps.promoters << " promoters, " << nps.passives << " passives, "
            << nps.detractors << " detractors); answers: mean " << ba::mean(recommend) << ", variance "
            << ba::variance(recommend) << "\n";

  const cxm::csat_result csat = cxm::extract::csat(satisfied);
  std::cout << "CSAT " << 100 * csat.satisfied_share << "% satisfied (n = " << csat.n << "); mean "
            << ba::mean(satisfied) << ", variance " << ba::variance(satisfied) << "\n";

  const cxm::ces_result ces = cxm::extract::ces(effort);
  std::cout << "CES  mean " << ces.mean << ", " << 100 * ces.easy_share << "% easy (n = " << ces.n << "); variance "
            << ba::variance(effort) << "\n";

  try {
    recommend(11);                               // outside 0..10
  } catch (const cxm::invalid_event& e) {
    std::cout << "rejected: " << e.what() << "\n";
  }
}
