// libFuzzer target: cxm::io::load_state<cxm::tumbling<cxm::nps>> (docs/fuzzing.md).
#include "cxm/events/window.hpp"
#include "cxm/survey/nps.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::tumbling<cxm::nps>)
