# Copy one .proto into the staging tree, turning `import weak` into `import`.
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)import weak " "\\1import " text "${text}")
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
