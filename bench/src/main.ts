#!/usr/bin/env node
/*
 * pnpm bench <name> [args...]: runs one benchmark. Each lives in src/<name>.ts (plus a folder
 * for its parts) and exports `run(args): Promise<number>` (the exit code). Loaded lazily, so
 * one benchmark's dependencies never slow down or break another.
 */

type Bench = { run(args: string[]): Promise<number> };

const benches: Record<string, { about: string; load: () => Promise<Bench> }> = {
  seeder: { about: 'torrent creation, seeder vs aria2c throughput, 4 leechers, seeder RSS on a 2 GiB image (loopback)', load: () => import('./seeder.js') },
  swarm: { about: 'boot storm in namespaces: central HTTP vs swarm (no linger / linger) vs the Kumar-Ross bound, N = 1..32', load: () => import('./swarm.js') },
};

function usage(): string {
  const names = Object.entries(benches).map(([name, bench]) => `  ${name.padEnd(10)} ${bench.about}`);
  return ['usage: pnpm bench <name> [args...]', '', 'benchmarks:', ...names].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  process.stderr.write(`${name ? `unknown benchmark "${name}"\n\n` : ''}${usage()}\n`);
  process.exit(2);
}
process.exitCode = await (await bench.load()).run(args);
