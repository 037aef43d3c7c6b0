#include <cstddef>
#include <type_traits>
#include <cxm/stream/engine.hpp>

using A = cxm::activity::state;
using S = cxm::satisfaction::state;
static_assert(sizeof(cxm::spend::state) == 16 && sizeof(A) == 52 && sizeof(S) == 28);
static_assert(offsetof(A, last_seen) == 4 && offsetof(A, frequent) == 8 && offsetof(A, host_events) == 36 &&
              offsetof(A, rare) == 40 && offsetof(A, saturated) == 50);
static_assert(offsetof(S, latest_time) == 12 && offsetof(S, latest) == 24 && offsetof(S, saturated) == 27);
static_assert(cxm::engine<>::record_bytes == 96 && cxm::default_record_bytes == 96);
static_assert(std::is_trivially_copyable_v<cxm::engine<>::record_type> && alignof(cxm::engine<>::record_type) == 8);

int main() {
  cxm::engine<>::record_type r;
  const auto at = [&](const void* p) { return static_cast<const char*>(p) - reinterpret_cast<const char*>(&r); };
  return at(&r.get<cxm::spend>()) == 0 && at(&r.get<cxm::activity>()) == 16 && at(&r.get<cxm::satisfaction>()) == 68 ? 0 : 1;
}
