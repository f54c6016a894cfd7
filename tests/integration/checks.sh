# tests/integration/checks.sh: the bookkeeping of the shell tests. Sourced.
# Each check passes or fails with a message; the test script defines fail
# (what to show on failure) on top of fail_showing, and ends with finish.

passed=0
failed=0
OUT=
RC=0

pass() {
  passed=$((passed + 1))
  echo "ok    $1"
}
# fail_showing MESSAGE DETAILS: a failed check; DETAILS are shown indented,
# to diagnose without rerunning.
fail_showing() {
  failed=$((failed + 1))
  echo "FAIL  $1"
  printf '%s\n' "$2" | sed 's/^/      /'
}
# OUT (the last command's output) must match, or must not match, /$1/.
expect_out() { if grep -Eq -- "$1" <<<"$OUT"; then pass "$2"; else fail "$2 (output lacks /$1/)"; fi; }
expect_no_out() { if grep -Eq -- "$1" <<<"$OUT"; then fail "$2 (output has /$1/)"; else pass "$2"; fi; }
# The summary line; the script's exit status is 0 only if nothing failed.
finish() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] || exit 1
  exit 0
}
