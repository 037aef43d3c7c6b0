#pragma once
/// \file
/// An allocator that asks the kernel for transparent huge pages on large blocks.
///
/// Why: at a million customers the customer table (~100 MB) is far larger than the caches and the TLB,
/// so every event costs a page walk as well as a memory miss. Backing the table with 2 MiB pages
/// removes most page walks (docs/benchmarks.md has the figures measured with and without it).
/// Blocks of at least `huge_page_size` are allocated 2 MiB-aligned and marked with
/// madvise(MADV_HUGEPAGE) (Linux; elsewhere, and for small blocks, it is plain operator new).
/// Whether the kernel grants huge pages depends on /sys/kernel/mm/transparent_hugepage/enabled
/// ("always" or "madvise"); when it does not, the allocator still works, with normal pages.

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cxm {

/// Blocks of at least this size (2 MiB) get huge pages.
inline constexpr std::size_t huge_page_size = std::size_t{2} << 20;

/// A standard allocator: blocks of at least huge_page_size are 2 MiB-aligned and marked
/// madvise(MADV_HUGEPAGE) on Linux; smaller blocks, and other systems, use operator new. Stateless.
template <class T>
class huge_page_allocator {
 public:
  using value_type = T;  ///< the element type

  constexpr huge_page_allocator() noexcept = default;
  /// Rebinding: the allocator has no state.
  template <class U>
  constexpr huge_page_allocator(const huge_page_allocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  /// Storage for `n` elements; throws std::bad_array_new_length or std::bad_alloc.
  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_page_size) {
      return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T) > alignof(std::max_align_t) ? alignof(T) : alignof(std::max_align_t)}));
    }
    const std::size_t rounded = (bytes + huge_page_size - 1) / huge_page_size * huge_page_size;
    void* p = std::aligned_alloc(huge_page_size, rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves normal pages
#endif
    return static_cast<T*>(p);
  }

  /// Frees storage from allocate(n), with the same `n`.
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_page_size) {
      ::operator delete(p, std::align_val_t{alignof(T) > alignof(std::max_align_t) ? alignof(T) : alignof(std::max_align_t)});
    } else {
      std::free(p);
    }
  }

  /// Always true: any instance frees what another allocated.
  template <class U>
  friend constexpr bool operator==(const huge_page_allocator&, const huge_page_allocator<U>&) noexcept {
    return true;
  }
};

}  // namespace cxm
