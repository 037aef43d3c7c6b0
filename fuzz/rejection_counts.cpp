// libFuzzer target: cxm::io::load_state<cxm::rejection_counts> (docs/fuzzing.md).
#include "cxm/core/invalid_input.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::rejection_counts)
