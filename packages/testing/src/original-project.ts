/*
 * The original (Python) BootTorrent's project files, as its `init` and README wrote them:
 * fixtures for every test that proves the original format still loads.
 */

/** The original project's default Boottorrent.yaml (version 0), as its `init` wrote it, plus a default OS. */
export const ORIGINAL_V0_FILE = `boottorrent:
    version: 0
    timeout: 30
    default_os: testos
    seed_time: 30
    host_ip: 192.168.1.1

dnsmasq:
    enable_dhcp: True
    # user: nobody
    interface: eth0
    bind_interfaces: True
    dhcp_range: "192.168.1.50,192.168.1.150,12h"
    enable_tftp: True

opentracker:
    enable: True
    port: 10001

aria2:
    bt_enable_lpd: False
    enable_peer_exchange: True
    console_log_level: error

display_oss:
  - testos
`;

/** The OS config.yaml from the original README, comments included. */
export const ORIGINAL_OS_CONFIG = `dispname: TestOS # Friendly name to display
method: kexec
kernel: vmlinuz
initrd: initramfs.img
cmdline: break # cmdline for the new kernel
`;
