import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canConnect, LabNetwork, run, startNatsServer, startProcess } from '../src/index.js';

describe('startNatsServer', () => {
  it('runs a JetStream server that can be stopped and started on the same port', async () => {
    const server = await startNatsServer();
    try {
      assert.ok(await canConnect('127.0.0.1', server.port));
      await server.stop();
      assert.equal(await canConnect('127.0.0.1', server.port), false);
      await server.start();
      assert.ok(await canConnect('127.0.0.1', server.port));
    } finally {
      await server.dispose();
    }
    assert.equal(await canConnect('127.0.0.1', server.port), false);
  });
});

describe('startProcess', () => {
  it('keeps output lines and stops the process it started', async () => {
    const proc = startProcess('sleeper', 'sh', ['-c', 'echo started; exec sleep 30']);
    await proc.waitForLine(/started/);
    await proc.stop();
    assert.equal(await proc.exited, 'SIGTERM');
  });

  it('rejects a wait when the process exits first', async () => {
    const proc = startProcess('quitter', 'sh', ['-c', 'echo bye; exit 3']);
    await assert.rejects(proc.waitForLine(/never/), /exited \(3\)/);
  });
});

describe('LabNetwork', () => {
  it('connects namespaces through a bridge and removes everything it created', async () => {
    const lab = await LabNetwork.create();
    let names: string[] = [];
    try {
      const node = await lab.attach({ hostOctet: 20 });
      names = [lab.ns.name, node.name];
      await node.exec('busybox', ['ping', '-c', '1', '-W', '2', lab.masterAddress]);
      const listed = await run('ip', ['netns', 'list']);
      for (const name of names) assert.match(listed, new RegExp(`^${name}\\b`, 'm'));
    } finally {
      await lab.delete();
    }
    const after = await run('ip', ['netns', 'list']);
    for (const name of names) assert.doesNotMatch(after, new RegExp(`^${name}\\b`, 'm'));
  });
});
