# Compiler settings shared by every prun target.
function(prun_set_warnings target)
  # g++ 12 warns about designated initializers that omit defaulted members (GCC bug 96868),
  # which is how prun's option structs are meant to be used.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
    $<$<BOOL:${PRUN_WARNINGS_AS_ERRORS}>:-Werror>)
  if(PRUN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
    # PUBLIC: whatever links an instrumented prun library needs the sanitizer runtimes too.
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(PRUN_TSAN)
    # -Wno-tsan: Boost.Asio's own atomic_thread_fence (in handlers we instantiate) is reported
    # by g++ 12 as unsupported under TSan; our event loops are single-threaded.
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  endif()
endfunction()

# prun_add_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
include(GNUInstallDirs)

# One module = one folder = one library target prun_<name> with the alias prun::<name>.
# Without SOURCES the module is header-only (an INTERFACE library).
function(prun_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    add_library(prun_${name} INTERFACE)
    add_library(prun::${name} ALIAS prun_${name})
    set_target_properties(prun_${name} PROPERTIES EXPORT_NAME ${name})
    target_compile_features(prun_${name} INTERFACE cxx_std_20)
    target_include_directories(prun_${name} INTERFACE
      $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_link_libraries(prun_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(prun_${name} ${ARG_SOURCES})
  add_library(prun::${name} ALIAS prun_${name})
  set_target_properties(prun_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME prun_${name}
    POSITION_INDEPENDENT_CODE ON)
  target_compile_features(prun_${name} PUBLIC cxx_std_20)
  target_include_directories(prun_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(prun_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  prun_set_warnings(prun_${name})
endfunction()
