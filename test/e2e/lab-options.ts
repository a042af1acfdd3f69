import type { LabOptions } from '@boottorrent/lab';
import { repoRoot } from '../system/in-netns.js';

/** The lab as the e2e suites run it: small, quiet, its output indented under the test. */
export function e2eLabOptions(overrides: Partial<LabOptions> & { workDir: string; payloadMib: number }): LabOptions {
  return {
    repoRoot,
    nodes: 3,
    firmware: 'bios',
    dhcp: 'full',
    brokenNodes: 0,
    keep: false,
    memoryMib: 640,
    timeoutS: 600,
    json: false,
    live: false,
    signal: new AbortController().signal,
    print: (text) => void process.stdout.write(text.replace(/^/gm, '    # ')),
    ...overrides,
  };
}
