// Links against cxm::value (the lifetime-value models: Eigen 3 and LBFGSpp) as a user would and checks
// a published fit: the sBG model on the "regular" customers of Fader & Hardie (2007), years 1-7:
// alpha 0.704, beta 1.182 (data/REFERENCE.md).
#include <cxm/value/sbg.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  const std::vector<double> alive{1000, 631, 468, 382, 326, 289, 262, 241};
  const auto fit = cxm::value::fit_sbg(alive);
  std::printf("sBG %.3f %.3f\n", fit.model.alpha, fit.model.beta);
  return std::abs(fit.model.alpha - 0.704) < 0.002 && std::abs(fit.model.beta - 1.182) < 0.002 ? 0 : 1;
}
