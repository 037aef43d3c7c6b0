#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>
#include <cxm/stream/engine.hpp>

enum class PageEvent { page_view, order, refund, newsletter };  // the host's numbering, not cxm's

struct Hit {
  std::uint64_t user;
  std::int64_t ts_ms;
  PageEvent what;
  double amount;
};

int main() {
  // Given once: which host kind is which cxm kind. newsletter is not mapped.
  const cxm::kind_map<PageEvent> kinds{{PageEvent::page_view, cxm::event_kind::visit},
                                       {PageEvent::order, cxm::event_kind::purchase},
                                       {PageEvent::refund, cxm::event_kind::refund}};
  const cxm::projection by_hit{[](const Hit& h) { return h.user; },
                               [](const Hit& h) { return cxm::from_unix_ms(h.ts_ms); },
                               [&](const Hit& h) { return kinds(h.what); },  // a cxm::event_kind, never a cast
                               [](const Hit& h) { return h.amount; }};
  const std::vector<Hit> hits{{1, 1'764'000'000'000, PageEvent::page_view, 0},
                              {1, 1'764'000'060'000, PageEvent::order, 25},
                              {1, 1'764'000'120'000, PageEvent::newsletter, 0}};
  cxm::engine<> e;
  e.add(hits, by_hit, cxm::skip_invalid{[](const Hit&, const cxm::rejection& r) {
          std::cout << "rejected: " << r.message() << '\n';
        }});
  const auto r = e.result();
  std::cout << "visits " << r.events_by_kind[std::size_t(cxm::event_kind::visit)] << ", purchases "
            << r.events_by_kind[std::size_t(cxm::event_kind::purchase)] << ", unknown_kind "
            << r.rejected[cxm::rejection_reason::unknown_kind] << '\n';

  // Strings work the same way, looked up as std::string_view.
  const cxm::kind_map<std::string> by_name{{"order", cxm::event_kind::purchase}, {"page", cxm::event_kind::visit}};
  std::cout << cxm::to_string(by_name("order")) << ", "
            << (by_name("test") == cxm::unmapped_kind ? "unmapped" : "mapped") << '\n';
}
