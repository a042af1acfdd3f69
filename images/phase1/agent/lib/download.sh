# Phase-1 agent: the OS download and the linger (seeding) that follows it.

# download_os: the .torrent, then aria2c until every piece is verified. Reports progress
# every REPORT_INTERVAL seconds. Returns 1 with DL_CODE / DL_WHY set on a failure worth
# retrying; calls fail for one that is not.
download_os() {
  local torrent=$RUN_DIR/os.torrent
  log "GET $BT_TORRENT_URL"
  if ! http_get "$BT_TORRENT_URL" "$torrent"; then
    DL_CODE=BT_P1_TORRENT DL_WHY="cannot fetch the .torrent ($HTTP_STATUS): $HTTP_ERROR"
    return 1
  fi
  if ! aria2_start "$torrent"; then
    DL_CODE=BT_P1_DOWNLOAD DL_WHY=$ARIA2_ERROR
    return 1
  fi
  local pieces=-1 last_change t checked=0 n bad shown=0
  last_change=$(now)
  while :; do
    t=$(now)
    if aria2_status; then
      if [ "$checked" = 0 ] && [ -n "$A_infoHash" ]; then
        [ "$A_infoHash" = "$BT_INFOHASH" ] ||
          fail BT_P1_MANIFEST "the .torrent at $BT_TORRENT_URL has info-hash $A_infoHash, the manifest says $BT_INFOHASH"
        checked=1
      fi
      case $A_status in
        error | removed)
          DL_CODE=BT_P1_DOWNLOAD DL_WHY="aria2c stopped ($A_status, code ${A_errorCode:-?}): ${A_errorMessage:-see its log}"
          aria2_stop
          return 1
          ;;
      esac
      aria2_progress
      if is_uint "$A_totalLength" && [ "$A_totalLength" -gt 0 ] && [ "$A_completedLength" = "$A_totalLength" ]; then
        report downloading "download complete"
        log "download complete: $A_totalLength bytes"
        return 0
      fi
      report downloading
      n=$(verified_pieces "$A_bitfield")
      if [ "$n" -gt "$pieces" ]; then
        pieces=$n
        last_change=$t
      fi
      if [ $((t - shown)) -ge 5 ]; then
        log "downloading: $A_completedLength/$A_totalLength bytes, $A_downloadSpeed B/s, $A_connections peers ($A_numSeeders seeders)"
        shown=$t
      fi
    elif ! kill -0 "$ARIA2_PID" 2>/dev/null; then
      DL_CODE=BT_P1_DOWNLOAD DL_WHY="aria2c exited: $(tail -n1 "$RUN_DIR/aria2.errors")"
      ARIA2_PID=
      aria2_stop
      return 1
    fi
    if aria2_webseeds_withheld && [ $((t - last_change)) -ge "$BT_WEBSEED_AFTER" ]; then
      log "no new piece from the swarm for $BT_WEBSEED_AFTER s: downloading from the web seed too"
      aria2_use_webseeds
      report downloading "no new piece from the swarm for $BT_WEBSEED_AFTER s: web seed in use"
      # The stall clock restarts: the web seed gets its own full window.
      last_change=$t
    fi
    if [ $((t - last_change)) -ge "$STALL_SECONDS" ]; then
      bad=$(cat "$RUN_DIR/aria2.badpieces" 2>/dev/null)
      if is_uint "$bad" && [ "$bad" -gt 0 ]; then
        DL_CODE=BT_P1_CHECKSUM
        DL_WHY="checksum mismatch: $bad pieces failed their SHA-1 check and no good copy came in $STALL_SECONDS s"
      else
        DL_CODE=BT_P1_DOWNLOAD_STALLED
        DL_WHY="download stalled: no new piece in $STALL_SECONDS s (${P_DONE:-0}/${P_TOTAL:-?} bytes, ${P_PEERS:-0} peers, ${P_SEEDERS:-0} seeders)"
      fi
      aria2_stop
      return 1
    fi
    sleep "$REPORT_INTERVAL"
  done
}

# Sets BT_SWARM_* from GET /api/swarms/:infoHash?format=env; unknown when it fails.
query_swarm() {
  local file=$RUN_DIR/swarm.env
  BT_SWARM_KNOWN=0 BT_SWARM_SEEDERS= BT_SWARM_LEECHERS= BT_SWARM_COMPLETED=
  http_get "$API/api/swarms/$BT_INFOHASH?format=env" "$file" || return 0
  env_doc_valid "$file" || return 0
  . "$file"
  is_uint "$BT_SWARM_LEECHERS" || BT_SWARM_KNOWN=0
}

# linger_done ELAPSED: prints why seeding may stop now, or nothing.
linger_done() {
  local elapsed=$1
  [ "$elapsed" -lt "$BT_LINGER_MIN" ] && return
  if [ "$elapsed" -ge "$BT_LINGER_MAX" ]; then
    echo "time cap of $BT_LINGER_MAX s reached"
  elif awk -v r="$BT_LINGER_RATIO" -v u="${P_UPLOADED:-0}" -v l="$BT_LENGTH" 'BEGIN { exit !(r > 0 && u >= r * l) }'; then
    echo "ratio cap reached (uploaded ${P_UPLOADED:-0} bytes >= $BT_LINGER_RATIO x $BT_LENGTH)"
  elif [ "$BT_LINGER_UNTIL_DONE" = 1 ] && [ "$BT_SWARM_KNOWN" = 1 ] && [ "$BT_SWARM_LEECHERS" = 0 ]; then
    echo "the tracker reports no leechers"
  fi
}

# Keeps seeding as the linger policy says: until the tracker reports no leechers for the
# info-hash, bounded by the time and ratio caps, and never shorter than BT_LINGER_MIN.
linger() {
  local start t elapsed=0 reason last_swarm=0
  start=$(now)
  BT_SWARM_KNOWN=0 BT_SWARM_LEECHERS=
  log "seeding: until swarm done $BT_LINGER_UNTIL_DONE, min $BT_LINGER_MIN s, max $BT_LINGER_MAX s, ratio $BT_LINGER_RATIO"
  report seeding "seeding (linger policy: min $BT_LINGER_MIN s, max $BT_LINGER_MAX s)"
  while :; do
    t=$(now)
    elapsed=$((t - start))
    aria2_status && aria2_progress
    if [ "$BT_LINGER_UNTIL_DONE" = 1 ] && [ $((t - last_swarm)) -ge "$SWARM_POLL" ]; then
      query_swarm
      last_swarm=$t
    fi
    reason=$(linger_done "$elapsed")
    [ -n "$reason" ] && break
    report seeding "seeding for $elapsed s, uploaded ${P_UPLOADED:-0} bytes, ${BT_SWARM_LEECHERS:-?} leechers"
    sleep "$REPORT_INTERVAL"
  done
  log "seeding done after $elapsed s: $reason (uploaded ${P_UPLOADED:-0} bytes)"
  LINGER_REASON=$reason
}
