// The stock gobgp CLI's neighbor verbs against tsbgpd's API, compared with the same
// commands against a real gobgpd: `neighbor add`, `neighbor update` (which reads the
// neighbor with ListPeer and sends it back changed through UpdatePeer), `neighbor del`,
// and their refusals. Both daemons get the same neighbor on an unused loopback address.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Scope, allocLoopback, freePort, requireBinary } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import { Tsbgpd } from './tsbgpd.js';

/** One `gobgp` run: what it printed (stdout then stderr) and its exit status. */
function gobgp(target: readonly string[], args: readonly string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile(requireBinary('gobgp'), [...target, ...args], { timeout: 10_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ out: stdout + stderr, code });
    });
  });
}

/** The lines of `gobgp neighbor ADDR` that hold configuration, not session state or times. */
function configLines(text: string): string[] {
  return text.split('\n').filter((l) => /BGP neighbor is|remote AS|Neighbor Address/.test(l)).map((l) => l.trim());
}

describe('gobgp neighbor add / update / del: tsbgpd answers as gobgpd does', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let reference: Gobgpd;
  let neighbor = '';
  const both = async (args: readonly string[]): Promise<{ ours: { out: string; code: number }; theirs: { out: string; code: number } }> => ({
    theirs: await gobgp(reference.gobgpTarget, args),
    ours: await gobgp(tsbgpd.gobgpTarget(), args),
  });

  before(async () => {
    scope = await Scope.create('gobgp-neighbor');
    const address = allocLoopback();
    const referenceAddress = allocLoopback();
    neighbor = allocLoopback();
    const [port, apiPort, referencePort] = await Promise.all([freePort(address), freePort(address), freePort(referenceAddress)]);
    tsbgpd = new Tsbgpd(scope, { as: 64512, address, port, neighbors: [], originate: [], apiHosts: `${address}:${apiPort}` });
    reference = new Gobgpd(scope, { as: 64512, address: referenceAddress, port: referencePort, neighbors: [], nextHop4: '192.0.2.1', nextHop6: '2001:db8::1' });
    await tsbgpd.start();
    await reference.start();
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('add, update (AS, then local AS), show and delete print what gobgpd prints', async () => {
    const steps: readonly (readonly string[])[] = [
      ['neighbor', 'add', neighbor, 'as', '65005'],
      ['neighbor', 'update', neighbor, 'as', '65006'],
      ['neighbor', 'update', neighbor, 'as', '65007', 'local-as', '64600'],
    ];
    for (const args of steps) {
      const { ours, theirs } = await both(args);
      const what = `gobgp ${args.join(' ')}`;
      assert.equal(theirs.code, 0, `${what} against gobgpd: ${theirs.out}`);
      assert.equal(ours.code, 0, `${what} against tsbgpd: ${ours.out}`);
      assert.equal(ours.out, theirs.out, what);
      const shown = await both(['neighbor', neighbor]);
      assert.deepEqual(configLines(shown.ours.out), configLines(shown.theirs.out), `gobgp neighbor ${neighbor} after ${what}`);
      assert.ok(configLines(shown.ours.out).some((l) => l.includes(`remote AS ${args[4]}`)), `remote AS ${args[4]} in: ${shown.ours.out}`);
    }
    const json = JSON.parse((await gobgp(tsbgpd.gobgpTarget(), ['-j', 'neighbor', neighbor])).out) as { conf?: { peer_asn?: number; local_asn?: number } };
    assert.deepEqual([json.conf?.peer_asn, json.conf?.local_asn], [65007, 64600]);
    await tsbgpd.waitForLog('neighbor updated', (e) => e['peer'] === neighbor && e['isRestarted'] === true, 5000);
  });

  it('update and del of an unknown neighbor fail on both; del removes it', async () => {
    const unknown = allocLoopback();
    for (const args of [['neighbor', 'update', unknown, 'as', '65001'], ['neighbor', 'del', unknown]]) {
      const { ours, theirs } = await both(args);
      assert.notEqual(theirs.code, 0, `gobgp ${args.join(' ')} against gobgpd should fail`);
      assert.notEqual(ours.code, 0, `gobgp ${args.join(' ')} against tsbgpd should fail`);
    }
    const del = await both(['neighbor', 'del', neighbor]);
    assert.deepEqual([del.ours.code, del.ours.out], [del.theirs.code, del.theirs.out]);
    const listed = await both(['neighbor']);
    assert.equal(listed.ours.out, listed.theirs.out);
  });
});
