#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <vector>
#include <cxm/io/state.hpp>
#include <cxm/stream/engine.hpp>

// Run as "machines a", then "machines b": a saves its engine, the bytes travel, b loads and merges.
int main(int argc, char** argv) {
  const std::string role = argc > 1 ? argv[1] : "";
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  if (role == "a") {
    cxm::engine<std::string> a;
    a.add(cxm::event<std::string>{"ada", t, cxm::event_kind::csat_answer, 5});
    a.add(cxm::event<std::string>{"bob", t, cxm::event_kind::csat_answer, 2});
    const std::vector<std::byte> image = cxm::io::save_state(a);
    std::ofstream("a.cxm", std::ios::binary).write(reinterpret_cast<const char*>(image.data()), std::streamsize(image.size()));
    std::cout << "machine a: saved " << image.size() << " bytes\n";
  } else if (role == "b") {
    cxm::engine<std::string> b;
    b.add(cxm::event<std::string>{"ada", t + std::chrono::hours{1}, cxm::event_kind::csat_answer, 3});

    std::ifstream in("a.cxm", std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    b.merge(cxm::io::load_state<cxm::engine<std::string>>(std::as_bytes(std::span(bytes))));

    const auto r = b.result();
    const auto csat = r.get<cxm::csat_answers>();
    const auto ada = b.customer("ada")->result<cxm::satisfaction>(r.as_of);
    std::cout << "machine b: csat over " << csat.n << " answers, satisfied share " << csat.satisfied_share
              << "; ada's latest csat " << *ada.csat.latest << " (" << ada.csat.answers << " answers)"
              << "; customers on both sides " << r.customers_merged_from_both_sides << '\n';
  }
}
