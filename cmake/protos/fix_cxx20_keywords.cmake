# protoc 3.21 names accessors after fields verbatim, and containerd's
# introspection.Plugin has a field `requires`, a C++20 keyword. Rename such
# accessors with a trailing underscore (as protoc does for older keywords).
# Only C++ names change; the wire format and reflection names do not.
foreach(f "${BASE}.pb.h" "${BASE}.pb.cc")
  file(READ "${f}" text)
  string(REGEX REPLACE "([^A-Za-z0-9_.\"])requires\\(" "\\1requires_(" fixed "${text}")
  if(NOT fixed STREQUAL text)
    file(WRITE "${f}" "${fixed}")
  endif()
endforeach()
