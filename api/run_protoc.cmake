# Runs protoc for one staged proto and post-processes its output.
#   -DPROTOC= -DGRPC_PLUGIN= -DSTAGE= -DGEN= -DPROTO= -DDEPFILE= -DBASE=
#
# protoc warns that containerd's protos import gogo.proto without using it
# (the import only carried Go options); that is expected, so those lines are
# dropped to keep the build quiet. Everything else protoc says is shown.
execute_process(
  COMMAND "${PROTOC}" -I "${STAGE}" -I /usr/include
          --cpp_out=${GEN} --grpc_out=${GEN}
          --plugin=protoc-gen-grpc=${GRPC_PLUGIN}
          --dependency_out=${DEPFILE}
          "${PROTO}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
string(REGEX REPLACE "[^\n]*warning: Import [^\n]* is unused\\.\n?" "" err "${err}")
if(NOT out STREQUAL "" OR NOT err STREQUAL "")
  message("${out}${err}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protoc failed on ${PROTO}")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/fix_cxx20_keywords.cmake")
