# Copy one .proto into a staging tree, turning `import weak` into `import`
# (Debian's protoc aborts on containerd's weak imports; the wire format is
# the same). -DIN= -DOUT= [-DLITE=ON]
#
# LITE: for a protobuf-lite build (the shim's). gogoproto and containerd's
# fieldpath options only carry Go code generation hints, and their .proto
# files extend descriptor.proto, which needs the full runtime; so their
# imports and every option naming them are dropped, and the file is marked
# `optimize_for = LITE_RUNTIME`. Field numbers and types are untouched.
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)import weak " "\\1import " text "${text}")
if(LITE)
  string(REGEX REPLACE "import \"(gogoproto/gogo|github.com/containerd/containerd/protobuf/plugin/fieldpath)\\.proto\";" ""
         text "${text}")
  # option (gogoproto.x) = ...;   option (containerd.plugin.fieldpath) = ...;
  string(REGEX REPLACE "option[ \t]*\\((gogoproto|containerd\\.plugin)\\.[^;]*;" "" text "${text}")
  # [(gogoproto.x) = ..., (gogoproto.y) = ...] on fields: these files put
  # nothing else in field options.
  string(REGEX REPLACE "\\[[ \t\n]*\\((gogoproto|containerd\\.plugin)\\.[^]]*\\]" "" text "${text}")
  string(REGEX REPLACE "option[ \t]+optimize_for[^;]*;" "" text "${text}")
  # After the package line: every file here has one.
  string(REGEX REPLACE "(\npackage [^;]*;)" "\\1\noption optimize_for = LITE_RUNTIME;" text "${text}")
endif()
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
