#pragma once

#define CXM_VERSION_MAJOR 0
#define CXM_VERSION_MINOR 1
#define CXM_VERSION_PATCH 0

namespace cxm {
inline constexpr int version_major = CXM_VERSION_MAJOR;  ///< CXM_VERSION_MAJOR
inline constexpr int version_minor = CXM_VERSION_MINOR;  ///< CXM_VERSION_MINOR
inline constexpr int version_patch = CXM_VERSION_PATCH;  ///< CXM_VERSION_PATCH
}  // namespace cxm
