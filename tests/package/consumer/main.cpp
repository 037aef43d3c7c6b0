// Links against cxm as a user would and checks one published figure: 250 promoters, 675 passives and
// 75 detractors give an NPS of +17.5 (REFERENCE.md).
#include <cxm/cxm.hpp>

#include <iostream>

int main() {
  cxm::nps nps;
  for (int i = 0; i < 250; ++i) nps.add(10);
  for (int i = 0; i < 675; ++i) nps.add(8);
  for (int i = 0; i < 75; ++i) nps.add(0);
  const auto r = nps.result();
  std::cout << "NPS " << r.score << "\n";
  return r.score == 17.5 ? 0 : 1;
}
