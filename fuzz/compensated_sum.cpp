// libFuzzer target: cxm::io::load_state<cxm::compensated_sum> (docs/fuzzing.md).
#include "cxm/core/compensated_sum.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::compensated_sum)
