// Tests for the metric protocols' parameters (include/cxm/events/metric.hpp): every supported type
// saves, loads and prints; a mismatch names the metric, the parameter and both values; a changed
// name or type in a saved state is a format_error; record_metrics closes over depends_on.

#include "cxm/events/metric.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/events/customer_metrics.hpp"

namespace {

enum class tier : std::uint8_t { bronze = 1, gold = 3 };

// [[maybe_unused]]: members of the metric protocol these tests never read (clang's -Wunused-const-variable).
struct every_type {
  static constexpr std::string_view id = "every_type";
  [[maybe_unused]] static constexpr std::uint16_t version = 1;
  bool flag = true;
  int count = -7;
  std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  tier level = tier::gold;
  double rate = 0.125;
  std::chrono::days half_life{30};
  cxm::score_scale scale{1, 7};
  cxm::kind_set kinds{cxm::event_kind::purchase, cxm::event_kind::referral};
  std::string label = "vip";
  std::vector<int> satisfied{4, 5};
  std::array<double, 2> weights{1.5, 2.0};
  std::optional<std::chrono::milliseconds> bound;

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("flag", self.flag);
    visit("count", self.count);
    visit("big", self.big);
    visit("level", self.level);
    visit("rate", self.rate);
    visit("half_life", self.half_life);
    visit("scale", self.scale);
    visit("kinds", self.kinds);
    visit("label", self.label);
    visit("satisfied", self.satisfied);
    visit("weights", self.weights);
    visit("bound", self.bound);
  }
};

struct same_names_other_types {
  static constexpr std::string_view id = "every_type";
  [[maybe_unused]] static constexpr std::uint16_t version = 1;
  std::vector<double> satisfied{4, 5};
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("satisfied", self.satisfied);
  }
};
struct vector_of_ints {
  [[maybe_unused]] static constexpr std::string_view id = "every_type";
  [[maybe_unused]] static constexpr std::uint16_t version = 1;
  std::vector<int> satisfied{4, 5};
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("satisfied", self.satisfied);
  }
};

template <class M>
std::vector<std::byte> saved(const M& m) {
  cxm::io::writer w;
  cxm::save_parameters(m, w);
  return w.bytes();
}

}  // namespace

TEST_CASE("Parameters of every supported type save, load and print") {
  every_type a;
  a.bound = std::chrono::milliseconds{90'000};
  const auto bytes = saved(a);
  every_type b;
  b.flag = false;
  b.count = 0;
  b.big = 0;
  b.level = tier::bronze;
  b.rate = 0;
  b.half_life = std::chrono::days{1};
  b.scale = {0, 10};
  b.kinds = {};
  b.label.clear();
  b.satisfied.clear();
  b.weights = {0, 0};
  cxm::io::reader r(bytes);
  cxm::load_parameters(b, r);
  CHECK(r.remaining() == 0);
  CHECK(cxm::parameter_list(b) == cxm::parameter_list(a));
  CHECK(b.big == std::numeric_limits<std::uint64_t>::max());  // unsigned 64-bit values survive
  CHECK(b.count == -7);
  const auto texts = cxm::parameter_list(a);
  REQUIRE(texts.size() == 12);
  CHECK(texts[0] == std::pair<std::string, std::string>{"flag", "true"});
  CHECK(texts[2].second == "18446744073709551615");
  CHECK(texts[3].second == "3");
  CHECK(texts[4].second == "0.125");
  CHECK(texts[5].second == "30 days");
  CHECK(texts[6].second == "1..7");
  CHECK(texts[7].second == "{purchase, referral}");
  CHECK(texts[8].second == "\"vip\"");
  CHECK(texts[9].second == "{4, 5}");
  CHECK(texts[10].second == "{1.5, 2}");
  CHECK(texts[11].second == "90000 ms");
}

TEST_CASE("A parameter mismatch names the metric, the parameter and both values") {
  every_type a, b;
  CHECK_NOTHROW(cxm::check_same_parameters(a, b));
  b.half_life = std::chrono::days{14};
  CHECK_THROWS_WITH_AS(cxm::check_same_parameters(a, b),
                       "metric 'every_type': cannot merge: parameter 'half_life' is 30 days here and 14 days there",
                       std::invalid_argument);
  b = a;
  b.satisfied = {3, 4, 5};
  CHECK_THROWS_WITH_AS(cxm::check_same_parameters(a, b, "load"),
                       "metric 'every_type': cannot load: parameter 'satisfied' is {4, 5} here and {3, 4, 5} there",
                       std::invalid_argument);
}

TEST_CASE("A saved parameter of another name or element type is a format_error, not a misread") {
  const auto ints = saved(vector_of_ints{});
  same_names_other_types doubles;
  cxm::io::reader r(ints);
  CHECK_THROWS_WITH_AS(cxm::load_parameters(doubles, r), "every_type: parameter 'satisfied' has another type in the state",
                       cxm::format_error);
  every_type full;
  cxm::io::reader r2(ints);
  CHECK_THROWS_WITH_AS(cxm::load_parameters(full, r2),
                       "every_type: the state has parameter 'satisfied' where this build has 'flag'", cxm::format_error);
  // A truncated parameter block is a format_error too, at every length.
  const auto bytes = saved(every_type{});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    every_type m;
    const auto prefix = std::span(bytes).first(n);
    cxm::io::reader cut{prefix};
    CHECK_THROWS_AS(cxm::load_parameters(m, cut), cxm::format_error);
  }
}

namespace {
struct reads_activity {
  using depends_on = cxm::metric_list<cxm::activity>;
};
struct reads_both {
  using depends_on = cxm::metric_list<reads_activity, cxm::spend>;
};
}  // namespace

TEST_CASE("record_metrics: each metric after its dependencies, each once, global dependencies included") {
  using only_customer = cxm::record_metrics<cxm::metric_list<>, cxm::metric_list<reads_both>>::type;
  static_assert(std::is_same_v<only_customer, cxm::metric_list<cxm::activity, reads_activity, cxm::spend, reads_both>>);
  using with_global = cxm::record_metrics<cxm::metric_list<reads_activity>, cxm::metric_list<cxm::spend>>::type;
  static_assert(std::is_same_v<with_global, cxm::metric_list<cxm::spend, cxm::activity>>);
  using twice = cxm::record_metrics<cxm::metric_list<reads_activity, reads_activity>,
                                    cxm::metric_list<cxm::activity, reads_activity>>::type;
  static_assert(std::is_same_v<twice, cxm::metric_list<cxm::activity, reads_activity>>);
}
