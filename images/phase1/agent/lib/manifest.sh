# Phase-1 agent: the OS manifest and the menu, from the boot API (docs/boot-flow.md).

# api_get_env WHAT URL FILE
# GETs a ?format=env document, retrying with backoff while the API is unreachable, not
# ready (503) or failing (5xx). A 404 or another 4xx is final: the caller decides.
# Returns 0 with FILE valid, 1 on a 4xx (HTTP_STATUS tells which).
api_get_env() {
  local what=$1 url=$2 file=$3 attempt=1 code why delay
  while :; do
    log "GET $url"
    if http_get "$url" "$file"; then
      env_doc_valid "$file" || fail BT_P1_MANIFEST "$what from $url is not a shell document: $ENV_DOC_ERROR"
      return 0
    fi
    case $HTTP_STATUS in
      000) code=BT_P1_API_UNREACHABLE why="boot API unreachable at $API: $HTTP_ERROR" ;;
      503) code=BT_P1_NOT_READY why="$what not ready yet (503 from $url)" ;;
      4??) return 1 ;;
      *) code=BT_P1_API_ERROR why="$url answered $HTTP_STATUS" ;;
    esac
    [ "$attempt" -ge "$API_ATTEMPTS" ] && fail "$code" "$why; gave up after $attempt attempts"
    delay=$(backoff_delay "$attempt")
    log "$why; retrying in $delay s (attempt $attempt/$API_ATTEMPTS)"
    # An API that answers (503/5xx) hears why we wait; an unreachable one cannot.
    [ "$code" = BT_P1_API_UNREACHABLE ] || report phase1 "$why; retrying in $delay s" "$code" "$why"
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

# Sets BT_* from GET /api/manifest/$OS?format=env and checks every value we rely on.
fetch_manifest() {
  local url="$API/api/manifest/$OS?format=env" file=$RUN_DIR/manifest.env
  if ! api_get_env "manifest of $OS" "$url" "$file"; then
    if [ "$HTTP_STATUS" = 404 ]; then
      fail BT_P1_MANIFEST "the boot API knows no OS named '$OS' (404 from $url)"
    fi
    fail BT_P1_MANIFEST "the boot API refused the manifest of $OS ($HTTP_STATUS from $url): $HTTP_ERROR"
  fi
  manifest_defaults
  . "$file"
  manifest_check
  # From here on the manifest's API address is the one to report to (the same master).
  [ -n "$BT_API" ] && API=${BT_API%/}
  log "manifest: $BT_OS ($BT_INFOHASH), $BT_LENGTH bytes, kernel $BT_KERNEL${BT_INITRD:+, initrd $BT_INITRD}"
}

# Before a manifest is sourced: policy values get their documented defaults, the rest is
# emptied (so nothing from an earlier attempt survives, and a missing value is caught).
manifest_defaults() {
  BT_LINGER_UNTIL_DONE=1 BT_LINGER_MIN=0 BT_LINGER_MAX=300 BT_LINGER_RATIO=0
  BT_PEX=1 BT_LPD=0 BT_LOG_LEVEL=notice BT_LISTEN_PORT=6881 BT_WEBSEED_AFTER=15 BT_TRACKERS= BT_WEBSEEDS= BT_INITRD=
  BT_OS= BT_INFOHASH= BT_TORRENT_URL= BT_NAME= BT_KERNEL= BT_CMDLINE= BT_LENGTH= BT_API= BT_FILE_COUNT=
}

manifest_invalid() { fail BT_P1_MANIFEST "manifest of $OS is invalid: $1"; }

# A relative path inside the torrent: no leading /, no .. component.
safe_relpath() {
  case /$1/ in //* | */../* | */./*) return 1 ;; esac
  [ -n "$1" ]
}

manifest_check() {
  [ "$BT_OS" = "$OS" ] || manifest_invalid "asked for $OS, got the manifest of '$BT_OS'"
  case $BT_INFOHASH in
    *[!0-9a-f]* | '') manifest_invalid "BT_INFOHASH '$BT_INFOHASH' is not 40 lowercase hex digits" ;;
  esac
  [ ${#BT_INFOHASH} -eq 40 ] || manifest_invalid "BT_INFOHASH '$BT_INFOHASH' is not 40 lowercase hex digits"
  case $BT_TORRENT_URL in http://?* | https://?*) ;; *) manifest_invalid "BT_TORRENT_URL '$BT_TORRENT_URL' is not an http(s) URL" ;; esac
  case $BT_NAME in '' | */* | . | ..) manifest_invalid "BT_NAME '$BT_NAME' is not a torrent name" ;; esac
  safe_relpath "$BT_KERNEL" || manifest_invalid "BT_KERNEL '$BT_KERNEL' is not a relative path inside the torrent"
  [ -z "$BT_INITRD" ] || safe_relpath "$BT_INITRD" || manifest_invalid "BT_INITRD '$BT_INITRD' is not a relative path inside the torrent"
  is_uint "$BT_LENGTH" || manifest_invalid "BT_LENGTH '$BT_LENGTH' is not a byte count"
  local v
  for v in BT_LINGER_UNTIL_DONE BT_PEX BT_LPD; do
    eval "case \${$v} in 0 | 1) ;; *) manifest_invalid \"$v must be 0 or 1\" ;; esac"
  done
  is_uint "$BT_LINGER_MIN" || manifest_invalid "BT_LINGER_MIN '$BT_LINGER_MIN' is not a number of seconds"
  is_uint "$BT_LINGER_MAX" || manifest_invalid "BT_LINGER_MAX '$BT_LINGER_MAX' is not a number of seconds"
  is_uint "$BT_WEBSEED_AFTER" || manifest_invalid "BT_WEBSEED_AFTER '$BT_WEBSEED_AFTER' is not a number of seconds"
  case $BT_LINGER_RATIO in '' | *[!0-9.]* | *.*.*) manifest_invalid "BT_LINGER_RATIO '$BT_LINGER_RATIO' is not a number" ;; esac
  is_uint "$BT_LISTEN_PORT" && [ "$BT_LISTEN_PORT" -ge 1 ] && [ "$BT_LISTEN_PORT" -le 65535 ] ||
    manifest_invalid "BT_LISTEN_PORT '$BT_LISTEN_PORT' is not a TCP port"
  case $BT_LOG_LEVEL in debug | info | notice | warn | error) ;; *) manifest_invalid "BT_LOG_LEVEL '$BT_LOG_LEVEL' is not an aria2 log level" ;; esac
}

valid_os_name() {
  case $1 in '' | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) return 1 ;; esac
  [ ${#1} -le 64 ]
}

# bt.menu=1: GET /api/menu?format=env, show it on the console, read a choice with the
# menu's timeout (a negative timeout waits forever), and set OS.
choose_os_from_menu() {
  local file=$RUN_DIR/menu.env i os name choice
  api_get_env menu "$API/api/menu?format=env" "$file" || fail BT_P1_MANIFEST "the boot API has no menu ($HTTP_STATUS)"
  BT_MENU_COUNT=0 BT_MENU_DEFAULT= BT_MENU_TIMEOUT=10
  . "$file"
  is_uint "$BT_MENU_COUNT" && [ "$BT_MENU_COUNT" -gt 0 ] || fail BT_P1_MANIFEST "the boot menu is empty"
  echo
  echo "BootTorrent: choose an operating system"
  i=1
  while [ "$i" -le "$BT_MENU_COUNT" ]; do
    eval "os=\${BT_MENU_${i}_OS:-} name=\${BT_MENU_${i}_NAME:-}"
    printf '  %d) %s%s\n' "$i" "${name:-$os}" "$([ "$os" = "$BT_MENU_DEFAULT" ] && echo ' (default)')"
    i=$((i + 1))
  done
  choice=
  if is_uint "$BT_MENU_TIMEOUT"; then
    printf 'number, Enter for the default (%s s): ' "$BT_MENU_TIMEOUT"
    read -r -t "$BT_MENU_TIMEOUT" choice || true
  else
    printf 'number, Enter for the default: '
    read -r choice || true
  fi
  echo
  OS=$BT_MENU_DEFAULT
  if is_uint "$choice" && [ "$choice" -ge 1 ] && [ "$choice" -le "$BT_MENU_COUNT" ]; then
    eval "OS=\${BT_MENU_${choice}_OS:-}"
  fi
  valid_os_name "$OS" || fail BT_P1_MANIFEST "no OS chosen and the menu has no default"
  log "menu: booting $OS"
}
