// Tests for customer ids (include/cxm/stream/customer_id.hpp): integers, strings and UUIDs, their
// transparent hashing, empty ids, and their bytes in the state format.

#include "cxm/stream/customer_id.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/core/error.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/engine.hpp"
#include "support/invariants.hpp"

namespace {

using cxm::event_kind;

template <class Id>
Id round_trip(const Id& id) {
  cxm::io::writer w;
  cxm::customer_id_traits<Id>::save(id, w);
  cxm::io::reader r(w.bytes());
  Id out = cxm::customer_id_traits<Id>::load(r);
  r.expect_end("customer id");
  return out;
}

cxm::uuid make_uuid(std::uint8_t first, std::uint8_t last) {
  cxm::uuid u;
  u.bytes[0] = first;
  u.bytes[15] = last;
  return u;
}

}  // namespace

TEST_CASE("Integer ids are never empty and keep their value through save and load, signed or not") {
  using uint_traits = cxm::customer_id_traits<std::uint64_t>;
  using int_traits = cxm::customer_id_traits<std::int64_t>;
  // Width and signedness are part of the name (and so of a saved engine's composition).
  CHECK(uint_traits::type_name == "uint64");
  CHECK(int_traits::type_name == "int64");
  CHECK(cxm::customer_id_traits<std::uint32_t>::type_name == "uint32");
  CHECK(cxm::customer_id_traits<std::int16_t>::type_name == "int16");
  CHECK_FALSE(uint_traits::empty(0u));
  CHECK_FALSE(int_traits::empty(-1));
  CHECK(round_trip<std::uint64_t>(0) == 0u);
  CHECK(round_trip<std::uint64_t>(std::numeric_limits<std::uint64_t>::max()) == std::numeric_limits<std::uint64_t>::max());
  CHECK(round_trip<std::int64_t>(-42) == -42);
  CHECK(round_trip<std::int64_t>(std::numeric_limits<std::int64_t>::min()) == std::numeric_limits<std::int64_t>::min());
  CHECK(uint_traits::hash{}(7u) == uint_traits::hash{}(7u));
}

TEST_CASE("String ids hash the same as a std::string or a std::string_view, and the empty string is empty") {
  using traits = cxm::customer_id_traits<std::string>;
  const std::string alice = "alice";
  CHECK(traits::hash{}(alice) == traits::hash{}(std::string_view{"alice"}));
  CHECK(traits::equal{}(alice, std::string_view{"alice"}));
  CHECK(traits::empty(""));
  CHECK(traits::empty(std::string_view{}));
  CHECK_FALSE(traits::empty("a"));
  CHECK(traits::type_name == "string");
  CHECK(round_trip<std::string>("alice") == "alice");
  CHECK(round_trip<std::string>(std::string("a\0b", 3)) == std::string("a\0b", 3));  // bytes, not a C string
}

TEST_CASE("A saved string id whose length exceeds the remaining bytes is a format_error, read before allocating") {
  cxm::io::writer w;
  w.u64(1'000'000'000'000);  // a length no payload of 5 bytes can hold
  w.raw(std::as_bytes(std::span("abcde", 5)));
  cxm::io::reader r(w.bytes());
  CHECK_THROWS_AS(cxm::customer_id_traits<std::string>::load(r), cxm::format_error);
}

TEST_CASE("UUID ids: the nil UUID is empty, any other is not; 16 bytes in the state format") {
  using traits = cxm::customer_id_traits<cxm::uuid>;
  CHECK(traits::empty(cxm::uuid{}));
  CHECK_FALSE(traits::empty(make_uuid(0, 1)));
  CHECK_FALSE(traits::empty(make_uuid(0x80, 0)));
  CHECK(traits::type_name == "uuid");
  const auto u = make_uuid(0xde, 0xad);
  CHECK(round_trip(u) == u);
  cxm::io::writer w;
  traits::save(u, w);
  CHECK(w.size() == 16);
  CHECK(traits::hash{}(u) == traits::hash{}(make_uuid(0xde, 0xad)));
  CHECK(make_uuid(1, 0) < make_uuid(2, 0));
}

TEST_CASE("engine<cxm::uuid> keys customers by UUID and saves them as such") {
  cxm::engine<cxm::uuid> e;
  const auto a = make_uuid(1, 1), b = make_uuid(1, 2);
  const auto t = cxm::from_unix_ms(1'709'251'200'000);
  CHECK(e.add(cxm::event<cxm::uuid>{a, t, event_kind::purchase, 10.0}));
  CHECK(e.add(cxm::event<cxm::uuid>{b, t, event_kind::visit, 0.0}));
  CHECK(e.add(cxm::event<cxm::uuid>{a, t + std::chrono::hours{1}, event_kind::purchase, 2.5}));
  CHECK(e.customers().size() == 2);
  const auto as_of = t + std::chrono::hours{1};
  const auto first = e.customer(a);
  REQUIRE(first.has_value());
  CHECK(first->result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(event_kind::purchase)] == 2);
  CHECK(first->result<cxm::spend>(as_of).purchase_amount == 12.5);  // 10 + 2.5, exact in binary
  REQUIRE(e.customer(b).has_value());
  CHECK(e.customer(b)->result<cxm::activity>(as_of).events_by_kind[static_cast<std::size_t>(event_kind::visit)] == 1);
  CHECK(e.find(make_uuid(9, 9)) == nullptr);
  CHECK_FALSE(e.customer(make_uuid(9, 9)).has_value());

  CHECK(cxm::engine<cxm::uuid>::composition().starts_with("id=uuid;"));
  const auto loaded = cxm::io::load_state<cxm::engine<cxm::uuid>>(cxm::io::save_state(e));
  CHECK(loaded == e);
}

TEST_CASE("engine<std::int64_t> accepts negative ids, which are ids like any other") {
  cxm::engine<std::int64_t> e;
  CHECK(e.add(cxm::event<std::int64_t>{-5, cxm::from_unix_ms(0), event_kind::signup, 0.0}));
  REQUIRE(e.customer(std::int64_t{-5}).has_value());
  CHECK(e.customer(std::int64_t{-5})->result<cxm::activity>(cxm::from_unix_ms(0)).first_seen == cxm::from_unix_ms(0));
  CHECK(e.find(std::int64_t{5}) == nullptr);
  CHECK(cxm::engine<std::int64_t>::composition().starts_with("id=int64;"));
  CHECK(cxm::io::load_state<cxm::engine<std::int64_t>>(cxm::io::save_state(e)) == e);
}
