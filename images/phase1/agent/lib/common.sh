# Phase-1 agent: logging, failures, JSON, time. Sourced by bt-agent (busybox ash).

# Console lines: "[bt  12.3] message". The uptime makes a serial log readable after the fact.
log() {
  local up
  up=$(cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0)
  printf '[bt %6s] %s\n' "$up" "$*"
}

now() { date +%s; }

# Escapes a string for a JSON string literal: backslash and quote escaped, control
# characters (newlines included) turned into spaces, at most 1000 characters.
json_str() {
  printf '%s' "$1" | tr '\000-\037' ' ' | cut -c1-1000 | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

is_uint() {
  case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

# The failure that ends this run: recorded for /init (which prints it above the rescue
# shell), reported to the boot API when it can be reached, then the agent exits 1.
#   fail CODE MESSAGE
fail() {
  local code=$1 message=$2
  log "FAILED $code: $message"
  mkdir -p "$RUN_DIR"
  printf '%s: %s\n' "$code" "$message" >"$RUN_DIR/failure"
  if [ -n "${API:-}" ] && [ -n "${NODE_MAC:-}" ]; then
    report failed "$message" "$code" "$message" || log "could not report the failure to $API"
  fi
  cleanup
  exit 1
}

# The EXIT trap: a run that ends badly without having called fail (a bug, an unset
# variable under set -u, a signal) still leaves a reason and reports it.
on_exit() {
  local status=$?
  if [ "$status" != 0 ] && [ ! -s "$RUN_DIR/failure" ]; then
    trap - EXIT
    fail BT_P1_AGENT "the agent stopped unexpectedly (status $status); see the console above"
  fi
}

# Stops what we started (aria2c) on every way out.
cleanup() {
  if [ -n "${ARIA2_PID:-}" ]; then
    aria2_stop
  fi
}

# Seconds to wait before attempt N (1-based): 1, 2, 4, 8, ... capped at BACKOFF_MAX.
backoff_delay() {
  local n=$1 d=1
  while [ "$n" -gt 1 ] && [ "$d" -lt "$BACKOFF_MAX" ]; do
    d=$((d * 2))
    n=$((n - 1))
  done
  [ "$d" -gt "$BACKOFF_MAX" ] && d=$BACKOFF_MAX
  echo "$d"
}
