import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DesiredState } from '@boottorrent/contracts';
import { decideBoot } from '../src/boot-decision.js';
import { DEFAULT_PHASE1_KERNEL_ARGS } from '../src/config.js';
import { ipxeText, renderBootScript, renderChainScript, type Platform } from '../src/ipxe.js';
import { ALPINE, DEBIAN, createTestProject, desiredOf, type TestProject, type TestProjectOptions } from './helpers/fixtures.js';
import { lintIpxe, parseIpxe } from './helpers/ipxe-lint.js';
import { matchSnapshot } from './helpers/snapshot.js';

const KNOWN = '52:54:00:00:00:01';
const PINNED = '52:54:00:00:00:02';
const STRANGER = '52:54:00:aa:bb:cc';

const projects: TestProject[] = [];
async function desired(options: TestProjectOptions): Promise<DesiredState> {
  const project = await createTestProject(options);
  projects.push(project);
  return desiredOf(project.dir);
}
after(async () => {
  for (const project of projects) await project.remove();
});

function render(state: DesiredState, mac: string, platform: Platform = 'pcbios'): string {
  const script = renderBootScript({ desired: state, mac, platform, kernelArgs: DEFAULT_PHASE1_KERNEL_ARGS });
  assert.deepEqual(lintIpxe(script), [], `script for ${mac} does not pass the structural check:\n${script}`);
  return script;
}

function kernelLines(script: string): string[] {
  return script.split('\n').filter((line) => line.startsWith('kernel '));
}

describe('iPXE scripts (snapshots; every script passes the structural check)', () => {
  let lab: DesiredState;
  before(async () => {
    lab = await desired({ timeout: 30, defaultOs: 'debian', menu: ['debian', 'alpine'], nodes: { [KNOWN]: null, [PINNED]: 'alpine' } });
  });

  test('no MAC: a chain script that asks again naming the node', async () => {
    const script = renderChainScript(lab.network.api.url);
    assert.deepEqual(lintIpxe(script), []);
    assert.match(script, /^chain --autofree http:\/\/10\.77\.0\.1:8080\/boot\.ipxe\?mac=\$\{netX\/mac\}&arch=\$\{buildarch\}&platform=\$\{platform\} \|\| goto bt_failed$/m);
    await matchSnapshot('chain.ipxe', script);
  });

  test('attended menu (BIOS): displayed OSes by dispname, default highlighted, 30 s countdown', async () => {
    const script = render(lab, KNOWN);
    const model = parseIpxe(script);
    assert.deepEqual(model.itemLabels, ['bt_os_debian', 'bt_os_alpine']);
    assert.match(script, /^item bt_os_debian Debian GNU\/Linux 12$/m);
    assert.match(script, /^item bt_os_alpine Alpine Linux$/m);
    assert.match(script, /^choose --timeout 30000 --default bt_os_debian bt_choice \|\| goto bt_cancelled$/m);
    for (const line of kernelLines(script)) {
      assert.match(line, / bt\.api=http:\/\/10\.77\.0\.1:8080 bt\.os=(debian|alpine) bt\.node=52:54:00:00:00:01 /);
      assert.doesNotMatch(line, /initrd=initrd/, 'BIOS hands the initrd over itself');
    }
    await matchSnapshot('menu-bios.ipxe', script);
  });

  test('attended menu (EFI): initrd=initrd on the kernel line, the initrd fetched by that name', async () => {
    const script = render(lab, KNOWN, 'efi');
    assert.equal(kernelLines(script).length, 2);
    for (const line of kernelLines(script)) assert.match(line, / initrd=initrd /);
    assert.match(script, /^initrd --name initrd http:\/\/10\.77\.0\.1:8080\/phase1\/initrd \|\| goto bt_failed$/m);
    await matchSnapshot('menu-efi.ipxe', script);
  });

  test('an unknown node under unknown_nodes: menu gets the same menu', () => {
    assert.equal(render(lab, STRANGER).replaceAll(STRANGER, KNOWN), render(lab, KNOWN));
  });

  test('assigned node: straight to its OS, no menu', async () => {
    const script = render(lab, PINNED, 'efi');
    assert.doesNotMatch(script, /^(menu|choose) /m);
    assert.deepEqual(kernelLines(script), [
      `kernel http://10.77.0.1:8080/phase1/kernel bt.api=http://10.77.0.1:8080 bt.os=alpine bt.node=${PINNED} initrd=initrd ${DEFAULT_PHASE1_KERNEL_ARGS} || goto bt_failed`,
    ]);
    await matchSnapshot('assigned-efi.ipxe', script);
  });

  test('unknown node under unknown_nodes: default boots the default OS at once', async () => {
    const state = await desired({ unknownNodes: 'default', defaultOs: 'alpine', nodes: { [KNOWN]: null } });
    const script = render(state, STRANGER);
    assert.doesNotMatch(script, /^(menu|choose) /m);
    assert.equal(kernelLines(script).length, 1);
    assert.match(kernelLines(script)[0]!, / bt\.os=alpine /);
    // A known node without a pin still gets the menu.
    assert.match(render(state, KNOWN), /^menu /m);
    await matchSnapshot('unknown-default-bios.ipxe', script);
  });

  test('unknown node under unknown_nodes: refuse is told why and handed back to its firmware', async () => {
    const state = await desired({ unknownNodes: 'refuse', nodes: { [KNOWN]: 'debian' } });
    const script = render(state, STRANGER);
    assert.equal(kernelLines(script).length, 0);
    assert.match(script, /not in the project/);
    assert.match(script, /^exit 1$/m);
    assert.match(render(state, KNOWN), / bt\.os=debian /);
    await matchSnapshot('unknown-refuse.ipxe', script);
  });

  test('timeout 0 boots the default without a menu; negative timeout waits forever', async () => {
    const now = await desired({ timeout: 0, defaultOs: 'alpine' });
    const straight = render(now, KNOWN);
    assert.doesNotMatch(straight, /^(menu|choose) /m);
    assert.match(kernelLines(straight)[0]!, / bt\.os=alpine /);
    await matchSnapshot('no-countdown.ipxe', straight);

    const forever = render(await desired({ timeout: -1, defaultOs: 'alpine' }), KNOWN);
    assert.match(forever, /^choose --default bt_os_alpine bt_choice \|\| goto bt_cancelled$/m);
  });

  test('the default is offered even when boot.menu leaves it out', async () => {
    const state = await desired({ menu: ['alpine'], defaultOs: 'debian' });
    assert.deepEqual(parseIpxe(render(state, KNOWN)).itemLabels, ['bt_os_alpine', 'bt_os_debian']);
    assert.match(render(state, KNOWN), /--default bt_os_debian /);
  });

  test('no bootable OS: the node says so and retries instead of hanging', async () => {
    const state = await desired({ oses: [] });
    assert.equal(decideBoot(state, KNOWN).kind, 'nothing');
    const script = render(state, KNOWN);
    assert.match(script, /nothing to boot/);
    assert.match(script, /^chain --replace --autofree .* \|\| goto bt_failed$/m);
    await matchSnapshot('nothing.ipxe', script);
  });

  test('every boot entry fails over to a message, a shell offer and a retry', () => {
    const script = render(lab, KNOWN);
    for (const command of ['kernel', 'initrd', 'boot']) {
      const lines = script.split('\n').filter((line) => line.startsWith(`${command} `));
      assert.ok(lines.length > 0);
      for (const line of lines) assert.match(line, / \|\| goto bt_failed$/);
    }
    assert.match(script, /^prompt --timeout 15000 .* && goto bt_shell \|\| goto bt_retry$/m);
  });
});

describe('user text on iPXE command lines', () => {
  test('comments, separators and expansions in a dispname are neutralized', () => {
    assert.equal(ipxeText('Debian 12'), 'Debian 12');
    assert.equal(ipxeText('Lab #2 || x && y ; z'), 'Lab ${}#2 ${}|| x ${}&& y ${}; z');
    assert.equal(ipxeText('steal ${net0/ip} here'), 'steal $ {net0/ip} here');
    assert.equal(ipxeText('two\nlines\tand  spaces'), 'two lines and spaces');
  });

  test('a hostile dispname still gives a well-formed menu', async () => {
    const state = await desired({ oses: [{ ...DEBIAN, dispname: '#1 ${platform} || reboot' }, ALPINE] });
    const script = render(state, KNOWN);
    assert.match(script, /^item bt_os_debian \$\{\}#1 \$ \{platform\} \$\{\}\|\| reboot$/m);
  });
});

describe('the structural check itself', () => {
  test('finds what would break a node', () => {
    assert.deepEqual(lintIpxe('#!ipxe\necho hi\ngoto nowhere\n'), ['line 3: goto nowhere: no such label']);
    assert.ok(lintIpxe('echo no shebang\nexit 1\n').some((problem) => problem.includes('#!ipxe')));
    const badMenu = '#!ipxe\n:m\nmenu x\nitem a A\nchoose --default b c || goto m\ngoto ${c}\n';
    assert.deepEqual(lintIpxe(badMenu), ['line 5: choose --default b is not a menu item', 'menu item a has no label to boot']);
    assert.ok(lintIpxe('#!ipxe\nkernel http://x/k\nboot\n').some((problem) => problem.includes('run off its end')));
    assert.deepEqual(lintIpxe('#!ipxe\n:a\nchian http://x || goto a\ngoto ${oops}\n'), ['line 3: unknown command "chian"', 'line 4: unknown setting ${oops}', 'line 4: goto ${oops} but no choose sets it']);
  });
});
