#include <cstdint>
#include <iostream>
#include <cxm/stream/engine.hpp>

int main() {
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);

  // 16-byte UUIDs: the bytes in the order of the text form (3f2b8c41-5e7a-...).
  const cxm::uuid ada{{0x3f, 0x2b, 0x8c, 0x41, 0x5e, 0x7a, 0x4d, 0x01, 0x9a, 0x10, 0xc4, 0x2e, 0x77, 0x05, 0x3b, 0xd2}};
  cxm::engine<cxm::uuid> by_uuid;
  by_uuid.add(cxm::event<cxm::uuid>{ada, t, cxm::event_kind::visit});

  // Any std::integral type; 0 and negative values are ids like any other.
  cxm::engine<std::int64_t> by_int;
  by_int.add(cxm::event<std::int64_t>{-5, t, cxm::event_kind::visit});
  by_int.add(cxm::event<std::int64_t>{0, t, cxm::event_kind::visit});
  std::cout << "uuid customers " << by_uuid.customers().size() << ", int customers " << by_int.customers().size() << '\n';

  // The nil UUID (like an empty string) names nobody.
  try {
    by_uuid.add(cxm::event<cxm::uuid>{cxm::uuid{}, t, cxm::event_kind::visit});
  } catch (const cxm::invalid_event& e) {
    std::cout << "rejected: " << e.what() << '\n';
  }
  std::cout << cxm::engine<cxm::uuid>::composition() << '\n' << cxm::engine<std::int64_t>::composition() << '\n';
}
