// Writes the format-version-1 saved images of tests/data/v1/ from the fixed inputs documented in
// tests/data/README.md. NOT part of the build: it was compiled and run by hand once, and the images it
// wrote are committed. Never re-run it to "fix" a failing test: the images are a promise that
// every later build loads what version 1 wrote.
//
//   g++ -std=c++20 -I include tests/data/make_v1_images.cpp -o /tmp/make_v1_images
//   /tmp/make_v1_images tests/data/v1

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/io/state.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace {

template <class A>
void add_times(A& acc, int score, int times) {
  for (int i = 0; i < times; ++i) acc.add(score);
}

template <class A>
void add_times(A& acc, int score, double weight, int times) {
  for (int i = 0; i < times; ++i) acc.add(score, weight);
}

template <class A>
bool write(const std::string& dir, const std::string& name, const A& state) {
  static_assert(A::format_version == 1, "this generator writes version-1 images only");
  const std::vector<std::byte> image = cxm::io::save_state(state);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  std::printf("%s/%s: %zu bytes\n", dir.c_str(), name.c_str(), image.size());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;

  // nps.bin: 1000 unweighted answers; 250 promoters, 675 passives, 75 detractors.
  cxm::nps nps;
  add_times(nps, 10, 100);
  add_times(nps, 9, 150);
  add_times(nps, 8, 400);
  add_times(nps, 7, 275);
  add_times(nps, 6, 50);
  add_times(nps, 3, 15);
  add_times(nps, 0, 10);
  ok = write(dir, "nps.bin", nps) && ok;

  // csat_default.bin: scale 1..5, satisfied {4, 5}; 100 unweighted answers.
  cxm::csat csat_default;
  add_times(csat_default, 1, 10);
  add_times(csat_default, 2, 20);
  add_times(csat_default, 3, 30);
  add_times(csat_default, 4, 25);
  add_times(csat_default, 5, 15);
  ok = write(dir, "csat_default.bin", csat_default) && ok;

  // csat_0_10.bin: scale 0..10, satisfied {9, 10}; 100 unweighted answers.
  cxm::csat csat_0_10(cxm::score_scale{0, 10}, {9, 10});
  add_times(csat_0_10, 10, 30);
  add_times(csat_0_10, 9, 20);
  add_times(csat_0_10, 8, 25);
  add_times(csat_0_10, 5, 15);
  add_times(csat_0_10, 0, 10);
  ok = write(dir, "csat_0_10.bin", csat_0_10) && ok;

  // ces.bin: scale 1..7, threshold 5; 40 weighted and 10 unweighted answers.
  cxm::ces ces;
  add_times(ces, 7, 2.0, 10);
  add_times(ces, 5, 0.5, 20);
  add_times(ces, 2, 1.0, 10);
  add_times(ces, 4, 10);
  ok = write(dir, "ces.bin", ces) && ok;

  // moments.bin: values 10, 20, 30, 40 with weights 1, 2, 3, 4.
  cxm::moments moments;
  moments.add(10.0, 1.0);
  moments.add(20.0, 2.0);
  moments.add(30.0, 3.0);
  moments.add(40.0, 4.0);
  ok = write(dir, "moments.bin", moments) && ok;

  // compensated_sum.bin: 1, 1e100, 1, -1e100 in this order.
  cxm::compensated_sum sum;
  for (const double x : {1.0, 1e100, 1.0, -1e100}) sum.add(x);
  ok = write(dir, "compensated_sum.bin", sum) && ok;

  // rejection_counts.bin: score_out_of_scale 3, weight_not_finite 1, amount_negative 2, too_late 5.
  cxm::rejection_counts rejections;
  for (int i = 0; i < 3; ++i) rejections.add(cxm::rejection_reason::score_out_of_scale);
  rejections.add(cxm::rejection_reason::weight_not_finite);
  for (int i = 0; i < 2; ++i) rejections.add(cxm::rejection_reason::amount_negative);
  for (int i = 0; i < 5; ++i) rejections.add(cxm::rejection_reason::too_late);
  ok = write(dir, "rejection_counts.bin", rejections) && ok;

  return ok ? 0 : 1;
}
