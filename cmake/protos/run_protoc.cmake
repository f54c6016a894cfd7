# Runs protoc for one staged proto and post-processes its output.
#   -DPROTOC= -DSTAGE= -DGEN= -DPROTO= -DDEPFILE= -DBASE= [-DGRPC_PLUGIN=] [-DSYSTEM_INCLUDE=]
#
# protoc warns that containerd's protos import gogo.proto without using it
# (the import only carried Go options); that is expected, so those lines are
# dropped to keep the build quiet. Everything else protoc says is shown.
set(args -I "${STAGE}")
if(SYSTEM_INCLUDE)
  list(APPEND args -I "${SYSTEM_INCLUDE}")
endif()
list(APPEND args --cpp_out=${GEN})
if(GRPC_PLUGIN)
  list(APPEND args --grpc_out=${GEN} --plugin=protoc-gen-grpc=${GRPC_PLUGIN})
endif()
execute_process(
  COMMAND "${PROTOC}" ${args} --dependency_out=${DEPFILE} "${PROTO}"
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
# protoc names its outputs sorted (x.grpc.pb.cc before x.pb.cc), while Ninja
# wants a depfile to name the edge's FIRST output (x.pb.cc): otherwise it
# finds the depfile "mentions" the wrong file, counts the edge dirty and
# re-runs protoc, and relinks everything after it, on every build. So the
# depfile is rewritten to name that output only.
file(READ "${DEPFILE}" dep)
string(FIND "${dep}" ": " colon)
if(colon GREATER 0)
  string(SUBSTRING "${dep}" ${colon} -1 deps)
  file(WRITE "${DEPFILE}" "${BASE}.pb.cc${deps}")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/fix_cxx20_keywords.cmake")
