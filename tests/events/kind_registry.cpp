// Tests for the kind registry's value check (include/cxm/events/kind_registry.hpp): the hot-path
// accepts() must agree, value for value, with the rules the rejections state (score_rejection_reason
// for scores; finite and >= 0 for amounts; finite for quantities), and refuse every kind not in use.

#include "cxm/events/kind_registry.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double dmax = std::numeric_limits<double>::max();

/// Odd values a host might hand over: both zeros, halves, the scale ends and one beyond, huge and
/// tiny magnitudes, the int conversion limits, infinities and NaN.
const std::vector<double> odd_values{0.0,   -0.0,  0.5,  -0.5, 1.0,  4.5,   5.0,   5.0000000001, 4.9999999999,
                                     6.0,   7.0,   10.0, 11.0, -1.0, 100.0, 1e300, -1e300,       dmax,
                                     -dmax, 5e-324, 2147483647.0, 2147483648.0, -2147483649.0, infinity, -infinity, not_a_number};

/// The rule for an amount or quantity, written independently of the registry.
bool valid_amount(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

TEST_CASE("accepts() agrees with the stated rules for every value kind, on odd values") {
  cxm::kind_registry kinds;
  kinds.declare_host_kinds(3);
  kinds.set(cxm::host_kind(0), cxm::value_kind::amount);
  kinds.set(cxm::host_kind(1), cxm::value_kind::quantity);
  kinds.set(cxm::host_kind(2), cxm::value_kind::score, {-3, 3});

  struct case_ {
    cxm::event_kind kind;
    cxm::value_kind value;
    cxm::score_scale scale;
  };
  const std::vector<case_> cases{
      {cxm::event_kind::visit, cxm::value_kind::none, {0, 0}},
      {cxm::event_kind::purchase, cxm::value_kind::amount, {0, 0}},
      {cxm::host_kind(0), cxm::value_kind::amount, {0, 0}},
      {cxm::host_kind(1), cxm::value_kind::quantity, {0, 0}},
      {cxm::event_kind::csat_answer, cxm::value_kind::score, {1, 5}},
      {cxm::event_kind::ces_answer, cxm::value_kind::score, {1, 7}},
      {cxm::event_kind::nps_answer, cxm::value_kind::score, {0, 10}},
      {cxm::host_kind(2), cxm::value_kind::score, {-3, 3}},
  };
  for (const auto& c : cases) {
    for (const double v : odd_values) {
      CAPTURE(cxm::to_string(c.kind));
      CAPTURE(v);
      cxm::checked_value out{-1.0, 999};
      const bool accepted = kinds.accepts(c.kind, v, out);
      switch (c.value) {
        case cxm::value_kind::none:
          CHECK(accepted);
          CHECK(out.value == 0.0);
          CHECK(out.score_index == 0);
          break;
        case cxm::value_kind::amount:
          CHECK(accepted == valid_amount(v));
          if (accepted) CHECK(out.value == v);
          break;
        case cxm::value_kind::quantity:
          CHECK(accepted == std::isfinite(v));
          if (accepted) CHECK(out.value == v);
          break;
        case cxm::value_kind::score: {
          const bool valid = !cxm::score_rejection_reason(c.scale, v).has_value();
          CHECK(accepted == valid);
          if (accepted) {
            // The index is the score minus the low end: 4.0 on 1..5 is index 3.
            CHECK(out.score_index == static_cast<int>(v) - c.scale.low);
            CHECK(out.value == v);
          }
          break;
        }
      }
      // Whatever accepts() refuses, rejection_of() explains (never an "accepted" reason).
      if (!accepted) {
        const auto why = kinds.rejection_of(c.kind, v);
        CHECK(why.message().find(cxm::to_string(c.kind)) != std::string::npos);
      }
    }
  }
}

TEST_CASE("Worked examples: 4.5 and NaN are not CSAT scores, 5 is (index 4), -0.0 is an NPS 0, a negative amount is refused") {
  const cxm::kind_registry kinds;
  cxm::checked_value out{};
  CHECK_FALSE(kinds.accepts(cxm::event_kind::csat_answer, 4.5, out));
  CHECK_FALSE(kinds.accepts(cxm::event_kind::csat_answer, not_a_number, out));
  CHECK_FALSE(kinds.accepts(cxm::event_kind::csat_answer, 6.0, out));
  REQUIRE(kinds.accepts(cxm::event_kind::csat_answer, 5.0, out));
  CHECK(out.score_index == 4);
  REQUIRE(kinds.accepts(cxm::event_kind::nps_answer, -0.0, out));
  CHECK(out.score_index == 0);
  CHECK_FALSE(kinds.accepts(cxm::event_kind::purchase, -0.01, out));
  CHECK_FALSE(kinds.accepts(cxm::event_kind::purchase, infinity, out));
  CHECK(kinds.rejection_of(cxm::event_kind::csat_answer, 4.5).reason == cxm::rejection_reason::score_not_whole);
  CHECK(kinds.rejection_of(cxm::event_kind::csat_answer, 6.0).reason == cxm::rejection_reason::score_out_of_scale);
  CHECK(kinds.rejection_of(cxm::event_kind::purchase, -0.01).reason == cxm::rejection_reason::amount_negative);
  CHECK(kinds.rejection_of(cxm::event_kind::purchase, not_a_number).reason == cxm::rejection_reason::amount_not_finite);
}

TEST_CASE("accepts() refuses a kind not in use, whatever its value, and follows declare_host_kinds, set and load") {
  cxm::kind_registry kinds;
  cxm::checked_value out{-1.0, 999};
  // The twelve built-in kinds are in use; host kinds only once declared; a byte beyond every kind never.
  CHECK(kinds.accepts(cxm::event_kind::cancel, 0.0, out));
  CHECK_FALSE(kinds.accepts(cxm::host_kind(0), 0.0, out));
  CHECK_FALSE(kinds.accepts(static_cast<cxm::event_kind>(cxm::max_event_kinds), 0.0, out));
  CHECK_FALSE(kinds.accepts(static_cast<cxm::event_kind>(255), 0.0, out));

  kinds.declare_host_kinds(2);
  CHECK(kinds.accepts(cxm::host_kind(0), 7.0, out));  // a host kind without a value: metrics see 0
  CHECK(out.value == 0.0);
  CHECK(kinds.accepts(cxm::host_kind(1), -7.0, out));
  CHECK_FALSE(kinds.accepts(cxm::host_kind(2), 0.0, out));

  kinds.set(cxm::host_kind(1), cxm::value_kind::amount);  // now -7 is a negative amount
  CHECK_FALSE(kinds.accepts(cxm::host_kind(1), -7.0, out));
  REQUIRE(kinds.accepts(cxm::host_kind(1), 7.5, out));
  CHECK(out.value == 7.5);

  // A loaded registry checks as the saved one did.
  cxm::io::writer w;
  kinds.save(w);
  cxm::io::reader r(w.bytes());
  const auto loaded = cxm::kind_registry::load(r);
  CHECK(loaded == kinds);
  CHECK_FALSE(loaded.accepts(cxm::host_kind(1), -7.0, out));
  CHECK(loaded.accepts(cxm::host_kind(1), 7.5, out));
  CHECK_FALSE(loaded.accepts(cxm::host_kind(2), 0.0, out));

  kinds.declare_host_kinds(1);  // fewer host kinds again: host_kind(1) is closed
  CHECK_FALSE(kinds.accepts(cxm::host_kind(1), 7.5, out));
}
