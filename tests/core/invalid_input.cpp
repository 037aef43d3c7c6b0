// The bad-input policy (core/invalid_input.hpp): rejection messages, rejection_counts as a mergeable,
// saveable accumulator, throw_on_invalid and skip_invalid with a callback.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "support/invariants.hpp"

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

using reason = cxm::rejection_reason;

std::string load_message(const std::vector<std::byte>& payload) {
  cxm::io::reader r(payload);
  try {
    (void)cxm::rejection_counts::load(r);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "loaded";
}

}  // namespace

TEST_CASE("a score outside the scale names the metric, the score and the scale") {
  const cxm::rejection r{reason::score_out_of_scale, "nps", "score", 11, 0, 10};
  CHECK(r.message() == "nps: score 11 is outside the scale 0..10");
  const cxm::rejection negative{reason::score_out_of_scale, "csat", "score", -3, 1, 5};
  CHECK(negative.message() == "csat: score -3 is outside the scale 1..5");
}

TEST_CASE("a non-finite weight or amount names the value and the allowed range") {
  CHECK(cxm::rejection{reason::weight_not_finite, "csat", "weight", inf, 0, inf}.message() ==
        "csat: weight inf is not finite (allowed: a finite number >= 0)");
  CHECK(cxm::rejection{reason::weight_not_finite, "ces", "weight", std::numeric_limits<double>::quiet_NaN(), 0, inf}
            .message() == "ces: weight nan is not finite (allowed: a finite number >= 0)");
  CHECK(cxm::rejection{reason::amount_not_finite, "clv", "amount", -inf, 0, inf}.message() ==
        "clv: amount -inf is not finite (allowed: a finite number >= 0)");
}

TEST_CASE("a negative weight or amount names the value and the allowed minimum") {
  CHECK(cxm::rejection{reason::weight_negative, "nps", "weight", -0.5, 0, inf}.message() ==
        "nps: weight -0.5 is negative (allowed: a finite number >= 0)");
  // Numbers print in their shortest round-trip form.
  CHECK(cxm::rejection{reason::amount_negative, "clv", "amount", -0.1, 0, inf}.message() ==
        "clv: amount -0.1 is negative (allowed: a finite number >= 0)");
  CHECK(cxm::rejection{reason::amount_negative, "clv", "amount", -1e300, 0, inf}.message() ==
        "clv: amount -1e+300 is negative (allowed: a finite number >= 0)");
}

TEST_CASE("the engine's reasons say what is wrong with the field") {
  CHECK(cxm::rejection{reason::empty_customer_id, "engine", "customer_id", 0, 1, 100}.message() ==
        "engine: customer_id is empty");
  CHECK(cxm::rejection{reason::time_out_of_range, "engine", "time", -5, 0, 1000}.message() ==
        "engine: time -5 is outside the representable range 0..1000");
  CHECK(cxm::rejection{reason::unknown_kind, "engine", "kind", 42, 0, 12}.message() ==
        "engine: kind 42 is not a kind in use (allowed 0..12)");
  CHECK(cxm::rejection{reason::too_late, "window", "time", 7, 10, 20}.message() ==
        "window: time 7 is older than the lateness bound allows (earliest accepted 10)");
}

TEST_CASE("a score that is not a whole number says so, whatever the scale") {
  const cxm::rejection half{reason::score_not_whole, "nps", "score", 4.5, 0, 10};
  CHECK(half.message() == "nps: score 4.5 is not a whole number");
  CHECK(cxm::rejection{reason::score_not_whole, "csat", "score", std::numeric_limits<double>::quiet_NaN(), 1, 5}
            .message() == "csat: score nan is not a whole number");
  CHECK(cxm::rejection{reason::score_not_whole, "ces", "score", -inf, 1, 7}.message() ==
        "ces: score -inf is not a whole number");
}

TEST_CASE("the fields added later have defaults: six values still make a rejection, as before") {
  const cxm::rejection r{reason::unknown_kind, "engine", "kind", 42, 0, 12};
  CHECK(r.unit == cxm::rejection_unit::number);
  CHECK(r.customer.empty());
  CHECK(r.detail.empty());
  static_assert(std::is_aggregate_v<cxm::rejection>);
  static_assert(static_cast<int>(cxm::rejection_unit::number) == 0 && static_cast<int>(cxm::rejection_unit::time_ms) == 1);
}

TEST_CASE("a time in milliseconds since 1970 prints as ISO 8601, value and bounds") {
  // 1 764 000 000 000 ms = 20 416 days + 57 600 s: 2025-11-24T16:00:00Z (20 416 days after 1970-01-01
  // is 2025-11-24). latest_time: 4 294 967 295 999 ms = 2106-02-07T06:28:15.999Z.
  const cxm::rejection late{.reason = reason::time_out_of_range,
                            .metric = "engine",
                            .field = "time",
                            .value = 4'294'967'296'000.0,
                            .allowed_min = 0,
                            .allowed_max = 4'294'967'295'999.0,
                            .unit = cxm::rejection_unit::time_ms};
  CHECK(late.message() ==
        "engine: time 2106-02-07T06:28:16Z is outside the representable range "
        "1970-01-01T00:00:00Z..2106-02-07T06:28:15.999Z");
  const cxm::rejection too_late{.reason = reason::too_late,
                                .metric = "window",
                                .field = "time",
                                .value = 1'764'000'000'000.0,
                                .allowed_min = 1'764'000'000'250.0,
                                .allowed_max = inf,
                                .unit = cxm::rejection_unit::time_ms};
  CHECK(too_late.message() ==
        "window: time 2025-11-24T16:00:00Z is older than the lateness bound allows (earliest accepted "
        "2025-11-24T16:00:00.250Z)");
  // Before 1970 too: −1 ms is 1969-12-31T23:59:59.999Z. A value no int64 holds prints as a number.
  const cxm::rejection odd{.reason = reason::time_out_of_range,
                           .metric = "engine",
                           .field = "time",
                           .value = -1,
                           .allowed_min = std::numeric_limits<double>::quiet_NaN(),
                           .allowed_max = 1e300,
                           .unit = cxm::rejection_unit::time_ms};
  CHECK(odd.message() ==
        "engine: time 1969-12-31T23:59:59.999Z is outside the representable range nan ms since 1970..1e+300 ms since "
        "1970");
}

TEST_CASE("a customer is appended to the message when known") {
  const cxm::rejection r{.reason = reason::amount_negative,
                         .metric = "engine",
                         .field = "amount",
                         .value = -5,
                         .allowed_min = 0,
                         .allowed_max = inf,
                         .customer = "ada"};
  CHECK(r.message() == "engine: amount -5 is negative (allowed: a finite number >= 0) (customer ada)");
  const cxm::rejection empty{.reason = reason::empty_customer_id,
                             .metric = "engine",
                             .field = "customer",
                             .value = 0,
                             .allowed_min = 0,
                             .allowed_max = 0};
  CHECK(empty.message() == "engine: customer is empty");
}

TEST_CASE("a detail replaces the generated value and range text, for what a double cannot print") {
  // 2^64 − 1 as a double is 18446744073709551616: the detail keeps the exact id and bounds.
  const cxm::rejection r{.reason = reason::customer_id_out_of_range,
                         .metric = "engine",
                         .field = "customer",
                         .value = 18446744073709551615.0,
                         .allowed_min = 0,
                         .allowed_max = 4294967295.0,
                         .customer = "18446744073709551615",
                         .detail = "18446744073709551615 does not fit the engine's id type (0..4294967295)"};
  CHECK(r.message() ==
        "engine: customer 18446744073709551615 does not fit the engine's id type (0..4294967295) (customer "
        "18446744073709551615)");
  const cxm::rejection plain{.reason = reason::customer_id_out_of_range,
                             .metric = "engine",
                             .field = "customer",
                             .value = 18446744073709551615.0,
                             .allowed_min = 0,
                             .allowed_max = 18446744073709551615.0};
  // Without it: the double nearest 2^64 − 1 is 2^64, one more than the id, on both sides.
  CHECK(plain.message() ==
        "engine: customer 18446744073709551616 does not fit the engine's id type (0..18446744073709551616)");
}

TEST_CASE("a reason number this build does not know still gives a message naming it 'unknown'") {
  // E.g. a rejection_reason cast from a number written by a newer build.
  CHECK(cxm::rejection{static_cast<reason>(200), "engine", "kind", 1, 0, 1}.message() ==
        "engine: kind 1 is invalid (unknown)");
}

TEST_CASE("every rejection reason has a name; an unknown number is 'unknown'") {
  // The numbering is part of the state format (append only): pin it.
  static_assert(static_cast<int>(reason::score_out_of_scale) == 0);
  static_assert(static_cast<int>(reason::too_late) == 8);
  static_assert(static_cast<int>(reason::customer_id_out_of_range) == 9);
  static_assert(static_cast<int>(reason::score_not_whole) == 10);
  static_assert(cxm::rejection_reason_count == 11);
  const std::vector<std::string_view> names{"score_out_of_scale", "weight_not_finite", "weight_negative",
                                            "empty_customer_id",  "time_out_of_range", "unknown_kind",
                                            "amount_not_finite",  "amount_negative",   "too_late",
                                            "customer_id_out_of_range", "score_not_whole"};
  REQUIRE(names.size() == cxm::rejection_reason_count);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(cxm::to_string(static_cast<reason>(i)) == names[i]);
  }
  CHECK(cxm::to_string(static_cast<reason>(200)) == "unknown");
}

TEST_CASE("rejection_counts count by reason, total them and merge by addition") {
  cxm::rejection_counts a;
  a.add(reason::score_out_of_scale);
  a.add(reason::score_out_of_scale);
  a.add(cxm::rejection{reason::weight_negative, "nps", "weight", -1, 0, inf});
  CHECK(a[reason::score_out_of_scale] == 2);
  CHECK(a[reason::weight_negative] == 1);
  CHECK(a[reason::too_late] == 0);
  CHECK(a.total() == 3);

  cxm::rejection_counts b;
  b.add(reason::too_late);
  b.add(reason::score_out_of_scale);
  a.merge(b);
  const auto r = a.result();
  CHECK(r[reason::score_out_of_scale] == 3);
  CHECK(r[reason::too_late] == 1);
  CHECK(r.by_reason[static_cast<std::size_t>(reason::weight_negative)] == 1);
  CHECK(r.total == 5);
  CHECK(cxm::rejection_counts{}.total() == 0);
}

TEST_CASE("rejection_counts save the number of reasons, then one u64 per reason") {
  cxm::rejection_counts c;
  c.add(reason::weight_not_finite);
  for (int i = 0; i < 300; ++i) c.add(reason::too_late);
  cxm::io::writer w;
  c.save(w);
  REQUIRE(w.size() == 1 + 11 * 8);
  CHECK(w.bytes()[0] == std::byte{11});
  CHECK(w.bytes()[1 + 8 * 1] == std::byte{1});       // weight_not_finite = 1
  CHECK(w.bytes()[1 + 8 * 8] == std::byte{300 % 256});  // too_late = 300 = 0x012c, little-endian
  CHECK(w.bytes()[1 + 8 * 8 + 1] == std::byte{1});
  cxm::io::reader r(w.bytes());
  CHECK(cxm::rejection_counts::load(r) == c);
  CHECK(r.remaining() == 0);
}

TEST_CASE("rejection_counts load an older image with fewer reasons; the missing reasons are zero") {
  // An image from a build that knew only the first three reasons.
  cxm::io::writer w;
  w.u8(3);
  w.u64(4);
  w.u64(5);
  w.u64(6);
  cxm::io::reader r(w.bytes());
  const auto c = cxm::rejection_counts::load(r);
  CHECK(c[reason::score_not_whole] == 0);
  CHECK(c[reason::score_out_of_scale] == 4);
  CHECK(c[reason::weight_not_finite] == 5);
  CHECK(c[reason::weight_negative] == 6);
  CHECK(c[reason::empty_customer_id] == 0);
  CHECK(c[reason::too_late] == 0);
  CHECK(c.total() == 15);

  // The same inside a framed image.
  cxm::io::writer framed;
  framed.raw(cxm::io::state_magic);
  framed.u16(1);
  framed.u32(cxm::rejection_counts::type_tag);
  framed.u64(w.size());
  framed.raw(w.bytes());
  framed.u32(cxm::io::crc32(framed.bytes()));
  CHECK(cxm::io::load_state<cxm::rejection_counts>(framed.bytes()) == c);
}

TEST_CASE("rejection_counts reject an image with more reasons than this build knows") {
  cxm::io::writer w;
  w.u8(12);
  for (int i = 0; i < 12; ++i) w.u64(1);
  CHECK(load_message(w.bytes()) == "rejection_counts: 12 reasons, this build knows 11");
  cxm::io::writer many;
  many.u8(255);
  CHECK(load_message(many.bytes()) == "rejection_counts: 255 reasons, this build knows 11");
}

TEST_CASE("rejection_counts reject a truncated image") {
  CHECK(load_message({}) == "truncated: rejection_counts: number of reasons needs 1 bytes, 0 remain");
  cxm::io::writer w;
  w.u8(2);
  w.u64(1);
  w.u32(0);
  CHECK(load_message(w.bytes()) == "truncated: rejection_counts: count needs 8 bytes, 4 remain");
}

TEST_CASE("throw_on_invalid throws invalid_event, an invalid_argument, with the rejection's message") {
  const cxm::rejection r{reason::score_out_of_scale, "nps", "score", 12, 0, 10};
  CHECK_THROWS_WITH_AS(cxm::throw_on_invalid(r), "nps: score 12 is outside the scale 0..10", cxm::invalid_event);
  CHECK_THROWS_AS(cxm::throw_on_invalid(r), std::invalid_argument);
}

TEST_CASE("skip_invalid counts by reason and hands each rejection to the callback") {
  cxm::rejection_counts counts;
  std::vector<cxm::rejection> kept;
  auto keep = [&kept](const cxm::rejection& r) { kept.push_back(r); };

  cxm::moments amounts;
  CHECK_FALSE(amounts.add(std::numeric_limits<double>::quiet_NaN(), 1.0, cxm::skip_invalid{counts, keep}));
  CHECK(amounts.add(10.0, 2.0, cxm::skip_invalid{counts, keep}));
  CHECK_FALSE(amounts.add(10.0, -3.0, cxm::skip_invalid{counts, keep}));

  cxm::score_histogram answers(cxm::score_scale{0, 10}, "nps");
  CHECK_FALSE(answers.add(11, "nps", cxm::skip_invalid{counts, keep}));
  CHECK(answers.add(10, "nps", cxm::skip_invalid{counts, keep}));

  CHECK(counts.total() == 3);
  CHECK(counts[reason::amount_not_finite] == 1);
  CHECK(counts[reason::weight_negative] == 1);
  CHECK(counts[reason::score_out_of_scale] == 1);
  REQUIRE(kept.size() == 3);
  CHECK(kept[0].reason == reason::amount_not_finite);
  CHECK(kept[0].metric == "moments");
  CHECK(kept[0].field == "value");
  CHECK(kept[1].reason == reason::weight_negative);
  CHECK(kept[1].value == -3.0);
  CHECK(kept[2].reason == reason::score_out_of_scale);
  CHECK(kept[2].metric == "nps");
  CHECK(kept[2].value == 11.0);
  CHECK(kept[2].allowed_min == 0.0);
  CHECK(kept[2].allowed_max == 10.0);
  CHECK(kept[2].message() == "nps: score 11 is outside the scale 0..10");
  CHECK(amounts.result().n == 1);
  CHECK(answers.summary().n == 1);
}

TEST_CASE("skip_invalid without a callback only counts") {
  cxm::rejection_counts counts;
  cxm::skip_invalid skip{counts};
  static_assert(std::is_same_v<decltype(skip), cxm::skip_invalid<cxm::ignore_rejected>>);
  skip(cxm::rejection{reason::too_late, "window", "time", 1, 2, 3});
  skip(cxm::rejection{reason::too_late, "window", "time", 1, 2, 3});
  CHECK(counts[reason::too_late] == 2);
  CHECK(counts.total() == 2);
}

// A policy is something callable with a rejection, never a number.
static_assert(cxm::invalid_policy<cxm::throw_invalid>);
static_assert(cxm::invalid_policy<const cxm::throw_invalid&>);
static_assert(cxm::invalid_policy<cxm::skip_invalid<>>);
static_assert(cxm::invalid_policy<decltype([](const cxm::rejection&) {})>);
static_assert(!cxm::invalid_policy<int>);
static_assert(!cxm::invalid_policy<double>);
static_assert(!cxm::invalid_policy<decltype([](int) {})>);

TEST_CASE("rejection_counts keep the accumulator invariants") {
  auto draw = [](std::mt19937_64& rng) { return static_cast<reason>(rng() % cxm::rejection_reason_count); };
  auto same = [](const cxm::rejection_counts::result_type& a, const cxm::rejection_counts::result_type& b) {
    CHECK(a.by_reason == b.by_reason);
    CHECK(a.total == b.total);
  };
  cxm::test::check_invariants<cxm::rejection_counts>([] { return cxm::rejection_counts{}; }, draw, same);
}
