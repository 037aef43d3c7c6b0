#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <vector>
#include <cxm/io/state.hpp>
#include <cxm/stream/engine.hpp>

std::vector<cxm::event<>> stream() {  // the same stream in every process
  std::vector<cxm::event<>> out;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    const auto kind = i % 3 == 0 ? cxm::event_kind::purchase : i % 3 == 1 ? cxm::event_kind::visit : cxm::event_kind::nps_answer;
    out.push_back({i % 701, cxm::from_unix_ms(1'764'000'000'000 + std::int64_t(i) * 60'000), kind,
                   kind == cxm::event_kind::purchase ? 0.01 * double(i % 997) : double(i % 11)});
  }
  return out;
}

// Run as "checkpoint first", then "checkpoint second".
int main(int argc, char** argv) {
  const std::string step = argc > 1 ? argv[1] : "";
  const auto events = stream();
  const auto split = events.begin() + 6'000;
  if (step == "first") {  // process 1: the first part, then a checkpoint
    cxm::engine<> e;
    e.add(std::vector<cxm::event<>>(events.begin(), split));
    const auto image = cxm::io::save_state(e);
    std::ofstream("checkpoint.cxm", std::ios::binary).write(reinterpret_cast<const char*>(image.data()), std::streamsize(image.size()));
  } else if (step == "second") {  // process 2: load the checkpoint and continue
    std::ifstream in("checkpoint.cxm", std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    auto e = cxm::io::load_state<cxm::engine<>>(std::as_bytes(std::span(bytes)));
    e.add(std::vector<cxm::event<>>(split, events.end()));

    cxm::engine<> uninterrupted;
    uninterrupted.add(events);
    std::cout << "resumed == uninterrupted: " << std::boolalpha << (e == uninterrupted) << '\n';
  }
}
