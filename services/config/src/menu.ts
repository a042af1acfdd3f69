import type { OsDesired, PolicyDesired } from '@boottorrent/contracts';

/** One line of the boot menu. */
export interface MenuEntry {
  os: string;
  dispname: string;
}

/** What a node chooses from: the same for the iPXE menu and the phase-1 menu (bt.menu=1). */
export interface BootMenu {
  entries: MenuEntry[];
  /** The OS the countdown boots; null only when there is nothing to boot. */
  defaultOs: string | null;
  /** Seconds; 0 boots the default at once, negative waits forever. */
  timeout: number;
}

/**
 * Builds the menu from the policy: the listed entries that are bootable OSes, in order. The
 * default is always offered (appended when the project's `boot.menu` leaves it out), because the
 * countdown boots it and a node must be able to pick what it would get anyway.
 */
export function buildMenu(policy: PolicyDesired, oses: readonly OsDesired[]): BootMenu {
  const byName = new Map(oses.map((os) => [os.name, os]));
  const names = policy.menu.entries.filter((name, index, all) => byName.has(name) && all.indexOf(name) === index);
  const configuredDefault = policy.menu.defaultOs !== null && byName.has(policy.menu.defaultOs) ? policy.menu.defaultOs : null;
  if (configuredDefault !== null && !names.includes(configuredDefault)) names.push(configuredDefault);
  const entries = names.map((name) => ({ os: name, dispname: byName.get(name)!.dispname }));
  return { entries, defaultOs: configuredDefault ?? entries[0]?.os ?? null, timeout: policy.menu.timeout };
}

/** GET /api/menu?format=env: BT_MENU_COUNT, BT_MENU_<i>_OS/_NAME (i from 1), BT_MENU_DEFAULT, BT_MENU_TIMEOUT. */
export function menuEnv(menu: BootMenu): Record<string, string | number> {
  const record: Record<string, string | number> = { BT_MENU_COUNT: menu.entries.length };
  menu.entries.forEach((entry, index) => {
    record[`BT_MENU_${index + 1}_OS`] = entry.os;
    record[`BT_MENU_${index + 1}_NAME`] = entry.dispname;
  });
  record.BT_MENU_DEFAULT = menu.defaultOs ?? '';
  record.BT_MENU_TIMEOUT = menu.timeout;
  return record;
}
