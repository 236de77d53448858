# Regenerates the hierarchy oracle with the local CPython and compares it with the committed
# one (ignoring the first line, which names the Python version).
execute_process(COMMAND ${PYTHON} ${GENERATOR} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "generator failed: ${rc}")
endif()
file(STRINGS ${OUT} fresh)
file(STRINGS ${EXPECTED} committed)
list(REMOVE_AT fresh 0)
list(REMOVE_AT committed 0)
if(NOT fresh STREQUAL committed)
  message(FATAL_ERROR "CPython routes differently from ${EXPECTED}; see ${OUT}")
endif()
