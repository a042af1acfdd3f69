# Phase-1 agent: kernel arguments, NIC drivers, DHCP, and who we are on the network.

# cmdline_arg NAME FILE: the value of NAME=... on the kernel command line ("" when absent).
# Values cannot contain spaces (iPXE passes URLs, names and MACs).
cmdline_arg() {
  local word
  for word in $(cat "$2"); do
    case $word in "$1"=*) printf '%s\n' "${word#*=}" ;; esac
  done | tail -n1
}

# Loads the driver of every device the kernel has found (PCI, virtio, VMBus, Xen...) by
# its modalias, as udev would. Twice: virtio_pci creates the virtio devices whose driver
# (virtio_net) only then has something to bind to.
load_nic_drivers() {
  local pass aliases
  for pass in 1 2 3; do
    aliases=$(cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u)
    [ -n "$aliases" ] || return 0
    # shellcheck disable=SC2086
    modprobe -q -a $aliases 2>/dev/null
    sleep 0.3
  done
}

# Ethernet interfaces (ARP type 1), the one iPXE booted from (bt.node) first.
ethernet_ifaces() {
  local dev first= rest=
  for dev in /sys/class/net/*; do
    [ "$(cat "$dev/type" 2>/dev/null)" = 1 ] || continue
    if [ -n "${NODE_MAC:-}" ] && [ "$(cat "$dev/address")" = "$NODE_MAC" ]; then
      first=${dev##*/}
    else
      rest="$rest ${dev##*/}"
    fi
  done
  echo $first $rest
}

# Brings up the network with busybox udhcpc; retries with backoff over every Ethernet
# interface. The lease script records what it got in $RUN_DIR/lease.env.
dhcp_up() {
  local attempt=1 iface ifaces
  while [ "$attempt" -le "$DHCP_ATTEMPTS" ]; do
    ifaces=$(ethernet_ifaces)
    if [ -z "$ifaces" ]; then
      log "no Ethernet interface yet (attempt $attempt/$DHCP_ATTEMPTS); loading drivers again"
      load_nic_drivers
    fi
    for iface in $ifaces; do
      ip link set "$iface" up
      log "DHCP on $iface ($(cat "/sys/class/net/$iface/address"))"
      if udhcpc -i "$iface" -f -q -n -t 4 -T 2 -s "$LIB_DIR/udhcpc.script" -x hostname:bt-phase1 >"$RUN_DIR/udhcpc.log" 2>&1; then
        . "$RUN_DIR/lease.env"
        log "lease: $LEASE_IP/$LEASE_MASK on $LEASE_IFACE (router ${LEASE_ROUTER:-none})"
        return 0
      fi
    done
    local delay
    delay=$(backoff_delay "$attempt")
    log "no DHCP lease (attempt $attempt/$DHCP_ATTEMPTS on: ${ifaces:-no interface}); retrying in $delay s"
    sleep "$delay"
    attempt=$((attempt + 1))
  done
  fail BT_P1_NO_DHCP "no DHCP lease after $DHCP_ATTEMPTS attempts on: ${ifaces:-no Ethernet interface (missing NIC driver?)}"
}

# This node's IPv4 address: the lease's, else the first global address (host tests).
node_ip() {
  if [ -n "${LEASE_IP:-}" ]; then
    echo "$LEASE_IP"
    return
  fi
  ip -4 -o addr show scope global 2>/dev/null | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n1
}

# This node's MAC: bt.node from iPXE, else the leased interface's, else the first one's.
node_mac() {
  local iface=${LEASE_IFACE:-$(ethernet_ifaces | cut -d' ' -f1)}
  [ -n "$iface" ] && cat "/sys/class/net/$iface/address" 2>/dev/null
}
