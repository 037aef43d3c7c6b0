#include <chrono>
#include <iostream>
#include <cxm/stream/engine.hpp>

int main() {
  using std::chrono::milliseconds, std::chrono::seconds;
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  cxm::engine<> a, b;
  a.add(cxm::event<>{1, t + milliseconds{900}, cxm::event_kind::nps_answer, 4});
  b.add(cxm::event<>{1, t + milliseconds{100}, cxm::event_kind::nps_answer, 8});  // the same second
  a.add(cxm::event<>{2, t + seconds{5}, cxm::event_kind::nps_answer, 2});
  b.add(cxm::event<>{2, t, cxm::event_kind::nps_answer, 10});                     // 5 s earlier

  cxm::engine<> ab = a, ba = b;
  ab.merge(b);
  ba.merge(a);
  std::cout << std::boolalpha << "a + b == b + a: " << (ab == ba) << '\n';
  const cxm::timestamp as_of = t + seconds{5};
  std::cout << "customer 1 latest nps " << *ab.customer(1)->result<cxm::satisfaction>(as_of).nps.latest << '\n';
  std::cout << "customer 2 latest nps " << *ab.customer(2)->result<cxm::satisfaction>(as_of).nps.latest << '\n';
}
