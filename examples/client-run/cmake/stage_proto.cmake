# cmake -DIN=<proto> -DOUT=<staged proto> -P stage_proto.cmake
# Debian's protoc refuses containerd's `import weak` (it only carried Go
# options), so each proto is copied under its import path with `import weak`
# made a plain `import`. The wire format does not change.
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)import weak " "\\1import " text "${text}")
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}" "${text}")
