// libFuzzer target: cxm::io::load_state<cxm::engine<>> (docs/fuzzing.md).
#include "cxm/stream/engine.hpp"
#include "harness.hpp"

CXM_FUZZ_TARGET(cxm::engine<>)
