import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS, type BenchSettings, type ScenarioName } from './types.js';

/*
 * `pnpm bench swarm [flags]`. Defaults are sized for a 2-core machine: 20 Mbit/s links and a
 * 32 MiB image keep 32 nodes' aggregate traffic (up to 33 x 20 Mbit/s through one bridge) and
 * 32 aria2c processes within reach of two cores; --quick is a few minutes.
 */

export const DEFAULT_NODE_COUNTS = [1, 2, 4, 8, 16, 32];
export const QUICK_NODE_COUNTS = [1, 4, 8];
export const DEFAULT_RATE_MBIT = 20;
export const DEFAULT_IMAGE_MIB = 32;
export const QUICK_IMAGE_MIB = 8;
/** Swarm runs are noisy: three repeats give a median and a max. */
export const DEFAULT_REPEATS = 3;
/** Central HTTP is deterministic here (it matched the bound within 5%) and long: once. */
export const DEFAULT_CENTRAL_REPEATS = 1;

export const USAGE = `pnpm bench swarm [options]

Boot storm on one machine: a master and N nodes in network namespaces, every link shaped to
the same rate; central HTTP vs the BitTorrent swarm (nodes leaving at once vs lingering), against
the Kumar-Ross bound. Needs root, iproute2 (tc), curl, busybox, nats-server and a built tree.

  --quick                 N in {${QUICK_NODE_COUNTS.join(', ')}}, ${QUICK_IMAGE_MIB} MiB image, 1 repeat
  --nodes <list>          node counts, e.g. 1,2,4 (default ${DEFAULT_NODE_COUNTS.join(',')})
  --rate <mbit>           link rate U in Mbit/s, both directions (default ${DEFAULT_RATE_MBIT})
  --image-mib <mib>       image size F in MiB (default ${DEFAULT_IMAGE_MIB})
  --repeat <n>            runs per swarm scenario and N (default ${DEFAULT_REPEATS})
  --central-repeat <n>    runs of the central scenario per N (default ${DEFAULT_CENTRAL_REPEATS})
  --scenarios <list>      any of ${SCENARIOS.join(',')} (default: all)
  --aria2c <path>         aria2c for the agents (default: the static phase-1 build in .cache/phase1-build/tools)
  --out <dir>             results folder (default bench/results)
  --name <stem>           file name stem (default swarm-<date>[-quick])
  --label <text>          a note written into the results, e.g. "patched aria2c"
  --timeout <s>           give up on one run after this long (default: 3 x the client-server bound + 60)
  --keep-work             keep the work folder (project, master log, node logs)
  --from-json <file>      only render the .md and .png again from a results .json
  --set <key>=<value>     override a Boottorrent.yaml key of the bench project, e.g.
                          --set seeder.web_seed=false --set tracker.announce_interval=2 (repeatable)
`;

export class OptionError extends Error {
  readonly code = 'BT_BENCH_BAD_OPTION';
}

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new OptionError(`${flag} needs a positive ${integer ? 'whole ' : ''}number (got ${text ?? 'nothing'})`);
  }
  return value;
}

function list(flag: string, text: string | undefined): string[] {
  if (!text) throw new OptionError(`${flag} needs a comma-separated list`);
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

/* linger is what the scenarios vary, so it is not a --set key. */
const SETTING_KEYS = /^(tracker|seeder|phase1)\.[a-z_]+$/;

/** "tracker.announce_interval=2" -> ['tracker.announce_interval', 2]; booleans and numbers typed. */
export function splitSetting(text: string | undefined): [string, string | number | boolean] {
  const match = /^([a-z0-9_.]+)=(.*)$/.exec(text ?? '');
  if (!match || !SETTING_KEYS.test(match[1] as string)) {
    throw new OptionError(`--set needs <section>.<key>=<value> with a tracker, seeder or phase1 key (got ${text ?? 'nothing'})`);
  }
  const raw = match[2] as string;
  const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [match[1] as string, value];
}

/** The newest static aria2c of the phase-1 build cache, or null. */
export function findStaticAria2c(repoRoot: string): string | null {
  const dir = join(repoRoot, '.cache', 'phase1-build', 'tools');
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir)
    .filter((name) => name.startsWith('aria2c-') && !name.endsWith('.tmp'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] ?? null;
}

export function parseOptions(argv: readonly string[], context: { repoRoot: string; today: string }): BenchSettings | 'help' {
  const quick = argv.includes('--quick');
  const settings: BenchSettings = {
    nodeCounts: quick ? QUICK_NODE_COUNTS : DEFAULT_NODE_COUNTS,
    rateMbit: DEFAULT_RATE_MBIT,
    imageMib: quick ? QUICK_IMAGE_MIB : DEFAULT_IMAGE_MIB,
    repeats: quick ? 1 : DEFAULT_REPEATS,
    centralRepeats: DEFAULT_CENTRAL_REPEATS,
    scenarios: [...SCENARIOS],
    outDir: join(context.repoRoot, 'bench', 'results'),
    aria2c: '',
    runTimeoutS: 0,
    keepWork: false,
    quick,
    label: '',
    stem: '',
    projectSettings: {},
  };
  let aria2c: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = () => argv[++i];
    switch (flag) {
      case '--quick':
        break;
      case '-h':
      case '--help':
        return 'help';
      case '--nodes':
        settings.nodeCounts = list(flag, value()).map((n) => positiveNumber(flag, n, true));
        break;
      case '--rate':
        settings.rateMbit = positiveNumber(flag, value(), false);
        break;
      case '--image-mib':
        settings.imageMib = positiveNumber(flag, value(), false);
        break;
      case '--repeat':
        settings.repeats = positiveNumber(flag, value(), true);
        break;
      case '--central-repeat':
        settings.centralRepeats = positiveNumber(flag, value(), true);
        break;
      case '--scenarios': {
        const names = list(flag, value());
        const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
        if (unknown.length > 0) throw new OptionError(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
        settings.scenarios = SCENARIOS.filter((s) => names.includes(s)) as ScenarioName[];
        break;
      }
      case '--aria2c':
        aria2c = value() ?? null;
        if (!aria2c) throw new OptionError('--aria2c needs a path');
        break;
      case '--out':
        settings.outDir = value() ?? '';
        if (!settings.outDir) throw new OptionError('--out needs a folder');
        break;
      case '--name':
        settings.stem = value() ?? '';
        break;
      case '--label':
        settings.label = value() ?? '';
        break;
      case '--timeout':
        settings.runTimeoutS = positiveNumber(flag, value(), false);
        break;
      case '--set': {
        const [key, raw] = splitSetting(value());
        settings.projectSettings[key] = raw;
        break;
      }
      case '--keep-work':
        settings.keepWork = true;
        break;
      default:
        throw new OptionError(`unknown option ${flag} (see --help)`);
    }
  }
  settings.nodeCounts = [...new Set(settings.nodeCounts)].sort((a, b) => a - b);
  settings.aria2c = aria2c ?? findStaticAria2c(context.repoRoot) ?? '';
  if (!settings.aria2c) throw new OptionError('no static aria2c in .cache/phase1-build/tools: build phase-1 first (images/phase1/build.sh) or pass --aria2c <path>');
  if (!settings.stem) settings.stem = `swarm-${context.today}${quick ? '-quick' : ''}`;
  return settings;
}
