# Phase-1 agent: progress reports, POST $API/api/nodes/$NODE_MAC/progress with a
# Phase1Report JSON body (packages/contracts/src/node.ts). The schema is strict: only
# its keys are sent, and a key is left out when its value is unknown.

# The latest figures from aria2c (see aria2.sh); empty until a download runs.
P_DONE= P_TOTAL= P_DOWN= P_UP= P_UPLOADED= P_PEERS= P_SEEDERS=

# report STATE MESSAGE [ERROR_CODE ERROR_MESSAGE]
report() {
  local state=$1 message=${2:-} code=${3:-} emsg=${4:-}
  local body="\"state\":\"$state\""
  # A value the schema would refuse (e.g. from an invalid manifest) is left out, so that the
  # report itself, usually the one saying what went wrong, is accepted.
  local os=${BT_OS:-}
  valid_os_name "$os" || os=${OS:-}
  valid_os_name "$os" && body="$body,\"os\":\"$os\""
  case ${BT_INFOHASH:-} in
    *[!0-9a-f]* | '') ;;
    *) [ ${#BT_INFOHASH} -eq 40 ] && body="$body,\"infoHash\":\"$BT_INFOHASH\"" ;;
  esac
  [ -n "${NODE_IP:-}" ] && body="$body,\"ip\":\"$NODE_IP\""
  local pair key value
  for pair in bytesDone:$P_DONE bytesTotal:$P_TOTAL downloadRate:$P_DOWN uploadRate:$P_UP \
    uploaded:$P_UPLOADED peers:$P_PEERS seeders:$P_SEEDERS; do
    key=${pair%%:*}
    value=${pair#*:}
    is_uint "$value" && body="$body,\"$key\":$value"
  done
  [ -n "$message" ] && body="$body,\"message\":\"$(json_str "$message")\""
  [ -n "$code" ] && body="$body,\"error\":{\"code\":\"$(json_str "$code")\",\"message\":\"$(json_str "$emsg")\"}"
  # What we told the master, for the rescue shell (and the agent tests):
  # "<uptime seconds> <ok|fail> <json>".
  local log=$RUN_DIR/reports.log status=ok
  http_post_json "$API/api/nodes/$NODE_MAC/progress" "{$body}" || status=fail
  [ -f "$log" ] && [ "$(wc -c <"$log")" -gt 262144 ] && mv -f "$log" "$log.1"
  printf '%s %s {%s}\n' "$(cut -d' ' -f1 /proc/uptime)" "$status" "$body" >>"$log"
  [ "$status" = ok ]
}
