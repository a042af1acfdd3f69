# Phase-1 agent: HTTP with busybox wget. Busybox wget has no timeout flag, so every call
# runs under `timeout`: an API that accepts the connection and then says nothing must not
# hang the node.

# http_get URL FILE
# Sets HTTP_STATUS (the status code, or 000 when no HTTP answer came) and HTTP_ERROR.
http_get() {
  local url=$1 out=$2 err=$RUN_DIR/wget.err
  rm -f "$out"
  if timeout -s KILL "$HTTP_TIMEOUT" wget -q -O "$out" "$url" 2>"$err"; then
    HTTP_STATUS=200
    HTTP_ERROR=
    return 0
  fi
  rm -f "$out"
  HTTP_STATUS=$(sed -n 's/.*server returned error: HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$err" | head -n1)
  HTTP_ERROR=$(tr '\n' ' ' <"$err" | sed -e 's/^wget: //' -e 's/ *$//')
  if [ -z "$HTTP_STATUS" ]; then
    HTTP_STATUS=000
    [ -n "$HTTP_ERROR" ] || HTTP_ERROR="no answer within ${HTTP_TIMEOUT} s"
  else
    local reason
    reason=$(http_error_reason "$url")
    [ -z "$reason" ] || HTTP_ERROR=$reason
  fi
  return 1
}

# Seconds http_error_reason gives the boot API to answer; a LAN answers in milliseconds.
HTTP_ERROR_READ_S=${HTTP_ERROR_READ_S:-2}

# http_error_reason URL
# Prints the boot API's own words for an error answer, "CODE: message", or nothing. busybox
# wget stops reading at the status line of an error, so this asks once more with a raw
# HTTP/1.0 request through nc and takes the x-bt-error-code / x-bt-error headers.
http_error_reason() {
  local rest=${1#http://} hostport host port path
  hostport=${rest%%/*}
  path=${rest#"$hostport"}
  [ -n "$path" ] || path=/
  host=${hostport%:*}
  port=${hostport##*:}
  [ "$host" = "$hostport" ] && port=80
  # busybox nc hangs up as soon as its input ends, before the answer arrives: the request
  # is followed by a short wait (only error answers come this way, once each).
  { printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport"; sleep "$HTTP_ERROR_READ_S"; } |
    timeout -s KILL "$HTTP_TIMEOUT" nc "$host" "$port" 2>/dev/null |
    awk '{ sub(/\r$/, "") }
      $0 == "" { exit }
      tolower($0) ~ /^x-bt-error-code:/ { sub(/^[^:]*: */, ""); code = $0 }
      tolower($0) ~ /^x-bt-error:/ { sub(/^[^:]*: */, ""); msg = $0 }
      END { if (msg != "") print (code != "" ? code ": " : "") msg }'
}

# http_post_json URL JSON: best effort, quiet; returns wget's status.
http_post_json() {
  timeout -s KILL "$HTTP_TIMEOUT" wget -q -O /dev/null \
    --header 'Content-Type: application/json' --post-data "$2" "$1" 2>/dev/null
}

# Shell-variable documents from the boot API (?format=env) are sourced, so each line must be
# a plain NAME='value' assignment (values single-quoted, ' written as '\''). Anything else
# (an HTML error page, JSON, a command) is refused before the shell sees it.
env_doc_valid() {
  local bad
  bad=$(grep -v -n -E "^([A-Z][A-Z0-9_]*='([^']|'\\\\'')*')?$" "$1" | head -n1)
  if [ -n "$bad" ]; then
    ENV_DOC_ERROR="line ${bad%%:*} is not a NAME='value' assignment: $(printf '%s' "${bad#*:}" | cut -c1-80)"
    return 1
  fi
  return 0
}
