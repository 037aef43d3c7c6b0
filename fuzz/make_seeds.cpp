// Writes valid saved states as fuzz seeds: <dir>/<type>/<name>.bin for every fuzz target
// (docs/fuzzing.md). The committed corpora under fuzz/corpus/ are what the fuzz tests start from;
// ctest also runs this program (test fuzz.make_seeds) into the build tree, and each fuzz test reads
// those images as a second, read-only corpus, so the seeds follow the current save() even when a
// committed seed has gone stale. To refresh the committed seeds by hand:
//
//   build/fuzz/fuzz/cxm_fuzz_make_seeds fuzz/corpus

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/events/window.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace {

bool ok = true;
std::filesystem::path root;

template <class A>
void write(const std::string& type, const std::string& name, const A& state) {
  const std::vector<std::byte> image = cxm::io::save_state(state);
  std::filesystem::create_directories(root / type);
  std::ofstream out(root / type / (name + ".bin"), std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  ok = static_cast<bool>(out) && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  root = argv[1];
  using namespace std::chrono;

  write("compensated_sum", "gen_empty", cxm::compensated_sum{});
  cxm::compensated_sum sum{1e16};
  sum.add(1.0);
  sum.add(-3.25);
  write("compensated_sum", "gen_compensated", sum);

  write("moments", "gen_empty", cxm::moments{});
  cxm::moments m;
  m.add(1.5);
  m.add(-2.0, 0.25);
  m.add(10.0, 3.0);
  write("moments", "gen_weighted", m);

  write("rejection_counts", "gen_empty", cxm::rejection_counts{});
  cxm::rejection_counts rc;
  rc.add(cxm::rejection_reason::too_late);
  rc.add(cxm::rejection_reason::customer_id_out_of_range);
  write("rejection_counts", "gen_two", rc);

  write("nps", "gen_empty", cxm::nps{});
  cxm::nps n;
  n.add(10);
  n.add(0, 2.5);
  n.add(7, 0.0);
  write("nps", "gen_weighted", n);

  write("csat", "gen_empty", cxm::csat{});
  cxm::csat c(cxm::score_scale{-2, 2}, {0, 1, 2});
  c.add(-2);
  c.add(2, 0.5);
  write("csat", "gen_scale_m2_2", c);

  write("ces", "gen_empty", cxm::ces{});
  cxm::ces e(cxm::score_scale{1, 5}, 4);
  e.add(5);
  e.add(1, 1.5);
  write("ces", "gen_scale_1_5", e);

  const cxm::timestamp day1 = sys_days{2026y / October / 1};
  write("tumbling_nps", "gen_empty", cxm::tumbling<cxm::nps>{});
  cxm::tumbling<cxm::nps> weekly(cxm::period_unit::iso_week, cxm::nps{}, hours{24 * 7});
  weekly.add_at(day1, 9);
  weekly.add_at(day1 + days{8}, 2);
  weekly.add_at(day1 - days{30}, 5);  // too late: counted
  write("tumbling_nps", "gen_week_bounded", weekly);

  write("engine", "gen_empty", cxm::engine<>{});
  cxm::engine<> engine;
  engine.add(cxm::event<>{7, day1, cxm::event_kind::purchase, 12.5});
  engine.add(cxm::event<>{7, day1 + hours{2}, cxm::event_kind::nps_answer, 10});
  engine.add(cxm::event<>{8, day1 + days{1}, cxm::event_kind::csat_answer, 5});
  engine.add(cxm::event<>{8, day1 + days{1}, cxm::event_kind::ces_answer, 2});
  write("engine", "gen_two_customers", engine);

  return ok ? 0 : 1;
}
