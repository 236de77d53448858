# Installs prun into a scratch prefix, then builds and runs the consumer project against the
# installed package and against the source tree.
# Variables: BUILD_DIR (prun's build), SOURCE_DIR (prun's source), WORK (a scratch dir), GENERATOR.
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
function(expect text)
  string(FIND "${last_output}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${text}' in:\n${last_output}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK}/installed -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK}/prefix)
run(${CMAKE_COMMAND} --build ${WORK}/installed -j2)
run(${WORK}/installed/consumer_logging)
expect("INFO consumer logging works from a consumer")
run(${WORK}/installed/consumer_runner)
expect("runner works: 42")

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK}/subdir -G ${GENERATOR}
    -DPRUN_SOURCE_DIR=${SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK}/subdir -j2 --target consumer_logging consumer_runner)
run(${WORK}/subdir/consumer_runner)
expect("runner works: 42")
message(STATUS "consumer builds and runs with find_package and with add_subdirectory")
