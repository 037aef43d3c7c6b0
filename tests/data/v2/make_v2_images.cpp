// Writes the format-version-2 saved images of tests/data/v2/ from the fixed inputs documented in
// tests/data/README.md. NOT part of the build: it was compiled and run by hand once, against the
// headers of the last build whose rejection_counts wrote version 2 (10 reasons, before score_not_whole
// was appended), and the image it wrote is committed. Never re-run it to "fix" a failing test: the
// images are a promise that every later build loads what version 2 wrote.
//
//   git archive <a commit with rejection_counts version 2> include | tar -x -C /tmp/cxm_v2
//   g++ -std=c++20 -I /tmp/cxm_v2/include tests/data/v2/make_v2_images.cpp -o /tmp/make_v2_images
//   /tmp/make_v2_images tests/data/v2
//
// Only rejection_counts has had a version 2; every other type is still at version 1 (tests/data/v1).

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cxm/core/invalid_input.hpp"
#include "cxm/io/state.hpp"

namespace {

template <class A>
bool write(const std::string& dir, const std::string& name, const A& state) {
  static_assert(A::format_version == 2, "this generator writes version-2 images only");
  const std::vector<std::byte> image = cxm::io::save_state(state);
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    return false;
  }
  std::printf("%s: %zu bytes\n", name.c_str(), image.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  // rejection_counts.bin: score_out_of_scale 2, empty_customer_id 1, unknown_kind 4,
  // customer_id_out_of_range 3 (the reason version 2 added).
  cxm::rejection_counts rejections;
  static_assert(cxm::rejection_reason_count == 10, "version 2 knows 10 reasons");
  for (int i = 0; i < 2; ++i) rejections.add(cxm::rejection_reason::score_out_of_scale);
  rejections.add(cxm::rejection_reason::empty_customer_id);
  for (int i = 0; i < 4; ++i) rejections.add(cxm::rejection_reason::unknown_kind);
  for (int i = 0; i < 3; ++i) rejections.add(cxm::rejection_reason::customer_id_out_of_range);
  return write(dir, "rejection_counts.bin", rejections) ? 0 : 1;
}
