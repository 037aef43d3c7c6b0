include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CXM_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/cmake/cxm" CACHE STRING
  "Where cxmConfig.cmake is installed (relative to the prefix)")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/cxm" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS cxm EXPORT cxmTargets)
if(TARGET cxm_value)
  install(TARGETS cxm_value EXPORT cxmValueTargets)
  install(EXPORT cxmValueTargets NAMESPACE cxm:: DESTINATION "${CXM_CMAKE_INSTALL_DIR}")
endif()
install(EXPORT cxmTargets NAMESPACE cxm:: DESTINATION "${CXM_CMAKE_INSTALL_DIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/cxmConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cxmConfig.cmake"
  INSTALL_DESTINATION "${CXM_CMAKE_INSTALL_DIR}")
# Header-only: the package fits any architecture. SemVer while the major version is 0: a minor
# release may break the API, so a request for 0.1 accepts 0.1.x only (CONTRIBUTING.md, Versions).
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cxmConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/cxmConfig.cmake" "${PROJECT_BINARY_DIR}/cxmConfigVersion.cmake"
  DESTINATION "${CXM_CMAKE_INSTALL_DIR}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/cxm.pc.in" "${PROJECT_BINARY_DIR}/cxm.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/cxm.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/cxm")
