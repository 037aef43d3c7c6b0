# vcpkg overlay port of cxm (header-only). Use: vcpkg install cxm --overlay-ports=packaging/vcpkg/ports
# The ctest test package.vcpkg_layout reproduces what this port does (the registries are out of reach
# on the build machines): configure with these options, install, and find the package in share/cxm.
vcpkg_from_git(
  OUT_SOURCE_PATH SOURCE_PATH
  URL https://github.com/cxm-project/cxm
  REF v${VERSION})

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DCXM_BUILD_TESTS=OFF
    -DCXM_BUILD_BENCHMARKS=OFF
    -DCXM_BUILD_EXAMPLES=OFF
    -DCXM_INSTALL=ON
    # vcpkg's layout: the CMake config in share/<port> (vcpkg_cmake_config_fixup then has nothing to move).
    -DCXM_CMAKE_INSTALL_DIR=share/cxm)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME cxm CONFIG_PATH share/cxm)

# Header-only: no debug tree, no libraries.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
