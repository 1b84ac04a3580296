# `cmake --install build --prefix P` makes specjit usable from host apps:
#
#   find_package(specjit CONFIG REQUIRED)      # CMAKE_PREFIX_PATH=P
#   target_link_libraries(app PRIVATE specjit::specjit)
#
# Installed: the public headers (include/specjit/*.h; the dialect and
# conversion headers are internal and stay behind), the static libraries
# the runtime is made of, and a package configuration whose specjit::specjit
# target carries the include directories and, through find_dependency, the
# LLVM, MLIR and Abseil libraries those archives need (the same MLIR static
# archives and shared libLLVM this build links).
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(SPECJIT_PACKAGE_VERSION ${PROJECT_VERSION})
set(SPECJIT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/specjit)

# The one target host apps name: the runtime plus the public headers
# (specjit_runtime here, as the driver executable is `specjit`).
add_library(specjit_runtime INTERFACE)
set_target_properties(specjit_runtime PROPERTIES EXPORT_NAME specjit)
target_link_libraries(specjit_runtime INTERFACE SpecjitEngine)
target_include_directories(specjit_runtime INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
add_library(specjit::specjit ALIAS specjit_runtime)

# SpecjitEngine and every specjit library it links (static archives).
set(SPECJIT_INSTALLED_LIBRARIES
  specjit_runtime SpecjitEngine SpecjitFamilies SpecjitConversion SpecjitDescriptorToSpec MLIRSpec
  specjit_interpreter specjit_descriptor specjit_rt)
install(TARGETS ${SPECJIT_INSTALLED_LIBRARIES}
  EXPORT specjitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/specjit/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/specjit
  FILES_MATCHING PATTERN "*.h"
  PATTERN "Dialect" EXCLUDE
  PATTERN "Conversion" EXCLUDE)
install(EXPORT specjitTargets
  NAMESPACE specjit::
  DESTINATION ${SPECJIT_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/specjitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/specjitConfig.cmake
  INSTALL_DESTINATION ${SPECJIT_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/specjitConfigVersion.cmake
  VERSION ${SPECJIT_PACKAGE_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/specjitConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/specjitConfigVersion.cmake
  DESTINATION ${SPECJIT_INSTALL_CMAKEDIR})
