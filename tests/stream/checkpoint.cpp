// Tests for checkpoints of the engine (engine::save / engine::load through io::save_state and
// io::load_state): save mid-stream → load → continue equals never stopping; images of another
// composition or configuration are refused; truncated or corrupted images are format_errors.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/stream/engine.hpp"
#include "stream/stream_support.hpp"
#include "support/invariants.hpp"

namespace {

using cxm::event_kind;

/// The message of the format_error that loading `image` as an A throws.
template <class A>
std::string load_error(std::span<const std::byte> image) {
  try {
    (void)cxm::io::load_state<A>(image);
  } catch (const cxm::format_error& e) {
    return e.what();
  }
  return "(no exception)";
}

/// The payload of a framed image, as engine::load reads it.
std::span<const std::byte> payload_of(const std::vector<std::byte>& image) {
  return std::span(image).subspan(cxm::io::state_header_size,
                                  image.size() - cxm::io::state_header_size - cxm::io::state_trailer_size);
}

/// Recomputes the trailing CRC-32 after a deliberate change, as a forger would.
void reseal(std::vector<std::byte>& image) {
  const std::size_t end = image.size() - cxm::io::state_trailer_size;
  const auto crc = cxm::io::crc32(std::span(image).first(end));
  for (std::size_t b = 0; b < 4; ++b) image[end + b] = static_cast<std::byte>(static_cast<std::uint8_t>(crc >> (8 * b)));
}

cxm::event<> ev(std::uint64_t customer, std::int64_t ms, event_kind kind, double value = 0.0) {
  return {customer, cxm::from_unix_ms(ms), kind, value};
}

}  // namespace

TEST_CASE("Save mid-stream, load into a new engine, feed the rest: equals the uninterrupted engine") {
  const cxm::test::stream_spec spec;  // 100 000 events of every kind, 10 000 customers
  const auto events = cxm::test::random_stream(spec);
  const auto config = cxm::test::config_for(spec);
  cxm::engine<> uninterrupted(config);
  uninterrupted.add(events);

  for (const std::size_t cut : {std::size_t{0}, std::size_t{37'000}, events.size()}) {
    CAPTURE(cut);
    cxm::engine<> first(config);
    for (std::size_t i = 0; i < cut; ++i) first.add(events[i]);
    const auto image = cxm::io::save_state(first);
    auto resumed = cxm::io::load_state<cxm::engine<>>(image);
    CHECK(resumed == first);
    CHECK(resumed.config() == config);
    for (std::size_t i = cut; i < events.size(); ++i) resumed.add(events[i]);
    CHECK(resumed == uninterrupted);
    cxm::test::same_engine(resumed, uninterrupted, spec.to);
    cxm::test::same_report(resumed.result(), uninterrupted.result());
  }
}

TEST_CASE("A checkpoint keeps the watermark, so the lateness bound applies after loading as before") {
  cxm::engine_config config;
  config.max_lateness = std::chrono::hours{1};
  cxm::engine<> uninterrupted(config);
  cxm::engine<> first(config);
  const std::int64_t t = 1'700'000'000'000, hour = 3'600'000;
  for (auto* e : {&uninterrupted, &first}) {
    e->add(ev(1, t, event_kind::visit));
    e->add(ev(2, t + 3 * hour, event_kind::visit));
  }
  auto resumed = cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(first));
  // The watermark is t + 3 h: t + 1.5 h is too late for both, t + 2 h is just in time.
  cxm::skip_invalid_events skip{};
  for (auto* e : {&uninterrupted, &resumed}) {
    CHECK_FALSE(e->add(ev(3, t + 3 * hour / 2, event_kind::visit), cxm::traits_projection{}, skip));
    CHECK(e->add(ev(3, t + 2 * hour, event_kind::visit), cxm::traits_projection{}, skip));
  }
  CHECK(resumed == uninterrupted);
  CHECK(resumed.report(cxm::from_unix_ms(t + 3 * hour)).rejected[cxm::rejection_reason::too_late] == 1);
}

TEST_CASE("Loading a state saved by an engine with another id type is a format_error naming both compositions") {
  cxm::engine<std::string> by_name;
  by_name.add(cxm::event<std::string>{"alice", cxm::from_unix_ms(1'000), event_kind::visit, 0.0});
  const auto image = cxm::io::save_state(by_name);
  const auto message = load_error<cxm::engine<>>(image);
  CHECK(message.find(cxm::engine<std::string>::composition()) != std::string::npos);
  CHECK(message.find(cxm::engine<>::composition()) != std::string::npos);
  CHECK(message.find("id=string;") != std::string::npos);
  CHECK(message.find("id=uint64;") != std::string::npos);
  // And the other way round; and 32-bit ids are another composition than 64-bit ones.
  CHECK(load_error<cxm::engine<std::string>>(cxm::io::save_state(cxm::engine<>{})).find("id=uint64;") != std::string::npos);
  CHECK(load_error<cxm::engine<std::uint32_t>>(cxm::io::save_state(cxm::engine<>{})).find("id=uint32;") !=
        std::string::npos);
}

TEST_CASE("Loading a state saved by an engine with other metric lists is a format_error naming the composition") {
  using nps_only = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers>>;
  using activity_only =
      cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::metric_list<cxm::activity>>;
  const auto default_image = cxm::io::save_state(cxm::engine<>{});
  CHECK(cxm::engine<>::composition() == "id=uint64;global=nps,csat,ces;customer=spend,activity,satisfaction");
  CHECK(nps_only::composition() == "id=uint64;global=nps;customer=spend,activity,satisfaction");
  CHECK(activity_only::composition() == "id=uint64;global=nps,csat,ces;customer=activity");
  for (const auto& message : {load_error<nps_only>(default_image), load_error<cxm::engine<>>(cxm::io::save_state(nps_only{}))}) {
    CHECK(message.find(nps_only::composition()) != std::string::npos);
    CHECK(message.find(cxm::engine<>::composition()) != std::string::npos);
  }
  for (const auto& message :
       {load_error<activity_only>(default_image), load_error<cxm::engine<>>(cxm::io::save_state(activity_only{}))}) {
    CHECK(message.find(activity_only::composition()) != std::string::npos);
    CHECK(message.find(cxm::engine<>::composition()) != std::string::npos);
  }
  // An image of another accumulator type altogether is refused by its type tag.
  CHECK(load_error<cxm::engine<>>(cxm::io::save_state(cxm::nps{})).find("type tag") != std::string::npos);
}

TEST_CASE("engine::load(reader, expected_config) refuses a state saved with another configuration") {
  cxm::engine_config saved_with;
  saved_with.host_kinds = 3;
  cxm::engine<> e(saved_with);
  e.add(ev(1, 1'000, cxm::host_kind(2)));
  const auto image = cxm::io::save_state(e);

  cxm::io::reader same(payload_of(image));
  CHECK(cxm::engine<>::load(same, saved_with) == e);

  cxm::io::reader other(payload_of(image));
  CHECK_THROWS_AS(cxm::engine<>::load(other, cxm::engine_config{}), cxm::format_error);
  cxm::engine_config lateness = saved_with;
  lateness.max_lateness = std::chrono::minutes{5};
  cxm::io::reader late(payload_of(image));
  CHECK_THROWS_AS(cxm::engine<>::load(late, lateness), cxm::format_error);

  // Without an expected configuration the saved one is restored.
  CHECK(cxm::io::load_state<cxm::engine<>>(image).config() == saved_with);
}

TEST_CASE("Forged engine images behind a valid CRC are refused: a customer twice, an invalid configuration") {
  cxm::engine<> e;
  e.add(ev(1, 1'000, event_kind::visit));
  e.add(ev(2, 2'000, event_kind::purchase, 4.0));
  auto image = cxm::io::save_state(e);
  CHECK(cxm::io::load_state<cxm::engine<>>(image) == e);

  SUBCASE("the same customer id twice") {
    // Each record is id (8 bytes) + spend (2 · 8) + activity (4 + 4 + 7 · 4 + 4 + 5 · 2 + 1 = 51)
    // + satisfaction (3 · (4 + 4 + 1) + 1 = 28) = 103 bytes; the two records end the payload.
    constexpr std::size_t record = 8 + 16 + 51 + 28;
    const std::size_t second = image.size() - cxm::io::state_trailer_size - record;
    const std::size_t first = second - record;
    for (std::size_t b = 0; b < 8; ++b) image[second + b] = image[first + b];
    reseal(image);
    CHECK(load_error<cxm::engine<>>(image).find("a customer appears twice") != std::string::npos);
  }
  SUBCASE("a configuration with 25 host kinds") {
    // Payload: composition length (8) + composition + 32 engagement weights (8 each), then host_kinds (u32).
    const std::size_t at = cxm::io::state_header_size + 8 + cxm::engine<>::composition().size() + 32 * 8;
    REQUIRE(image[at] == std::byte{0});
    image[at] = std::byte{25};
    reseal(image);
    CHECK(load_error<cxm::engine<>>(image).find("host kinds") != std::string::npos);
  }
  SUBCASE("more customers than the bytes left can hold") {
    // The customer count precedes the two records: claim 2^40 customers.
    const std::size_t at = image.size() - cxm::io::state_trailer_size - 2 * (8 + 16 + 51 + 28) - 8;
    REQUIRE(image[at] == std::byte{2});
    image[at + 5] = std::byte{1};
    reseal(image);
    CHECK_THROWS_AS(cxm::io::load_state<cxm::engine<>>(image), cxm::format_error);
  }
}

TEST_CASE("A small engine keeps the accumulator invariants, truncations and corruptions included") {
  // 200 events of every built-in kind over 12 customers and one month; valid amounts and scores.
  const auto from = cxm::from_unix_ms(1'704'067'200'000);  // 2024-01-01
  const auto draw = [from](std::mt19937_64& rng) {
    cxm::test::stream_spec spec;
    spec.host_kinds = 0;
    spec.from = from;
    spec.to = from + std::chrono::days{31};
    return cxm::test::random_event(rng, 1 + rng() % 12, spec);
  };
  cxm::test::check_invariants<cxm::engine<>>(
      [] { return cxm::engine<>{}; }, draw, [](const auto& a, const auto& b) { cxm::test::same_report(a, b); },
      cxm::test::invariant_options{.stream_length = 200, .split_trials = 100, .corruption_trials = 100});
}
