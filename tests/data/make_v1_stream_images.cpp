// Writes the format-version-1 images of the event-stream types into tests/data/v1/ from the fixed
// inputs documented in tests/data/README.md. NOT part of the build: compiled and run by hand once; the
// images are committed and never regenerated (a format is a promise).
//
//   g++ -std=c++20 -I include tests/data/make_v1_stream_images.cpp -o /tmp/make_v1_stream_images
//   /tmp/make_v1_stream_images tests/data/v1

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/events/window.hpp"
#include "cxm/survey/nps.hpp"

namespace {

template <class A>
bool write(const std::string& dir, const std::string& name, const A& state) {
  static_assert(A::format_version == 1, "this generator writes version-1 images only");
  const std::vector<std::byte> image = cxm::io::save_state(state);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  std::printf("%s: %zu bytes\n", name.c_str(), image.size());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  using namespace std::chrono;
  using cxm::event_kind;
  const cxm::timestamp day1 = sys_days{2026y / October / 1};

  // engine<> (uint64 ids, nps/csat/ces globals, spend/activity/satisfaction per customer).
  cxm::engine<> engine;
  engine.add(cxm::event<>{1, day1 + hours{9}, event_kind::signup, 0});
  engine.add(cxm::event<>{1, day1 + hours{10}, event_kind::purchase, 40.0});
  engine.add(cxm::event<>{1, day1 + days{3}, event_kind::purchase, 20.0});
  engine.add(cxm::event<>{1, day1 + days{3} + hours{1}, event_kind::refund, 5.0});
  engine.add(cxm::event<>{1, day1 + days{5}, event_kind::nps_answer, 9});
  engine.add(cxm::event<>{1, day1 + days{20}, event_kind::nps_answer, 6});
  engine.add(cxm::event<>{2, day1 + days{1}, event_kind::visit, 0});
  engine.add(cxm::event<>{2, day1 + days{2}, event_kind::csat_answer, 4});
  engine.add(cxm::event<>{2, day1 + days{2}, event_kind::ces_answer, 6});
  engine.add(cxm::event<>{3, day1 + days{10}, event_kind::nps_answer, 10});
  cxm::rejection_counts ignored;
  engine.add(cxm::event<>{3, day1, event_kind::purchase, -1.0}, cxm::traits_projection{}, cxm::skip_invalid{ignored});

  // tumbling<nps> by month.
  cxm::tumbling<cxm::nps> monthly(cxm::period_unit::month);
  monthly.add_at(sys_days{2026y / September / 30} + hours{23}, 10);
  monthly.add_at(sys_days{2026y / October / 1}, 3);
  monthly.add_at(sys_days{2026y / October / 15}, 9);
  monthly.add_at(sys_days{2026y / November / 2}, 7);

  const bool ok = write(dir, "engine_default.bin", engine) && write(dir, "tumbling_nps_month.bin", monthly);
  return ok ? 0 : 1;
}
