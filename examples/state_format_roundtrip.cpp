#include <cxm/io/state.hpp>
#include <cxm/survey/nps.hpp>

#include <cstddef>
#include <iostream>
#include <vector>

int main() {
  cxm::nps survey;
  survey.add(9);
  const std::vector<std::byte> image = cxm::io::save_state(survey);        // framed image
  const cxm::nps again = cxm::io::load_state<cxm::nps>(image);             // throws cxm::format_error
  const cxm::nps_result r = again.result();                               // or add, merge, save
  std::cout << "NPS " << r.score << " over " << r.n << " answer(s), the same as saved: " << std::boolalpha
            << (again == survey) << '\n';
}
