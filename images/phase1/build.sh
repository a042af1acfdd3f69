#!/usr/bin/env bash
# Builds the phase-1 image every node boots first: a Debian kernel and an initramfs holding
# busybox, a static aria2c, a static kexec, the NIC modules and the phase-1 agent.
#
#   images/phase1/build.sh [--flavour cloud|generic] [--out DIR] [--cache DIR]
#                          [--compression xz|zstd] [--jobs N]
#   images/phase1/build.sh [--flavour ...] --print-recipe-hash
#       prints the digest of the recipe (this folder, images/lib, flavour, compression)
#       that manifest.json records, without building: equal digests, equal images.
#
# Output: DIR/vmlinuz, DIR/initrd, DIR/manifest.json (sizes, sha256, package versions).
# Nothing is installed on the host: packages come from `apt-get download` / `apt-get source`
# with a private apt configuration under the cache directory, and are unpacked with
# dpkg-deb / dpkg-source. The static aria2c and kexec are compiled once per source version
# and kept in the cache, so a second build takes seconds.
#
# Reproducible: the same inputs (package versions, this directory) give the same initrd
# digest (fixed mtimes from SOURCE_DATE_EPOCH, sorted cpio list, single-threaded xz).
#
# Every environment variable below has a flag; flags win.
#   BT_PHASE1_FLAVOUR   cloud (virtual machines, default) or generic (real hardware NICs)
#   BT_PHASE1_OUT       output directory            (default <repo>/.cache/phase1)
#   BT_BUILD_CACHE      downloads + compiled tools  (default <repo>/.cache/phase1-build)
#   BT_INITRD_COMPRESSION  xz (smallest, default) or zstd (faster to unpack)
#   BT_DEBIAN_MIRROR, BT_DEBIAN_SECURITY_MIRROR, BT_DEBIAN_SUITE (bookworm)
#   BT_APT_MAX_AGE      seconds before the private apt lists are refreshed (default 86400)
#   SOURCE_DATE_EPOCH   mtime of every initrd file (default: the kernel package's build time)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

# NIC drivers per flavour. Entries ending in "/" take every module under that directory of
# the kernel tree. Dependencies are added from modules.dep.
readonly cloud_modules=(
  virtio_pci virtio_net vmxnet3 hv_netvsc xen-netfront ena gve
)
readonly generic_modules=(
  virtio_pci virtio_net vmxnet3 hv_netvsc xen-netfront
  kernel/drivers/net/ethernet/ kernel/drivers/net/phy/ kernel/drivers/net/mdio/
)

# aria2: BitTorrent with its internal SHA-1/ARC4/bignum, no TLS (the boot LAN speaks plain
# HTTP), no XML (metalink), no DNS library: the smallest build that still has JSON-RPC.
readonly aria2_configure=(
  --disable-nls --disable-ssl --without-openssl --without-gnutls --without-libnettle
  --without-libgmp --without-libgcrypt --disable-metalink --without-libxml2 --without-libexpat
  --without-sqlite3 --without-libssh2 --without-libcares --without-libuv --without-libz
  --disable-websocket --disable-dependency-tracking ARIA2_STATIC=yes
)
readonly aria2_cflags="-Os -g0 -ffunction-sections -fdata-sections"
readonly aria2_ldflags="-Wl,--gc-sections"
# kexec: no Xen (Debian's links libxen*), no zlib/lzma (we load a plain bzImage).
readonly kexec_configure=(--without-xen --without-zlib --without-lzma)
readonly kexec_cflags="-Os -g0"
readonly kexec_ldflags="-static"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

parse_args() {
  flavour=${BT_PHASE1_FLAVOUR:-cloud}
  out=${BT_PHASE1_OUT:-$repo_root/.cache/phase1}
  cache=${BT_BUILD_CACHE:-$repo_root/.cache/phase1-build}
  compression=${BT_INITRD_COMPRESSION:-xz}
  jobs=$(nproc)
  print_recipe_hash=0
  while (($#)); do
    case $1 in
      --flavour) flavour=${2:?--flavour needs a value}; shift 2 ;;
      --out) out=${2:?--out needs a directory}; shift 2 ;;
      --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
      --compression) compression=${2:?--compression needs xz or zstd}; shift 2 ;;
      --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
      --print-recipe-hash) print_recipe_hash=1; shift ;;
      -h | --help) usage 0 ;;
      *) printf 'unknown argument: %s\n' "$1" >&2; usage 2 ;;
    esac
  done
  case $flavour in cloud | generic) ;; *) die "flavour must be cloud or generic, not $flavour" ;; esac
  case $compression in xz | zstd) ;; *) die "compression must be xz or zstd, not $compression" ;; esac
  if ((print_recipe_hash)); then
    recipe_hash
    exit 0
  fi
  mkdir -p "$out" "$cache"
  out=$(cd "$out" && pwd)
  cache=$(cd "$cache" && pwd)
}

# A digest of everything in the repo that shapes the image (this script, the shared
# library, the agent). Tests reuse an existing build while it matches.
recipe_hash() {
  (cd "$repo_root" && find images/lib images/phase1 -type f ! -path '*/test/*' ! -name '*.md' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum; printf '%s %s\n' "$flavour" "$compression") |
    sha256sum | cut -c1-16
}

# --- Source patches -----------------------------------------------------------------------
# images/phase1/patches/<Debian source name>-*.patch (e.g. aria2-lan-plain-handshake.patch)
# are our own changes to a tool built from Debian's source, each file saying why it exists.
# They are applied with `patch -p1`, in name order, to the unpacked source before configure,
# and their contents are part of the tool's cache key: editing a patch rebuilds the tool.
source_patches() {
  compgen -G "$here/patches/$1-*.patch" | LC_ALL=C sort || true
}

# Prints a digest of the source's patches, or nothing when it has none (so the cache key of
# an unpatched tool stays what it was).
source_patches_digest() {
  local files
  files=$(source_patches "$1")
  [[ -n $files ]] || return 0
  # shellcheck disable=SC2086
  cat $files | sha256sum | cut -c1-16
}

apply_source_patches() {
  local src=$1 tree=$2 patch_file
  while IFS= read -r patch_file; do
    [[ -n $patch_file ]] || continue
    info "$src: applying patches/$(basename "$patch_file")" >&2
    patch -d "$tree" -p1 --forward --batch --quiet <"$patch_file" >&2 ||
      die "$src: patches/$(basename "$patch_file") does not apply to Debian's $src source"
  done < <(source_patches "$src")
}
# --- end of source patches ----------------------------------------------------------------

# Compiles a static tool from Debian's source once per (source version, recipe, compiler)
# and prints the cached binary's path. $4... are configure arguments.
build_static_tool() {
  local name=$1 src=$2 version=$3 binary_in_tree=$4 cflags=$5 ldflags=$6
  shift 6
  local key
  key=$(printf '%s\n' "$version" "$*" "$cflags" "$ldflags" "$(gcc -dumpfullversion)" $(source_patches_digest "$src") | sha256sum | cut -c1-12)
  local bin=$cache/tools/$name-$version-$key
  if [[ -x $bin ]]; then
    info "$name $version: cached ($(mib "$(size_of "$bin")"))" >&2
    printf '%s\n' "$bin"
    return
  fi
  # A fixed tree path keeps the compiled objects identical from build to build.
  local tree=$cache/work/$name-src log=$cache/logs/$name.log
  mkdir -p "$cache/tools" "$cache/logs"
  info "$name $version: fetching Debian source" >&2
  apt_fetch_source "$src" "$version" "$tree"
  apply_source_patches "$src" "$tree"
  info "$name $version: compiling (log: $log)" >&2
  if ! (cd "$tree" && ./configure "$@" CFLAGS="$cflags" CXXFLAGS="$cflags" LDFLAGS="$ldflags" &&
    make -j"$jobs") >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    die "$name: compiling Debian's $src $version failed; last line: $(grep -v '^\s*$' "$log" | tail -n1)"
  fi
  strip -o "$bin.tmp" "$tree/$binary_in_tree"
  mv "$bin.tmp" "$bin"
  rm -rf "$tree"
  info "$name $version: built ($(mib "$(size_of "$bin")"))" >&2
  printf '%s\n' "$bin"
}

# Expands module names and "dir/" entries to module names present in this kernel.
module_names() {
  local kroot=$1 kver=$2
  shift 2
  local entry
  for entry in "$@"; do
    if [[ $entry == */ ]]; then
      [[ -d $kroot/lib/modules/$kver/$entry ]] || continue
      find "$kroot/lib/modules/$kver/$entry" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*$//'
    else
      printf '%s\n' "$entry"
    fi
  done | LC_ALL=C sort -u
}

install_agent() {
  local root=$1
  install -m 0755 "$here/agent/init" "$root/init"
  install -D -m 0755 "$here/agent/bt-agent" "$root/usr/bin/bt-agent"
  mkdir -p "$root/usr/lib/bt"
  install -m 0644 "$here"/agent/lib/*.sh "$root/usr/lib/bt/"
  install -m 0755 "$here/agent/udhcpc.script" "$root/usr/lib/bt/udhcpc.script"
}

write_manifest() {
  local file=$1 modules_count=$2
  local kernel_sha initrd_sha
  kernel_sha=$(sha256_of "$stage/vmlinuz")
  initrd_sha=$(sha256_of "$stage/initrd")
  cat >"$file" <<EOF
{
  "format": 1,
  "target": "phase1",
  "flavour": "$flavour",
  "kernelVersion": "$kver",
  "compression": "$compression",
  "recipeHash": "$(recipe_hash)",
  "sourceDateEpoch": $epoch,
  "builtAt": $(($(date +%s) * 1000)),
  "files": [
    { "file": "vmlinuz", "size": $(size_of "$stage/vmlinuz"), "sha256": "$kernel_sha" },
    { "file": "initrd", "size": $(size_of "$stage/initrd"), "sha256": "$initrd_sha" }
  ],
  "packages": {
    "$kernel_pkg": "$kernel_version",
    "busybox-static": "$busybox_version",
    "aria2 (source)": "$aria2_version",
    "kexec-tools (source)": "$kexec_version"
  },
  "contents": {
    "aria2c": $(size_of "$aria2c"),
    "kexec": $(size_of "$kexec"),
    "busybox": $(size_of "$busybox_root/bin/busybox"),
    "modules": $modules_count,
    "initrdUncompressed": $initrd_raw_size
  }
}
EOF
}

main() {
  parse_args "$@"
  lock_cache "$cache"
  local started=$SECONDS
  work=$cache/work/phase1-$$
  stage=$out.partial-$$
  trap 'rm -rf "$work" "$stage"' EXIT
  rm -rf "$work" "$stage"
  mkdir -p "$work" "$stage"

  step "apt: private package lists"
  apt_setup "$cache" "${BT_DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
    "${BT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}" \
    "${BT_DEBIAN_SUITE:-bookworm}" "${BT_APT_MAX_AGE:-86400}"

  step "resolve package versions ($flavour kernel)"
  local meta=linux-image-amd64
  [[ $flavour == cloud ]] && meta=linux-image-cloud-amd64
  kernel_pkg=$(apt_kernel_package "$meta")
  kernel_version=$(apt_binary_version "$kernel_pkg")
  busybox_version=$(apt_binary_version busybox-static)
  aria2_version=$(apt_source_version aria2)
  kexec_version=$(apt_source_version kexec-tools)
  info "$kernel_pkg $kernel_version, busybox-static $busybox_version, aria2 $aria2_version, kexec-tools $kexec_version"

  step "fetch kernel and busybox (.deb)"
  local kernel_deb busybox_deb
  kernel_deb=$(apt_fetch_deb "$kernel_pkg" "$kernel_version" "$cache/debs")
  busybox_deb=$(apt_fetch_deb busybox-static "$busybox_version" "$cache/debs")
  local kroot=$work/kernel
  busybox_root=$work/busybox
  dpkg-deb -x "$kernel_deb" "$kroot"
  dpkg-deb -x "$busybox_deb" "$busybox_root"
  kver=$(basename "$(find "$kroot/lib/modules" -mindepth 1 -maxdepth 1 -type d)")
  epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$kroot/boot/vmlinuz-$kver")}
  export SOURCE_DATE_EPOCH=$epoch

  step "static aria2c (Debian source $aria2_version)"
  aria2c=$(build_static_tool aria2c aria2 "$aria2_version" src/aria2c "$aria2_cflags" "$aria2_ldflags" "${aria2_configure[@]}")
  step "static kexec (Debian source $kexec_version)"
  kexec=$(build_static_tool kexec kexec-tools "$kexec_version" build/sbin/kexec "$kexec_cflags" "$kexec_ldflags" "${kexec_configure[@]}")

  step "assemble the initramfs tree"
  local root=$work/root
  make_skeleton "$root"
  install_busybox "$busybox_root/bin/busybox" "$root"
  install -m 0755 "$aria2c" "$root/usr/bin/aria2c"
  install -m 0755 "$kexec" "$root/usr/sbin/kexec"
  local flavour_modules=("${cloud_modules[@]}")
  [[ $flavour == generic ]] && flavour_modules=("${generic_modules[@]}")
  mapfile -t names < <(module_names "$kroot" "$kver" "${flavour_modules[@]}")
  install_modules "$kroot" "$root" "$kver" "${names[@]}" >"$work/modules.txt"
  local modules_count
  modules_count=$(grep -c . "$work/modules.txt" || true)
  info "$modules_count kernel modules ($(du -sh "$root/lib/modules" | cut -f1))"
  install_agent "$root"
  printf 'BootTorrent phase-1 (%s kernel %s, recipe %s)\n' "$flavour" "$kver" "$(recipe_hash)" >"$root/etc/bt-release"

  step "pack initrd (cpio newc + $compression)"
  initrd_raw_size=$(du -sb --apparent-size "$root" | cut -f1)
  pack_initrd "$root" "$stage/initrd" "$compression" "$epoch"
  cp "$kroot/boot/vmlinuz-$kver" "$stage/vmlinuz"
  touch -d "@$epoch" "$stage/vmlinuz" "$stage/initrd"

  step "manifest"
  write_manifest "$stage/manifest.json" "$modules_count"
  # Replace the previous artifacts file by file (each rename is atomic); the manifest goes
  # last, so a reader that sees the new manifest sees the new files.
  local f
  for f in vmlinuz initrd manifest.json; do mv -f "$stage/$f" "$out/$f"; done

  local k i
  k=$(size_of "$out/vmlinuz")
  i=$(size_of "$out/initrd")
  step "done in $((SECONDS - started)) s"
  info "vmlinuz  $(mib "$k")  $(sha256_of "$out/vmlinuz")"
  info "initrd   $(mib "$i")  $(sha256_of "$out/initrd")"
  info "total    $(mib $((k + i)))  (aria2c $(mib "$(size_of "$aria2c")"), kexec $(mib "$(size_of "$kexec")"), busybox $(mib "$(size_of "$busybox_root/bin/busybox")"))"
  info "output   $out"
}

# One compound command: bash parses it whole, so editing this file mid-build is harmless.
{
  main "$@"
  exit
}
