// Conan's test_package: 250 promoters, 675 passives, 75 detractors give NPS +17.5 (REFERENCE.md).
#include <cxm/cxm.hpp>

#include <iostream>

int main() {
  cxm::nps nps;
  for (int i = 0; i < 250; ++i) nps.add(10);
  for (int i = 0; i < 675; ++i) nps.add(8);
  for (int i = 0; i < 75; ++i) nps.add(0);
  std::cout << "NPS " << nps.result().score << "\n";
  return nps.result().score == 17.5 ? 0 : 1;
}
