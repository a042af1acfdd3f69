import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '@boottorrent/testing';
import { REPO_ROOT } from '../src/config.js';
import { ensurePhase1, unpackInitrd } from './helpers/phase1.js';

/*
 * The agent's pure decisions (parsing, validation, escaping, the linger rule, the kexec
 * command line), one shell function at a time, in the initrd's own busybox sh. Network
 * behaviour is covered by agent-swarm.test.ts and phase1-qemu.test.ts.
 */

const LIB = join(REPO_ROOT, 'images', 'phase1', 'agent', 'lib');
const LIBS = ['common', 'http', 'report', 'net', 'manifest', 'aria2', 'download', 'boot'];

const VALID_MANIFEST = [
  "BT_OS='demo'",
  "BT_DISPNAME='Demo '\\''quoted'\\'' OS'",
  "BT_INFOHASH='0123456789abcdef0123456789abcdef01234567'",
  "BT_TORRENT_URL='http://10.0.0.1:8081/torrents/x.torrent'",
  "BT_TRACKERS='http://10.0.0.1:6969/announce,udp://10.0.0.1:6969'",
  "BT_WEBSEEDS=''",
  "BT_NAME='demo'",
  "BT_FILE_COUNT='3'",
  "BT_LENGTH='1000'",
  "BT_KERNEL='boot/vmlinuz'",
  "BT_INITRD='initrd'",
  "BT_CMDLINE='console=ttyS0 a=\"b c\"'",
  "BT_LINGER_UNTIL_DONE='1'",
  "BT_LINGER_MIN='5'",
  "BT_LINGER_MAX='60'",
  "BT_LINGER_RATIO='1.5'",
  "BT_PEX='1'",
  "BT_LPD='0'",
  "BT_LOG_LEVEL='notice'",
  "BT_LISTEN_PORT='6881'",
  "BT_API='http://10.0.0.1:8080'",
];

describe('phase-1 agent logic (busybox sh)', () => {
  let root: string;
  let work: string;

  before(async () => {
    root = await unpackInitrd(join((await ensurePhase1()).dir, 'initrd'));
    work = await mkdtemp(join(tmpdir(), 'bt-agent-logic-'));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs `script` after sourcing the agent's libraries, with the initrd's busybox; returns stdout. */
  async function sh(script: string, env: Record<string, string> = {}): Promise<string> {
    const prelude = ['set -u', `RUN_DIR='${work}'`, 'API= NODE_MAC= OS=demo', ...LIBS.map((lib) => `. '${LIB}/${lib}.sh'`)].join('\n');
    return run(join(root, 'bin', 'sh'), ['-c', `${prelude}\n${script}`], {
      env: { PATH: [join(root, 'bin'), join(root, 'usr', 'bin')].join(':'), ...env },
    });
  }

  /** The manifest check on a document; "" when valid, else the failure line. */
  async function checkManifest(lines: string[]): Promise<string> {
    const file = join(work, `manifest-${Math.random().toString(36).slice(2)}.env`);
    await writeFile(file, `${lines.join('\n')}\n`);
    return (
      await sh(
        [
          // fail is the agent's way out; here it just prints the reason.
          'fail() { echo "$1: $2"; exit 0; }',
          `env_doc_valid '${file}' || fail BT_P1_MANIFEST "$ENV_DOC_ERROR"`,
          'manifest_defaults',
          `. '${file}'`,
          'manifest_check',
        ].join('\n'),
      )
    ).trim();
  }

  it('accepts a manifest as the boot API writes it, quotes and all', async () => {
    assert.equal(await checkManifest(VALID_MANIFEST), '');
  });

  it('refuses each invalid manifest value with a reason naming it', async () => {
    const cases: [string, RegExp][] = [
      ["BT_OS='other'", /asked for demo, got the manifest of 'other'/],
      ["BT_INFOHASH='abc'", /BT_INFOHASH 'abc' is not 40 lowercase hex digits/],
      ["BT_INFOHASH='0123456789ABCDEF0123456789abcdef01234567'", /BT_INFOHASH/],
      ["BT_TORRENT_URL='ftp://x/y'", /BT_TORRENT_URL 'ftp:\/\/x\/y' is not an http\(s\) URL/],
      ["BT_NAME='a/b'", /BT_NAME 'a\/b' is not a torrent name/],
      ["BT_KERNEL='../../etc/passwd'", /BT_KERNEL '\.\.\/\.\.\/etc\/passwd' is not a relative path/],
      ["BT_KERNEL='/boot/vmlinuz'", /BT_KERNEL '\/boot\/vmlinuz' is not a relative path/],
      ["BT_INITRD='x/../../y'", /BT_INITRD/],
      ["BT_LENGTH='-1'", /BT_LENGTH '-1' is not a byte count/],
      ["BT_PEX='yes'", /BT_PEX must be 0 or 1/],
      ["BT_LINGER_MAX='1h'", /BT_LINGER_MAX '1h' is not a number of seconds/],
      ["BT_LINGER_RATIO='1.2.3'", /BT_LINGER_RATIO '1\.2\.3' is not a number/],
      ["BT_LISTEN_PORT='70000'", /BT_LISTEN_PORT '70000' is not a TCP port/],
      ["BT_LOG_LEVEL='loud'", /BT_LOG_LEVEL 'loud' is not an aria2 log level/],
    ];
    for (const [line, reason] of cases) {
      const name = line.split('=')[0];
      const doc = [...VALID_MANIFEST.filter((entry) => !entry.startsWith(`${name}=`)), line];
      assert.match(await checkManifest(doc), new RegExp(`^BT_P1_MANIFEST: manifest of demo is invalid: ${reason.source}`), line);
    }
    assert.match(await checkManifest(VALID_MANIFEST.filter((entry) => !entry.startsWith('BT_KERNEL='))), /BT_KERNEL '' is not a relative path/);
  });

  it('never sources a document that is not plain NAME=value lines', async () => {
    const hostile = [
      ['<html><body>502 Bad Gateway</body></html>'],
      ['{"os":"demo"}'],
      ["BT_OS='demo'", 'touch /tmp/pwned'],
      ['BT_OS=$(reboot)'],
      ["BT_OS='demo'; reboot"],
      ["BT_OS='unterminated"],
    ];
    for (const lines of hostile) {
      assert.match(await checkManifest(lines), /^BT_P1_MANIFEST: line \d+ is not a NAME='value' assignment/, lines.join('\\n'));
    }
  });

  it('reads its kernel arguments, the last one winning', async () => {
    const file = join(work, 'cmdline');
    await writeFile(file, 'BOOT_IMAGE=x console=ttyS0 bt.api=http://a:1 bt.os=demo bt.api=http://b:2 bt.node=52:54:00:AA:bb:cc\n');
    assert.equal(await sh(`cmdline_arg bt.api '${file}'; cmdline_arg bt.os '${file}'; cmdline_arg bt.menu '${file}'; echo end`), 'http://b:2\ndemo\nend\n');
  });

  it('passes the OS command line to kexec unchanged, followed by bt.api, bt.node and bt.os', async () => {
    const script = 'API=http://10.0.0.1:8080 NODE_MAC=52:54:00:00:00:01 BT_OS=demo; os_cmdline; echo "|"';
    assert.equal(await sh(`BT_CMDLINE='console=ttyS0 a="b c" d='\\''e f'\\'''; ${script}`), `console=ttyS0 a="b c" d='e f' bt.api=http://10.0.0.1:8080 bt.node=52:54:00:00:00:01 bt.os=demo|\n`);
    assert.equal(await sh(`BT_CMDLINE=''; ${script}`), 'bt.api=http://10.0.0.1:8080 bt.node=52:54:00:00:00:01 bt.os=demo|\n');
  });

  it('stops lingering by the policy: never before min, at max, at the ratio cap, when no leecher is left', async () => {
    const decide = (vars: string, elapsed: number) =>
      sh(`BT_LINGER_UNTIL_DONE=1 BT_LINGER_MIN=10 BT_LINGER_MAX=100 BT_LINGER_RATIO=0 BT_LENGTH=1000 P_UPLOADED=0 BT_SWARM_KNOWN=1 BT_SWARM_LEECHERS=3; ${vars || ":"}; linger_done ${elapsed}`);
    assert.equal(await decide('BT_SWARM_LEECHERS=0', 5), '', 'before min: keep seeding whatever the swarm says');
    assert.equal(await decide('BT_SWARM_LEECHERS=0', 10), 'the tracker reports no leechers\n');
    assert.equal(await decide('', 50), '', 'leechers left: keep seeding');
    assert.equal(await decide('BT_SWARM_KNOWN=0 BT_SWARM_LEECHERS=0', 50), '', 'unknown swarm: only the caps apply');
    assert.equal(await decide('BT_LINGER_UNTIL_DONE=0 BT_SWARM_LEECHERS=0', 50), '', 'until_swarm_done off: seed to the cap');
    assert.equal(await decide('', 100), 'time cap of 100 s reached\n');
    assert.equal(await decide('BT_LINGER_MAX=5', 7), '', 'a max below min waits for min');
    assert.equal(await decide('BT_LINGER_RATIO=1.5 P_UPLOADED=1499', 50), '');
    assert.equal(await decide('BT_LINGER_RATIO=1.5 P_UPLOADED=1500', 50), 'ratio cap reached (uploaded 1500 bytes >= 1.5 x 1000)\n');
  });

  it('turns an unexpected end (here an unset variable under set -u) into a reported BT_P1_AGENT failure', async () => {
    const script = [
      'http_post_json() { printf "%s\n" "$2" >"$RUN_DIR/posted"; }',
      `API=http://x NODE_MAC=52:54:00:00:00:01; rm -f "$RUN_DIR/failure"`,
      'trap on_exit EXIT',
      'echo "$no_such_variable"',
    ].join('\n');
    await assert.rejects(sh(script), /exited with 1/);
    assert.match(await readFile(join(work, 'failure'), 'utf8'), /^BT_P1_AGENT: the agent stopped unexpectedly \(status 2\)/);
    const posted = JSON.parse(await readFile(join(work, 'posted'), 'utf8')) as { state: string; error: { code: string } };
    assert.equal(posted.state, 'failed');
    assert.equal(posted.error.code, 'BT_P1_AGENT');
  });

  it("takes an error answer's reason from the boot API's x-bt-error headers (wget drops error bodies)", async () => {
    const server = createServer((request, response) => {
      if (request.url === '/api/manifest/broken?format=env') {
        response.writeHead(410, { 'x-bt-error-code': 'BT_OS_FILES_MISSING', 'x-bt-error': 'OS broken cannot be served: oss/broken/vmlinuz is missing on the master' });
        response.end('{"error":{}}');
      } else {
        response.writeHead(500);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const explained = await sh(`HTTP_TIMEOUT=5; http_get 'http://127.0.0.1:${port}/api/manifest/broken?format=env' '${work}/out' || echo "$HTTP_STATUS|$HTTP_ERROR"`);
      assert.equal(explained.trim(), '410|BT_OS_FILES_MISSING: OS broken cannot be served: oss/broken/vmlinuz is missing on the master');
      const bare = await sh(`HTTP_TIMEOUT=5; http_get 'http://127.0.0.1:${port}/other' '${work}/out' || echo "$HTTP_STATUS|$HTTP_ERROR"`);
      assert.match(bare.trim(), /^500\|server returned error: HTTP\/1\.1 500/, 'without the headers, wget\'s own words');
    } finally {
      server.close();
    }
  });

  it('backs off 1, 2, 4, ... seconds up to the cap', async () => {
    assert.equal(await sh('BACKOFF_MAX=30; for n in 1 2 3 4 5 6 7; do printf "%s " $(backoff_delay $n); done'), '1 2 4 8 16 30 30 ');
  });

  it('reads aria2c status and counts verified pieces from its bitfield', async () => {
    const answer = JSON.stringify({
      id: 'bt',
      jsonrpc: '2.0',
      result: {
        bitfield: 'ff0f80',
        completedLength: '123',
        connections: '3',
        errorMessage: 'a "quoted", message',
        infoHash: '0123456789abcdef0123456789abcdef01234567',
        numSeeders: '1',
        status: 'active',
        totalLength: '456',
        uploadLength: '7',
      },
    });
    const out = await sh(
      [
        `aria2_rpc() { printf '%s' '${answer}'; }`,
        'aria2_status',
        'echo "$A_status $A_completedLength/$A_totalLength $A_connections $A_numSeeders $A_uploadLength $A_infoHash"',
        'echo "$A_errorMessage"',
        'verified_pieces "$A_bitfield"',
        'verified_pieces ""',
      ].join('\n'),
    );
    assert.equal(out, `active 123/456 3 1 7 0123456789abcdef0123456789abcdef01234567\na \\"quoted\\", message\n13\n0\n`);
  });

  it('posts reports the contract accepts: escaped text, no value the schema would refuse', async () => {
    const script = [
      // The POST itself is what agent-swarm.test.ts covers; here only the body matters.
      'http_post_json() { printf "%s\\n" "$2"; }',
      'API=http://x NODE_MAC=52:54:00:00:00:01 NODE_IP=10.0.0.5',
      `BT_OS='bad name' BT_INFOHASH=xyz P_DONE=10 P_TOTAL=20 P_PEERS=2 P_DOWN=notanumber`,
      `report failed 'line one
line "two" \\ back' BT_P1_X 'why'`,
    ].join('\n');
    const body = JSON.parse(await sh(script)) as Record<string, unknown>;
    assert.deepEqual(body, {
      state: 'failed',
      os: 'demo',
      ip: '10.0.0.5',
      bytesDone: 10,
      bytesTotal: 20,
      peers: 2,
      message: 'line one line "two" \\ back',
      error: { code: 'BT_P1_X', message: 'why' },
    });
  });
});
