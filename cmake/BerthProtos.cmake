# berth_proto_library(<target> <SHARED|STATIC|OBJECT> PROTOS <import/path.proto=/file/on/disk> ...
#                     [GRPC] [LITE])
#
# C++ generated at build time from .proto files on disk (Debian's, or
# Berth's own). Each proto is first staged into the build tree under its
# import path (cmake/protos/stage_proto.cmake: `import weak` made plain, and
# for LITE the Go-only gogoproto options dropped and LITE_RUNTIME set); then
# protoc runs once per proto with a depfile, so an edit regenerates only what
# it must. GRPC adds the gRPC stubs; LITE links protobuf-lite instead of the
# full runtime, and stages google/protobuf's own any/empty/timestamp too
# (only the full runtime ships them compiled). Generated headers are in the
# target's SYSTEM include path as "<import/path>.pb.h". OBJECT compiles the
# code once, position-independent, and leaves the protobuf and gRPC runtimes
# to whoever links the objects: a shared library with the shared runtimes, an
# executable with static ones.
set(BERTH_PROTOS_DIR "${CMAKE_CURRENT_LIST_DIR}/protos")

function(berth_proto_library target kind)
  cmake_parse_arguments(P "GRPC;LITE" "" "PROTOS" ${ARGN})
  set(stage "${CMAKE_CURRENT_BINARY_DIR}/${target}/proto")
  set(gen "${CMAKE_CURRENT_BINARY_DIR}/${target}/gen")
  set(depdir "${CMAKE_CURRENT_BINARY_DIR}/${target}/dep")
  set(protos ${P_PROTOS})
  if(P_LITE)
    foreach(p any empty timestamp)
      list(APPEND protos "google/protobuf/${p}.proto=${Protobuf_INCLUDE_DIR}/google/protobuf/${p}.proto")
    endforeach()
    set(system_include "")
  else()
    set(system_include "${Protobuf_INCLUDE_DIR}")
  endif()
  set(grpc_plugin "")
  if(P_GRPC)
    find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
    set(grpc_plugin "${GRPC_CPP_PLUGIN}")
  endif()

  set(staged "")
  set(rels "")
  foreach(entry IN LISTS protos)
    string(REPLACE "=" ";" kv "${entry}")
    list(GET kv 0 rel)
    list(GET kv 1 src)
    if(NOT EXISTS "${src}")
      message(FATAL_ERROR "missing ${src}: run scripts/deps (Debian golang-github-containerd-*-dev)")
    endif()
    add_custom_command(
      OUTPUT "${stage}/${rel}"
      COMMAND ${CMAKE_COMMAND} -DIN=${src} -DOUT=${stage}/${rel} -DLITE=${P_LITE}
              -P "${BERTH_PROTOS_DIR}/stage_proto.cmake"
      DEPENDS "${src}" "${BERTH_PROTOS_DIR}/stage_proto.cmake"
      COMMENT "Staging ${rel} (${target})" VERBATIM)
    list(APPEND staged "${stage}/${rel}")
    list(APPEND rels "${rel}")
  endforeach()

  set(srcs "")
  foreach(rel IN LISTS rels)
    string(REGEX REPLACE "\\.proto$" "" base "${rel}")
    # x.pb.cc first: the depfile names it (run_protoc.cmake).
    set(outs "${gen}/${base}.pb.cc" "${gen}/${base}.pb.h")
    if(P_GRPC)
      list(APPEND outs "${gen}/${base}.grpc.pb.cc" "${gen}/${base}.grpc.pb.h")
    endif()
    string(MAKE_C_IDENTIFIER "${base}" depname)
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${gen}"
      COMMAND ${CMAKE_COMMAND}
              -DPROTOC=$<TARGET_FILE:protobuf::protoc> -DGRPC_PLUGIN=${grpc_plugin}
              -DSYSTEM_INCLUDE=${system_include}
              -DSTAGE=${stage} -DGEN=${gen} -DPROTO=${stage}/${rel} -DBASE=${gen}/${base}
              -DDEPFILE=${depdir}/${depname}.d
              -P "${BERTH_PROTOS_DIR}/run_protoc.cmake"
      DEPENDS ${staged} protobuf::protoc "${BERTH_PROTOS_DIR}/run_protoc.cmake"
              "${BERTH_PROTOS_DIR}/fix_cxx20_keywords.cmake"
      DEPFILE "${depdir}/${depname}.d"
      COMMENT "protoc ${rel} (${target})" VERBATIM)
    list(APPEND srcs "${gen}/${base}.pb.cc")
    if(P_GRPC)
      list(APPEND srcs "${gen}/${base}.grpc.pb.cc")
    endif()
  endforeach()
  file(MAKE_DIRECTORY "${depdir}")

  add_library(${target} ${kind} ${srcs})
  # Generated code is not ours to lint or warn about.
  target_compile_options(${target} PRIVATE -w)
  target_include_directories(${target} SYSTEM BEFORE PUBLIC "$<BUILD_INTERFACE:${gen}>")
  set(runtimes protobuf::libprotobuf)
  if(P_LITE)
    set(runtimes protobuf::libprotobuf-lite)
  endif()
  if(P_GRPC)
    list(APPEND runtimes PkgConfig::GRPCPP)
  endif()
  if(kind STREQUAL "OBJECT")
    # The runtimes' headers and flags only: linking them, even privately,
    # would hand the shared libraries on to every target linking the objects.
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    foreach(rt IN LISTS runtimes)
      target_include_directories(${target} SYSTEM PRIVATE $<TARGET_PROPERTY:${rt},INTERFACE_INCLUDE_DIRECTORIES>)
      target_compile_definitions(${target} PRIVATE $<TARGET_PROPERTY:${rt},INTERFACE_COMPILE_DEFINITIONS>)
      target_compile_options(${target} PRIVATE $<TARGET_PROPERTY:${rt},INTERFACE_COMPILE_OPTIONS>)
    endforeach()
  else()
    target_link_libraries(${target} PUBLIC ${runtimes})
  endif()
endfunction()
