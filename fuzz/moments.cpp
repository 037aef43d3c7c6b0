// libFuzzer target: cxm::io::load_state<cxm::moments> (docs/fuzzing.md).
#include "cxm/core/moments.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::moments)
