// Tests for checkpoints of the engine (engine::save / engine::load through io::save_state and
// io::load_state): save mid-stream → load → continue equals never stopping; images of another
// composition or configuration are refused; truncated or corrupted images are format_errors.

#include <algorithm>
#include <array>
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
  cxm::skip_invalid skip{};
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
  const std::string metrics = ";global=nps,csat,ces,active_customers;customer=spend,activity,satisfaction";
  CHECK(load_error<cxm::engine<>>(image) == "engine: the state was saved by an engine composed as 'id=string" +
                                                metrics + "', this one is 'id=uint64" + metrics + "'");
  // And the other way round; and 32-bit ids are another id type than 64-bit ones.
  CHECK(load_error<cxm::engine<std::string>>(cxm::io::save_state(cxm::engine<>{})) ==
        "engine: the state was saved by an engine composed as 'id=uint64" + metrics + "', this one is 'id=string" +
            metrics + "'");
  CHECK(load_error<cxm::engine<std::uint32_t>>(cxm::io::save_state(cxm::engine<>{})).find("this one is 'id=uint32;") !=
        std::string::npos);
  CHECK(cxm::engine<std::string>::composition().starts_with("id=string;"));
  CHECK(cxm::engine<std::uint32_t>::composition().starts_with("id=uint32;"));
}

TEST_CASE("Loading a state saved by an engine with other metric lists is a format_error") {
  using nps_only = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers>>;
  using activity_only = cxm::engine<std::uint64_t, cxm::default_global_metrics, cxm::metric_list<cxm::activity>>;
  using reordered = cxm::engine<std::uint64_t, cxm::metric_list<cxm::nps_answers, cxm::ces_answers, cxm::csat_answers,
                                                                cxm::active_customers>>;
  const auto default_image = cxm::io::save_state(cxm::engine<>{});
  CHECK(cxm::engine<>::composition() ==
        "id=uint64;global=nps,csat,ces,active_customers;customer=spend,activity,satisfaction");
  CHECK(nps_only::composition() == "id=uint64;global=nps;customer=spend,activity,satisfaction");
  CHECK(activity_only::composition() == "id=uint64;global=nps,csat,ces,active_customers;customer=activity");
  // The message names both compositions.
  CHECK(load_error<nps_only>(default_image) ==
        "engine: the state was saved by an engine composed as '" + cxm::engine<>::composition() + "', this one is '" +
            nps_only::composition() + "'");
  CHECK(load_error<cxm::engine<>>(cxm::io::save_state(nps_only{})) ==
        "engine: the state was saved by an engine composed as '" + nps_only::composition() + "', this one is '" +
            cxm::engine<>::composition() + "'");
  for (const auto& message :
       {load_error<activity_only>(default_image), load_error<cxm::engine<>>(cxm::io::save_state(activity_only{}))}) {
    CHECK(message.find("engine: the state was saved by an engine composed as '") == 0);
    CHECK(message.find(activity_only::composition()) != std::string::npos);
  }
  // As many metrics in another order: the compositions differ, and both are named.
  CHECK(load_error<reordered>(default_image) ==
        "engine: the state was saved by an engine composed as '" + cxm::engine<>::composition() + "', this one is '" +
            reordered::composition() + "'");
  // An image of another accumulator type altogether is refused by its type tag.
  CHECK(load_error<cxm::engine<>>(cxm::io::save_state(cxm::nps{})).find("type tag") != std::string::npos);
}

TEST_CASE("engine::load(reader, expected_config) refuses a state saved with another configuration") {
  cxm::engine_config saved_with;
  saved_with.kinds.declare_host_kinds(3);
  cxm::engine<> e(saved_with);
  e.add(ev(1, 1'000, cxm::host_kind(2)));
  const auto image = cxm::io::save_state(e);
  constexpr auto version = cxm::engine<>::format_version;

  cxm::io::reader same(payload_of(image), version);
  CHECK(cxm::engine<>::load(same, saved_with) == e);

  cxm::io::reader other(payload_of(image), version);
  CHECK_THROWS_WITH_AS(cxm::engine<>::load(other, cxm::engine_config{}),
                       "engine: the state was saved with another configuration: kind registry: host kinds in use: 3 vs 0",
                       cxm::format_error);
  cxm::engine_config lateness = saved_with;
  lateness.max_lateness = std::chrono::minutes{5};
  cxm::io::reader late(payload_of(image), version);
  CHECK_THROWS_AS(cxm::engine<>::load(late, lateness), cxm::format_error);
  cxm::engine_config scale = saved_with;
  scale.kinds.set_scale(event_kind::ces_answer, {1, 5});
  cxm::io::reader scaled(payload_of(image), version);
  CHECK_THROWS_AS(cxm::engine<>::load(scaled, scale), cxm::format_error);

  // Without an expected configuration the saved one is restored.
  CHECK(cxm::io::load_state<cxm::engine<>>(image).config() == saved_with);
}

TEST_CASE("engine::load(reader, prototype) refuses a state whose metric parameters differ, naming the parameter") {
  const cxm::engine<> saved;
  const auto image = cxm::io::save_state(saved);
  constexpr auto version = cxm::engine<>::format_version;
  {
    cxm::io::reader r(payload_of(image), version);
    CHECK(cxm::engine<>::load(r, cxm::engine<>{}) == saved);
  }
  const cxm::engine<> five_only({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{{5}}, cxm::ces_answers{},
                                                     cxm::active_customers{}});
  cxm::io::reader r(payload_of(image), version);
  try {
    (void)cxm::engine<>::load(r, five_only);
    FAIL("loaded a state whose csat satisfied set differs from the prototype's");
  } catch (const cxm::format_error& error) {
    const std::string message = error.what();
    CHECK_MESSAGE(message.find("metric 'csat'") != std::string::npos, message);
    CHECK_MESSAGE(message.find("'satisfied'") != std::string::npos, message);
    CHECK_MESSAGE(message.find("{4, 5}") != std::string::npos, message);
    CHECK_MESSAGE(message.find("{5}") != std::string::npos, message);
  }
  // Saved parameters are restored by a plain load: a 60-day active_customers window survives the checkpoint.
  cxm::engine<> sixty({}, cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                           cxm::active_customers{std::chrono::days{60}}});
  sixty.add(ev(1, 1'000, event_kind::visit));
  const auto restored = cxm::io::load_state<cxm::engine<>>(cxm::io::save_state(sixty));
  CHECK(restored == sixty);
  CHECK(restored.metric<cxm::active_customers>().window == std::chrono::days{60});
  CHECK(restored.report(cxm::from_unix_ms(1'000)).get<cxm::active_customers>().window == std::chrono::days{60});
}

TEST_CASE("Forged engine images behind a valid CRC are refused: a customer twice, an invalid configuration") {
  // Version 2 payload: the composition signature (id type and metric ids), the configuration (kind registry first: host kinds in
  // one byte), the engine's counters, one frame per global metric, then the customer count, every
  // customer id (8 bytes each), and one frame per per-customer metric. Distinctive ids are found by
  // their bytes.
  constexpr std::uint64_t first_id = 0x1122334455667788u, second_id = 0x1122334455667799u;
  cxm::engine<> e;
  e.add(ev(first_id, 1'000, event_kind::visit));
  e.add(ev(second_id, 2'000, event_kind::purchase, 4.0));
  auto image = cxm::io::save_state(e);
  CHECK(cxm::io::load_state<cxm::engine<>>(image) == e);
  const auto find_id = [&](std::uint64_t id) {
    std::array<std::byte, 8> bytes{};
    for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<std::byte>(static_cast<std::uint8_t>(id >> (8 * b)));
    const auto at = std::search(image.begin(), image.end(), bytes.begin(), bytes.end());
    REQUIRE(at != image.end());
    CHECK(std::search(at + 1, image.end(), bytes.begin(), bytes.end()) == image.end());  // found once
    return static_cast<std::size_t>(at - image.begin());
  };
  const std::size_t first = find_id(first_id), second = find_id(second_id);
  REQUIRE(second == first + 8);

  SUBCASE("the same customer id twice") {
    for (std::size_t b = 0; b < 8; ++b) image[second + b] = image[first + b];
    reseal(image);
    CHECK(load_error<cxm::engine<>>(image) == "engine: a customer appears twice");
  }
  SUBCASE("a registry with 25 host kinds") {
    // After the composition signature: its length (8) and its characters.
    const std::size_t at = cxm::io::state_header_size + 8 + cxm::engine<>::composition().size();
    REQUIRE(image[at] == std::byte{0});
    image[at] = std::byte{25};
    reseal(image);
    CHECK(load_error<cxm::engine<>>(image).find("host kinds") != std::string::npos);
  }
  SUBCASE("more customers than the bytes left can hold") {
    // The customer count precedes the ids: claim 2^40 + 2 customers.
    const std::size_t at = first - 8;
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
