#pragma once
/// \file
/// The accumulator contract every cxm metric satisfies (see docs/architecture.md):
///   add(x)        fold in one observation;
///   merge(other)  fold in another state; associative (and commutative unless documented);
///                 throws std::invalid_argument when the parameters differ;
///   result()      const and pure, returns a plain struct with named fields;
///   save(writer)  / static load(reader): the payload of the binary state format (io/);
///   type_tag, format_version: identify the payload in a saved image.
/// A default-constructed accumulator is the identity of merge; == compares the whole state.

#include <concepts>
#include <cstdint>
#include <type_traits>

/// Everything of cxm's API; helpers live in cxm::detail, which is not API.
namespace cxm {

namespace io {
class writer;
class reader;
}  // namespace io

/// A result is a plain struct: public named fields, copyable, no hidden state.
template <class R>
concept plain_result = std::is_class_v<R> && std::is_aggregate_v<R> && std::copyable<R>;

template <class A, class In>
concept accumulator = std::regular<A> &&
    requires(A a, const A ca, const In& x, io::writer& w, io::reader& r) {
      a.add(x);
      a.merge(ca);
      { ca.result() } -> plain_result;
      ca.save(w);
      { A::load(r) } -> std::same_as<A>;
      { A::type_tag } -> std::convertible_to<std::uint32_t>;
      { A::format_version } -> std::convertible_to<std::uint16_t>;
    };

/// A four-character type tag, stored little-endian so that a hex dump shows the characters.
constexpr std::uint32_t fourcc(const char (&name)[5]) noexcept {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(name[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[3])) << 24;
}

}  // namespace cxm
