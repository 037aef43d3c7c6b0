// libFuzzer target: cxm::io::load_state<cxm::nps> (docs/fuzzing.md).
#include "cxm/survey/nps.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::nps)
