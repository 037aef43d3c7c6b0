#include <algorithm>
#include <iostream>
#include <string>
#include <cxm/io/state.hpp>
#include <cxm/stream/engine.hpp>

int main() {
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  cxm::engine<std::string> e;
  e.add(cxm::event<std::string>{"ada@example.com", t, cxm::event_kind::purchase, 30});
  e.add(cxm::event<std::string>{"ada@example.com", t, cxm::event_kind::nps_answer, 10});
  e.add(cxm::event<std::string>{"bob@example.com", t, cxm::event_kind::nps_answer, 3});

  const bool erased = e.erase(std::string_view("ada@example.com"));  // a privacy request
  const auto r = e.report(t);
  std::cout << std::boolalpha << "erased " << erased << ", known now " << e.customer("ada@example.com").has_value()
            << ", customers " << r.customers << ", events " << r.events << ", nps answers "
            << r.get<cxm::nps_answers>().n << '\n';

  const auto image = cxm::io::save_state(e);
  const std::string ada = "ada@example.com";
  const bool trace = std::search(image.begin(), image.end(), ada.begin(), ada.end(), [](std::byte b, char c) {
                       return std::to_integer<char>(b) == c;
                     }) != image.end();
  std::cout << "the saved state names ada: " << trace << '\n';
}
