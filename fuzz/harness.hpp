#pragma once
// The one libFuzzer harness every fuzz/<type>.cpp instantiates (docs/fuzzing.md):
//   1. copy the input and make its frame consistent: payload length = size - 22 and a correct
//      CRC-32, so that mutations get past the CRC check and reach A::load's payload parser;
//   2. io::load_state<A>: cxm::format_error is the expected, clean rejection;
//   3. a state that loads is valid: result(), save_state and a second load must work, and the
//      reloaded state must compare == to the first.
// Any other exception, a failed round trip or a sanitizer report is a finding: the harness prints
// it and aborts, and libFuzzer saves the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <typeinfo>
#include <vector>

#include "cxm/core/error.hpp"
#include "cxm/io/state.hpp"

namespace cxm::fuzz {

/// Offset of the u64 payload length in the 18-byte header (docs/state-format.md, "The frame").
inline constexpr std::size_t payload_length_offset = 10;
static_assert(io::state_header_size == payload_length_offset + 8);

inline void put_le(std::span<std::byte> out, std::uint64_t value) {
  for (auto& b : out) {
    b = std::byte{static_cast<unsigned char>(value & 0xffu)};
    value >>= 8;
  }
}

/// The input with its payload length and CRC-32 fixed up. Inputs shorter than the frame are left
/// as they are (they exercise the size check).
inline std::vector<std::byte> with_fixed_frame(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> image(size);
  if (size != 0) std::memcpy(image.data(), data, size);
  constexpr std::size_t frame = io::state_header_size + io::state_trailer_size;
  if (size < frame) return image;
  const std::span<std::byte> bytes(image);
  put_le(bytes.subspan(payload_length_offset, 8), size - frame);
  put_le(bytes.last(io::state_trailer_size), io::crc32(bytes.first(size - io::state_trailer_size)));
  return image;
}

[[noreturn]] inline void finding(const char* what, const std::exception* e = nullptr) {
  if (e != nullptr) {
    std::fprintf(stderr, "cxm fuzz finding: %s: %s: %s\n", what, typeid(*e).name(), e->what());
  } else {
    std::fprintf(stderr, "cxm fuzz finding: %s\n", what);
  }
  std::fflush(stderr);
  std::abort();
}

/// Keeps a value alive so the computation of `result()` is not optimised away.
template <class T>
void keep(const T& value) {
  asm volatile("" : : "r"(&value) : "memory");
}

template <class A>
int test_one_input(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::byte> image = with_fixed_frame(data, size);
  std::optional<A> state;
  try {
    state.emplace(io::load_state<A>(image));
  } catch (const format_error&) {
    return 0;  // a clean rejection
  } catch (const std::exception& e) {
    finding("load_state threw something other than cxm::format_error", &e);
  } catch (...) {
    finding("load_state threw a non-std exception");
  }

  const char* step = "result()";
  try {
    keep(state->result());
    step = "save_state";
    const std::vector<std::byte> saved = io::save_state(*state);
    step = "load_state of the image save_state wrote";
    const A again = io::load_state<A>(saved);
    if (!(again == *state)) finding("load_state(save_state(s)) != s for a state s that loaded");
    step = "result() of the reloaded state";
    keep(again.result());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cxm fuzz finding: the input loaded, then %s threw\n", step);
    finding("a valid state must survive result() and a save/load round trip", &e);
  } catch (...) {
    std::fprintf(stderr, "cxm fuzz finding: the input loaded, then %s threw\n", step);
    finding("a non-std exception");
  }
  return 0;
}

}  // namespace cxm::fuzz

#define CXM_FUZZ_TARGET(...)                                                          \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return ::cxm::fuzz::test_one_input<__VA_ARGS__>(data, size);                      \
  }
