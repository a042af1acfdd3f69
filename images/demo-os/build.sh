#!/usr/bin/env bash
# Builds the BootTorrent demo OS: an OS folder for a project's oss/<name>/, holding the same
# Debian cloud kernel as phase-1, a busybox initrd that prints "BootTorrent demo OS <name>
# booted", gets a DHCP lease and POSTs state=booted to the boot API (bt.api / bt.node on
# its command line, which phase-1 appends), and optionally a padding payload so the swarm
# has real bytes to move.
#
#   images/demo-os/build.sh --out DIR [--name NAME] [--payload-mib M] [--cmdline STR]
#                           [--cache DIR]
#
# DIR gets vmlinuz, initrd, config.yaml and (with --payload-mib) payload.bin: M MiB of
# pseudo-random bytes from AES-CTR keyed by the name, the same on every host (a
# deterministic torrent), and incompressible like a real image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

readonly nic_modules=(virtio_pci virtio_net vmxnet3 hv_netvsc xen-netfront ena gve)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

parse_args() {
  name=demo
  out=
  payload_mib=0
  cmdline="console=tty0 console=ttyS0 panic=10"
  cache=${BT_BUILD_CACHE:-$repo_root/.cache/phase1-build}
  while (($#)); do
    case $1 in
      --out) out=${2:?--out needs a directory}; shift 2 ;;
      --name) name=${2:?--name needs a value}; shift 2 ;;
      --payload-mib) payload_mib=${2:?--payload-mib needs a number}; shift 2 ;;
      --cmdline) cmdline=${2?--cmdline needs a value}; shift 2 ;;
      --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
      -h | --help) usage 0 ;;
      *) printf 'unknown argument: %s\n' "$1" >&2; usage 2 ;;
    esac
  done
  [[ -n $out ]] || die "--out DIR is required"
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || die "--name must be an OS name (letters, digits, . _ -)"
  [[ $payload_mib =~ ^[0-9]+$ ]] || die "--payload-mib must be a whole number of MiB"
  mkdir -p "$out" "$cache"
  out=$(cd "$out" && pwd)
  cache=$(cd "$cache" && pwd)
}

# M MiB from AES-128-CTR over zeros with a key derived from the OS name: fast (GB/s),
# incompressible, and byte-identical on every host.
write_payload() {
  local file=$1 mib=$2 key
  key=$(printf 'boottorrent-demo-os:%s' "$name" | sha256sum | cut -c1-32)
  head -c $((mib * 1048576)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K "$key" -iv 00000000000000000000000000000000 >"$file.tmp"
  mv "$file.tmp" "$file"
}

write_config() {
  cat >"$out/config.yaml" <<EOF
# BootTorrent demo OS "$name", written by images/demo-os/build.sh.
dispname: "BootTorrent demo OS ($name)"
method: kexec
kernel: vmlinuz
initrd: initrd
# phase-1 appends bt.api=, bt.node= and bt.os= so that the OS can report it booted.
cmdline: '${cmdline//\'/\'\'}'
EOF
}

main() {
  parse_args "$@"
  lock_cache "$cache"
  work=$cache/work/demo-os-$$
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"

  step "apt: private package lists"
  apt_setup "$cache" "${BT_DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
    "${BT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}" \
    "${BT_DEBIAN_SUITE:-bookworm}" "${BT_APT_MAX_AGE:-86400}"
  step "fetch kernel and busybox (.deb)"
  local kernel_pkg kernel_deb busybox_deb
  kernel_pkg=$(apt_kernel_package linux-image-cloud-amd64)
  kernel_deb=$(apt_fetch_deb "$kernel_pkg" "$(apt_binary_version "$kernel_pkg")" "$cache/debs")
  busybox_deb=$(apt_fetch_deb busybox-static "$(apt_binary_version busybox-static)" "$cache/debs")
  dpkg-deb -x "$kernel_deb" "$work/kernel"
  dpkg-deb -x "$busybox_deb" "$work/busybox"
  local kver epoch
  kver=$(basename "$(find "$work/kernel/lib/modules" -mindepth 1 -maxdepth 1 -type d)")
  epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$work/kernel/boot/vmlinuz-$kver")}

  step "demo OS $name: initrd"
  local root=$work/root
  make_skeleton "$root"
  install_busybox "$work/busybox/bin/busybox" "$root"
  install_modules "$work/kernel" "$root" "$kver" "${nic_modules[@]}" >/dev/null
  install -m 0755 "$here/init" "$root/init"
  install -D -m 0755 "$repo_root/images/phase1/agent/udhcpc.script" "$root/usr/lib/demo/udhcpc.script"
  printf '%s\n' "$name" >"$root/etc/demo-os-name"
  pack_initrd "$root" "$out/initrd" xz "$epoch"
  cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
  touch -d "@$epoch" "$out/vmlinuz" "$out/initrd"

  rm -f "$out/payload.bin"
  if ((payload_mib > 0)); then
    step "payload: $payload_mib MiB"
    write_payload "$out/payload.bin" "$payload_mib"
    touch -d "@$epoch" "$out/payload.bin"
  fi
  write_config
  step "done: $out"
  local f
  for f in vmlinuz initrd payload.bin config.yaml; do
    [[ -f $out/$f ]] && info "$(printf '%-12s %s' "$f" "$(mib "$(size_of "$out/$f")")")"
  done
  return 0
}

# One compound command: bash parses it whole, so editing this file mid-build is harmless.
{
  main "$@"
  exit
}
