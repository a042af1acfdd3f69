# Shared by images/phase1/build.sh and images/demo-os/build.sh (sourced, not run).
#
# Everything here fetches from Debian's archive with a PRIVATE apt configuration under the
# build cache: the host's apt sources, lists and dpkg database are never read or changed,
# and nothing is installed on the host.
# shellcheck shell=bash

# Progress lines the image-builder service streams: "==> step" starts a step.
step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Builds sharing a cache directory run one at a time: they unpack and compile in it.
lock_cache() {
  mkdir -p "$1"
  exec {cache_lock_fd}>"$1/.lock"
  if ! flock -n "$cache_lock_fd"; then
    info "waiting for another build using $1"
    flock "$cache_lock_fd"
  fi
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { if (b < 1048576) printf "%.1f KiB", b / 1024; else printf "%.1f MiB", b / 1048576 }'; }

# ---------------------------------------------------------------------------------------
# Private apt: a sources.list with deb + deb-src lines, its own lists, cache and an empty
# dpkg status, so `apt-get download` / `apt-get source` resolve the same candidates on any
# host whatever it has installed or pinned.
# ---------------------------------------------------------------------------------------
APT_OPTS=()

apt_setup() {
  local cache=$1 mirror=$2 security_mirror=$3 suite=$4 max_age_s=$5
  local dir=$cache/apt
  mkdir -p "$dir"/lists/partial "$dir"/parts "$dir"/cache/archives/partial
  : >"$dir/status"
  : >"$dir/preferences"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  local list
  list=$(
    for type in deb deb-src; do
      printf '%s [signed-by=%s] %s %s main\n' "$type" "$keyring" "$mirror" "$suite"
      printf '%s [signed-by=%s] %s %s-updates main\n' "$type" "$keyring" "$mirror" "$suite"
      printf '%s [signed-by=%s] %s %s-security main\n' "$type" "$keyring" "$security_mirror" "$suite"
    done
  )
  local changed=0
  if [[ ! -f $dir/sources.list ]] || [[ $(cat "$dir/sources.list") != "$list" ]]; then
    printf '%s\n' "$list" >"$dir/sources.list"
    changed=1
  fi
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$dir/sources.list"
    -o "Dir::Etc::SourceParts=$dir/parts"
    -o "Dir::Etc::Preferences=$dir/preferences"
    -o "Dir::Etc::PreferencesParts=$dir/parts"
    -o "Dir::State::Lists=$dir/lists"
    -o "Dir::State::status=$dir/status"
    -o "Dir::Cache=$dir/cache"
    -o "APT::Architecture=amd64"
    -o "APT::Architectures=amd64"
    -o "Acquire::Languages=none"
    # We run as root and write into our own cache: no need to drop to the _apt user.
    -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
  # Refresh the lists when missing, when the sources changed, or when older than max_age_s:
  # a cached build must not need the network at all.
  local stamp=$dir/updated
  local age=$max_age_s
  [[ -f $stamp ]] && age=$(($(date +%s) - $(stat -c %Y "$stamp")))
  if ((changed)) || [[ ! -f $stamp ]] || ((age >= max_age_s)); then
    info "apt-get update (private lists in $dir)"
    if apt-get "${APT_OPTS[@]}" -qq --error-on=any update; then
      touch "$stamp"
    elif ((!changed)) && [[ -f $stamp ]]; then
      # Lists from an earlier update still name packages that exist: better than no build.
      info "warning: apt-get update failed; using the package lists of $(date -r "$stamp" '+%F %T')"
    else
      die "apt-get update failed (is $mirror reachable?)"
    fi
  fi
}

# The version apt would download for a binary package (its candidate), e.g. 1:1.35.0-4+deb12u1+b1.
apt_binary_version() {
  local version
  version=$(apt-cache "${APT_OPTS[@]}" policy "$1" | awk '/Candidate:/ { print $2 }')
  [[ -n $version && $version != "(none)" ]] || die "Debian has no package $1"
  printf '%s\n' "$version"
}

# The newest source version of a source package, e.g. 1.36.0-1.
apt_source_version() {
  apt-cache "${APT_OPTS[@]}" showsrc --only-source "$1" | awk '/^Version:/ { print $2 }' |
    sort -V | tail -n1 | grep . || die "Debian has no source package $1"
}

# The real kernel image package behind a meta package (linux-image-cloud-amd64 ->
# linux-image-6.1.0-NN-cloud-amd64).
apt_kernel_package() {
  local pkg
  pkg=$(apt-cache "${APT_OPTS[@]}" depends "$1" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [[ -n $pkg ]] || die "cannot resolve kernel meta package $1"
  printf '%s\n' "$pkg"
}

# Downloads PKG=VERSION into DIR (once) and prints the .deb's path.
apt_fetch_deb() {
  local pkg=$1 version=$2 dir=$3
  mkdir -p "$dir"
  local file=$dir/${pkg}_${version//:/%3a}_amd64.deb
  if [[ ! -s $file ]]; then
    (cd "$dir" && apt-get "${APT_OPTS[@]}" -qq download "$pkg=$version") >&2 || die "apt-get download $pkg=$version failed"
  fi
  [[ -s $file ]] || die "apt-get download did not produce $file"
  printf '%s\n' "$file"
}

# Downloads and unpacks (with Debian's patches applied) source SRC=VERSION into DEST.
apt_fetch_source() {
  local src=$1 version=$2 dest=$3
  local dl
  dl=$(dirname "$dest")/dl-$src-$version
  mkdir -p "$dl"
  (cd "$dl" && apt-get "${APT_OPTS[@]}" -qq source --download-only "$src=$version") >&2 ||
    die "apt-get source $src=$version failed"
  rm -rf "$dest"
  dpkg-source --no-check -x "$dl"/"${src}"_"${version#*:}".dsc "$dest" >/dev/null ||
    die "dpkg-source -x $src $version failed"
  # dpkg-source leaves a copy of the upstream tarball next to the tree.
  rm -rf "$dl" "$(dirname "$dest")/${src}"_*.orig.tar.*
}

# ---------------------------------------------------------------------------------------
# Reproducible initramfs: every file gets the same mtime, uid/gid 0, the list is sorted
# bytewise, cpio writes newc with --reproducible (no inode/device numbers), and the
# compressor runs single-threaded with fixed settings.
# ---------------------------------------------------------------------------------------
pack_initrd() {
  local root=$1 out=$2 compression=$3 epoch=$4
  find "$root" -exec touch -h -d "@$epoch" {} +
  local cpio_out=$out.cpio
  (cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    cpio --quiet --reproducible -o -H newc -R 0:0) >"$cpio_out"
  case $compression in
    # The kernel's xz decoder only knows CRC32 checks; 1 MiB dictionaries are what
    # the kernel's own initramfs build uses (bigger gains little and costs RAM at boot).
    xz) xz -T1 --check=crc32 --lzma2=preset=9e,dict=1MiB -c "$cpio_out" >"$out" ;;
    zstd) zstd -q -T1 -19 -c "$cpio_out" >"$out" ;;
    none) cp "$cpio_out" "$out" ;;
    *) die "unknown compression $compression (xz, zstd or none)" ;;
  esac
  rm -f "$cpio_out"
}

# busybox and one symlink per applet, at the paths busybox itself lists. The links are
# relative, so an unpacked initrd runs its own busybox on a build host too (the agent tests).
install_busybox() {
  local busybox=$1 root=$2
  install -D -m 0755 "$busybox" "$root/bin/busybox"
  local applet dir up
  while read -r applet; do
    [[ $applet == bin/busybox ]] && continue
    dir=$(dirname "$applet")
    up=$(printf '%s\n' "$dir" | sed 's|[^/]*|..|g')
    mkdir -p "$root/$dir"
    ln -sf "$up/bin/busybox" "$root/$applet"
  done < <("$root/bin/busybox" --list-full | LC_ALL=C sort)
}

# The base directories of a busybox initramfs.
make_skeleton() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc,proc,sys,dev,run,tmp,root,var}
  chmod 1777 "$root/tmp"
  # The kernel opens /dev/console before /init runs; without the node it warns "unable to
  # open an initial console" (init still redirects itself once devtmpfs is mounted).
  # mknod needs root, so a build without root skips it.
  if [[ $(id -u) -eq 0 ]]; then
    mknod -m 600 "$root/dev/console" c 5 1
    mknod -m 666 "$root/dev/null" c 1 3
  fi
}

# Copies the named kernel modules (and every module they depend on) from KROOT into ROOT
# and runs depmod there. Prints the module files included.
install_modules() {
  local kroot=$1 root=$2 kver=$3
  shift 3
  local mods=$kroot/lib/modules/$kver
  [[ -f $mods/modules.dep ]] || depmod -b "$kroot" "$kver"
  local wanted=() name path
  for name in "$@"; do
    path=$(awk -F: -v n="$name" '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.[a-z]+)?$/, "", f); gsub(/-/, "_", f);
      m = n; gsub(/-/, "_", m); if (f == m) { print $1; exit } }' "$mods/modules.dep")
    if [[ -z $path ]]; then
      # Built into this kernel, or not part of it: nothing to copy.
      grep -q "/${name//-/[-_]}.ko" "$mods/modules.builtin" 2>/dev/null || info "module $name not in $kver (skipped)" >&2
      continue
    fi
    wanted+=("$path")
  done
  # Close over dependencies: modules.dep lists each module's full dependency chain.
  local all
  all=$(for path in "${wanted[@]}"; do
    grep "^$path:" "$mods/modules.dep" | tr -d ':' | tr ' ' '\n'
  done | grep . | LC_ALL=C sort -u)
  local dest=$root/lib/modules/$kver
  mkdir -p "$dest"
  for path in $all; do install -D -m 0644 "$mods/$path" "$dest/$path"; done
  local f
  for f in modules.order modules.builtin modules.builtin.modinfo; do
    [[ -f $mods/$f ]] && cp "$mods/$f" "$dest/$f"
  done
  depmod -b "$root" "$kver"
  printf '%s\n' "$all"
}
