# Phase-1 agent: aria2c, driven over its JSON-RPC interface on 127.0.0.1.

# A fixed GID (16 hex digits) names the one download, so no response needs parsing to find it.
ARIA2_GID=b0070e1200000001
ARIA2_PID=
AWK_PID=
# A per-boot RPC secret: aria2c warns without one, and nothing else on the node needs in.
ARIA2_SECRET=$(tr -d '-' </proc/sys/kernel/random/uuid 2>/dev/null || echo bt)

bool() { [ "$1" = 1 ] && echo true || echo false; }

# aria2_rpc METHOD [PARAMS_JSON]: prints the JSON answer.
aria2_rpc() {
  timeout -s KILL 5 wget -q -O - --header 'Content-Type: application/json' \
    --post-data "{\"jsonrpc\":\"2.0\",\"id\":\"bt\",\"method\":\"aria2.$1\",\"params\":[\"token:$ARIA2_SECRET\"${2:+,$2}]}" \
    "http://127.0.0.1:$RPC_PORT/jsonrpc" 2>/dev/null
}

# Where this torrent's files land: one folder per info-hash, so that a retry after the OS
# changed on the master (new info-hash) never meets the old files or aria2's control file.
os_dir() { echo "$DATA_DIR/$BT_INFOHASH"; }

# aria2_start TORRENT_FILE: starts aria2c seeding/leeching into os_dir and waits for RPC.
aria2_start() {
  local torrent=$1 fifo=$RUN_DIR/aria2.log.fifo i dir old
  dir=$(os_dir)
  mkdir -p "$dir"
  # RAM is what the OS lands in: drop what an earlier attempt left for another info-hash.
  for old in "$DATA_DIR"/*; do
    [ "$old" = "$dir" ] || rm -rf "$old"
  done
  # aria2c logs at info level into a pipe; awk keeps only what the agent needs (pieces that
  # failed their hash check, warnings and errors), so no log grows in RAM while seeding.
  rm -f "$fifo" "$RUN_DIR/aria2.badpieces" "$RUN_DIR/webseeds"
  : >"$RUN_DIR/aria2.errors"
  mkfifo "$fifo"
  awk -v bad="$RUN_DIR/aria2.badpieces" -v errs="$RUN_DIR/aria2.errors" '
    /we got wrong piece|Invalid checksum/ { n++; print n > bad; close(bad) }
    / \[(ERROR|WARN)\] / { print >> errs; close(errs) }
  ' <"$fifo" &
  AWK_PID=$!

  # Trackers: the manifest's list replaces the torrent's (the boot API is authoritative).
  # Web seeds come from the torrent's url-list; unless they are to be used from the start,
  # aria2c starts paused so that they can be withheld before it opens any connection.
  # No DHT: every peer is on the boot LAN.
  set -- --gid="$ARIA2_GID" --dir="$dir" \
    --enable-rpc=true --rpc-listen-all=false --rpc-listen-port="$RPC_PORT" --rpc-secret="$ARIA2_SECRET" \
    --enable-dht=false --enable-dht6=false \
    --bt-enable-lpd="$(bool "$BT_LPD")" --enable-peer-exchange="$(bool "$BT_PEX")" \
    --listen-port="$BT_LISTEN_PORT" \
    --bt-hash-check-seed=true --bt-seed-unverified=false \
    --seed-ratio=0.0 \
    --file-allocation=none --allow-overwrite=true --auto-save-interval=0 \
    --bt-save-metadata=false --disable-ipv6=true \
    --console-log-level="$BT_LOG_LEVEL" --summary-interval=0 --show-console-readout=false \
    --enable-color=false --download-result=hide \
    --log="$fifo" --log-level=info \
    --stop-with-process=$$
  [ -n "$BT_TRACKERS" ] && set -- "$@" --bt-exclude-tracker='*' --bt-tracker="$BT_TRACKERS"
  [ "$BT_WEBSEED_AFTER" -gt 0 ] && set -- "$@" --pause=true
  # Every piece is checked against the torrent's SHA-1 as it arrives. Files left by an
  # earlier attempt are checked too before they count (on a fresh start there is nothing to
  # check, and aria2c would log the empty files as a "Checksum error").
  [ -e "$dir/$BT_NAME" ] && set -- "$@" --check-integrity=true
  log "aria2c: $BT_NAME from the swarm (port $BT_LISTEN_PORT, pex $BT_PEX, lpd $BT_LPD, trackers ${BT_TRACKERS:-from the torrent})"
  "$ARIA2C" "$@" "$torrent" &
  ARIA2_PID=$!
  i=0
  while [ "$i" -lt 50 ]; do
    if aria2_rpc getVersion >/dev/null; then
      [ "$BT_WEBSEED_AFTER" -gt 0 ] || return 0
      aria2_withhold_webseeds
      aria2_rpc unpause "\"$ARIA2_GID\"" >/dev/null && return 0
      ARIA2_ERROR="aria2c did not resume after the web seeds were set aside"
      aria2_stop
      return 1
    fi
    kill -0 "$ARIA2_PID" 2>/dev/null || break
    sleep 0.2
    i=$((i + 1))
  done
  ARIA2_ERROR="aria2c did not start: $(tail -n1 "$RUN_DIR/aria2.errors" 2>/dev/null)"
  aria2_stop
  return 1
}

# The web seed is the fallback, not a source like any other: every byte from it comes from the
# master, which is what the swarm is there to spare. So the torrent's web-seed URIs are taken
# out of the paused download and kept in $RUN_DIR/webseeds ("INDEX URI" lines, the URI as
# aria2 escaped it in JSON) until aria2_use_webseeds puts them back.
aria2_withhold_webseeds() {
  local list=$RUN_DIR/webseeds idx rec uri n=0
  : >"$list"
  # (The answer has no final newline, and read would drop its last line.)
  { aria2_rpc getFiles "\"$ARIA2_GID\""; echo; } | sed 's/"index":"/\n&/g' | sed -n 's/^"index":"\([0-9]*\)"/\1 /p' |
    while read -r idx rec; do
      printf '%s\n' "$rec" | grep -oE '"uri":"([^"\\]|\\.)*"' | sed -e 's/^"uri":"//' -e 's/"$//' -e "s/^/$idx /"
    done >"$list"
  while read -r idx uri; do
    aria2_rpc changeUri "\"$ARIA2_GID\",$idx,[\"$uri\"],[]" >/dev/null && n=$((n + 1))
  done <"$list"
  [ "$n" -gt 0 ] && log "web seed: $n URI(s) set aside; used only if the swarm sends nothing for $BT_WEBSEED_AFTER s"
}

# Returns 0 when web seeds are set aside (and may still be used).
aria2_webseeds_withheld() { [ -s "$RUN_DIR/webseeds" ]; }

# Gives the withheld web seeds back to the running download.
aria2_use_webseeds() {
  local idx uri
  while read -r idx uri; do
    aria2_rpc changeUri "\"$ARIA2_GID\",$idx,[],[\"$uri\"]" >/dev/null
  done <"$RUN_DIR/webseeds"
  : >"$RUN_DIR/webseeds"
}

# Sets A_<key> from aria2.tellStatus. Only keys whose values are plain words are taken, so
# the eval below never sees a quote or a shell metacharacter.
aria2_status() {
  local json
  A_status= A_totalLength= A_completedLength= A_uploadLength= A_downloadSpeed= A_uploadSpeed=
  A_connections= A_numSeeders= A_seeder= A_errorCode= A_infoHash= A_bitfield=
  json=$(aria2_rpc tellStatus "\"$ARIA2_GID\",[\"status\",\"totalLength\",\"completedLength\",\"uploadLength\",\"downloadSpeed\",\"uploadSpeed\",\"connections\",\"numSeeders\",\"seeder\",\"errorCode\",\"errorMessage\",\"infoHash\",\"bitfield\"]") || return 1
  eval "$(printf '%s' "$json" | sed -e 's/{/\n/g' -e 's/,"/\n"/g' |
    sed -n 's/^"\([a-zA-Z]*\)":"\([0-9a-zA-Z]*\)"}*$/A_\1=\2/p')"
  A_errorMessage=$(printf '%s' "$json" | sed -n 's/.*"errorMessage":"\(\([^"\\]\|\\.\)*\)".*/\1/p')
  [ -n "$A_status" ]
}

# Copies aria2's figures into the report fields.
aria2_progress() {
  P_DONE=$A_completedLength P_TOTAL=$A_totalLength P_DOWN=$A_downloadSpeed P_UP=$A_uploadSpeed
  P_UPLOADED=$A_uploadLength P_PEERS=$A_connections P_SEEDERS=$A_numSeeders
}

# Pieces verified so far: the set bits of aria2's hex bitfield. Unlike completedLength it
# never counts bytes of a piece that may still fail its hash check.
verified_pieces() {
  printf '%s\n' "$1" | awk 'BEGIN { split("0 1 1 2 1 2 2 3 1 2 2 3 2 3 3 4", v, " "); h = "0123456789abcdef"
      for (i = 1; i <= 16; i++) bits[substr(h, i, 1)] = v[i] }
    { n = 0; for (i = 1; i <= length($0); i++) n += bits[substr($0, i, 1)]; print n }'
}

# Stops aria2c: SIGTERM makes it tell the tracker it stopped and exit (the RPC shutdown
# methods always wait 3 s first, time a booting node should not lose); SIGKILL after 10 s.
aria2_stop() {
  [ -n "$ARIA2_PID" ] || return 0
  kill -TERM "$ARIA2_PID" 2>/dev/null
  local i=0
  while kill -0 "$ARIA2_PID" 2>/dev/null && [ "$i" -lt 50 ]; do
    sleep 0.2
    i=$((i + 1))
  done
  kill -KILL "$ARIA2_PID" 2>/dev/null
  wait "$ARIA2_PID" 2>/dev/null
  ARIA2_PID=
  [ -n "$AWK_PID" ] && kill "$AWK_PID" 2>/dev/null
  AWK_PID=
}
