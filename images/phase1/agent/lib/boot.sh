# Phase-1 agent: hand over to the downloaded OS with kexec.

# The kernel command line of the OS: the manifest's, followed by bt.api, bt.node and bt.os
# so that the booted OS can report to the boot API (the demo OS does). Passed to kexec as
# one argument: spaces and quotes inside BT_CMDLINE reach the new kernel unchanged.
os_cmdline() {
  local extra="bt.api=$API bt.node=$NODE_MAC bt.os=$BT_OS"
  if [ -n "$BT_CMDLINE" ]; then
    printf '%s %s' "$BT_CMDLINE" "$extra"
  else
    printf '%s' "$extra"
  fi
}

# A path of the torrent on disk: <os_dir>/<name>/<path> (multi-file), or <os_dir>/<name> when
# the torrent is a single file.
torrent_file() {
  local dir
  dir=$(os_dir)
  if [ -f "$dir/$BT_NAME/$1" ]; then
    echo "$dir/$BT_NAME/$1"
  elif [ "$BT_FILE_COUNT" = 1 ] && [ -f "$dir/$BT_NAME" ]; then
    echo "$dir/$BT_NAME"
  fi
}

boot_os() {
  local kernel initrd= cmdline err=$RUN_DIR/kexec.err
  kernel=$(torrent_file "$BT_KERNEL")
  [ -n "$kernel" ] || fail BT_P1_MANIFEST "the kernel $BT_KERNEL is not in the torrent $BT_NAME"
  if [ -n "$BT_INITRD" ]; then
    initrd=$(torrent_file "$BT_INITRD")
    [ -n "$initrd" ] || fail BT_P1_MANIFEST "the initrd $BT_INITRD is not in the torrent $BT_NAME"
  fi
  cmdline=$(os_cmdline)
  aria2_stop
  report kexec "kexec $BT_KERNEL${BT_INITRD:+ + $BT_INITRD}${LINGER_REASON:+ (seeding: $LINGER_REASON)}"
  log "kexec -l $kernel${initrd:+ --initrd=$initrd} --command-line=$cmdline"
  if ! kexec_load "$kernel" "$initrd" "$cmdline" 2>"$err"; then
    # A kernel locked down by Secure Boot refuses kexec_load but may accept
    # kexec_file_load (-s) of a signed kernel.
    log "kexec -l refused ($(tr '\n' ' ' <"$err")); trying kexec_file_load (-s)"
    kexec_load "$kernel" "$initrd" "$cmdline" -s 2>>"$err" ||
      fail BT_P1_KEXEC "kexec refused the kernel: $(tr '\n' ' ' <"$err")"
  fi
  log "kexec -e"
  # On success this never returns: the new kernel replaces everything, us included.
  "$KEXEC" -e 2>"$err"
  fail BT_P1_KEXEC "kexec -e returned ($?) without starting the kernel: $(tr '\n' ' ' <"$err")"
}

# kexec_load KERNEL INITRD CMDLINE [EXTRA_FLAG]
kexec_load() {
  if [ -n "$2" ]; then
    "$KEXEC" ${4:-} -l "$1" --initrd="$2" --command-line="$3"
  else
    "$KEXEC" ${4:-} -l "$1" --command-line="$3"
  fi
}
