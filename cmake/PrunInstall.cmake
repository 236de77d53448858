include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PRUN_INSTALLED_LIBRARIES prun_logging prun_pool prun_runner)
if(TARGET prun_mpi)
  list(APPEND PRUN_INSTALLED_LIBRARIES prun_mpi)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/pool/mpi/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(TARGETS ${PRUN_INSTALLED_LIBRARIES} EXPORT prunTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(module logging pool runner)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
if(TARGET prun)
  install(TARGETS prun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(PRUN_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/prun)
install(EXPORT prunTargets NAMESPACE prun:: DESTINATION ${PRUN_CONFIG_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/prunConfig.cmake.in
  ${PROJECT_BINARY_DIR}/prunConfig.cmake INSTALL_DESTINATION ${PRUN_CONFIG_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/prunConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/prunConfig.cmake ${PROJECT_BINARY_DIR}/prunConfigVersion.cmake
  DESTINATION ${PRUN_CONFIG_DIR})
