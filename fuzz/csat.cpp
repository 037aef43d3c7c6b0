// libFuzzer target: cxm::io::load_state<cxm::csat> (docs/fuzzing.md).
#include "cxm/survey/csat.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::csat)
