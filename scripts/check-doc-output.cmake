# Runs an example that a Markdown page shows and compares what it prints with the ```text block that
# follows the example's block on that page (CONTRIBUTING.md, "Doc page"), so the shown output is the
# output.
#
#   cmake -DMD=<page.md> -DSOURCE=examples/<name>.cpp -DBINARY=<executable> [-DWORKING_DIRECTORY=<dir>]
#         -P scripts/check-doc-output.cmake
#
# The example's block is the one after <!-- from: SOURCE -->; the output block must open on the line
# after its closing fence.
cmake_minimum_required(VERSION 3.25)

file(READ "${MD}" text)
string(REPLACE "\r" "" text "${text}")
string(FIND "${text}" "<!-- from: ${SOURCE} -->\n```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${MD} has no block marked <!-- from: ${SOURCE} -->")
endif()
string(SUBSTRING "${text}" ${at} -1 text)
string(FIND "${text}" "\n```\n```text\n" close)
string(FIND "${text}" "\n```\n" first_close)
if(close EQUAL -1 OR NOT close EQUAL first_close)
  message(FATAL_ERROR "in ${MD}, the block of ${SOURCE} is not followed by a ```text block of its output")
endif()
math(EXPR start "${close} + 13")
string(SUBSTRING "${text}" ${start} -1 text)
string(FIND "${text}" "```" stop)
string(SUBSTRING "${text}" 0 ${stop} expected)

if(NOT DEFINED WORKING_DIRECTORY)
  set(WORKING_DIRECTORY ".")
endif()
execute_process(COMMAND "${BINARY}" WORKING_DIRECTORY "${WORKING_DIRECTORY}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BINARY} failed (${rc}):\n${out}\n${err}")
endif()
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "${SOURCE} printed\n${out}\nbut ${MD} shows\n${expected}")
endif()
message(STATUS "${SOURCE} prints what ${MD} shows")
