#pragma once
/// \file
/// Implementation of cxm::nps (included by nps.hpp).

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "cxm/survey/nps.hpp"

namespace cxm {

inline nps_result nps::result() const {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  score_summary s = histogram_.summary();
  nps_result r{};
  r.n = s.n;
  r.total_weight = s.total_weight;
  r.effective_n = s.effective_n;
  r.weighted = s.weighted;
  double promoter_weight = 0, passive_weight = 0, detractor_weight = 0;
  for (const auto& c : s.distribution) {
    if (c.score >= lowest_promoter) {
      r.promoters += c.answers;
      promoter_weight += c.weight;
    } else if (c.score >= lowest_passive) {
      r.passives += c.answers;
      passive_weight += c.weight;
    } else {
      r.detractors += c.answers;
      detractor_weight += c.weight;
    }
  }
  r.distribution = std::move(s.distribution);
  if (r.total_weight > 0) {
    r.promoter_share = promoter_weight / r.total_weight;
    r.passive_share = passive_weight / r.total_weight;
    r.detractor_share = detractor_weight / r.total_weight;
    r.net = r.promoter_share - r.detractor_share;
    r.score = 100.0 * r.net;
    // Rocks 2016: the NPS is the mean of a variable that is +1 (promoter), 0, −1 (detractor).
    r.variance = std::max(0.0, r.promoter_share + r.detractor_share - r.net * r.net);
    r.standard_error = std::sqrt(r.variance / r.effective_n);
  } else {
    r.promoter_share = r.passive_share = r.detractor_share = nan;
    r.net = r.score = r.variance = r.standard_error = nan;
  }
  return r;
}

inline nps nps::load(io::reader& r) {
  nps out;
  out.histogram_ = score_histogram::load(r, name);
  if (out.histogram_.scale() != scale) {
    io::reader::fail("nps: scale is " + out.histogram_.scale().to_string() + ", expected 0..10");
  }
  return out;
}

}  // namespace cxm
