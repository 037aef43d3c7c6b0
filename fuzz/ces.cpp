// libFuzzer target: cxm::io::load_state<cxm::ces> (docs/fuzzing.md).
#include "cxm/survey/ces.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::ces)
