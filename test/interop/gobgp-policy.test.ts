// The stock gobgp CLI's policy verbs against tsbgpd's API, compared with the same
// commands against a real gobgpd: defined sets, statements, policies and the global
// assignment built step by step, listed, refused and deleted. Then what the changes do:
// a global import policy made with `gobgp` filters a speaker's route out of tsbgpd's
// Loc-RIB at once (Accepted drops, the session stays), an export policy withdraws a
// route from the speakers, and deleting them brings the routes back.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Scope, allocLoopback, freePort, requireBinary, waitFor } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import type { Tsbgpd } from './tsbgpd.js';
import { nodeNextHops, startRouterScenario } from './scenario.js';

const establishedMs = 20_000;
const routeMs = 10_000;

/** One `gobgp` run: what it printed (stdout then stderr) and its exit status. */
function gobgp(target: readonly string[], args: readonly string[]): Promise<{ out: string; code: number }> {
  return new Promise((resolve) => {
    execFile(requireBinary('gobgp'), [...target, ...args], { timeout: 10_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ out: stdout + stderr, code });
    });
  });
}

/**
 * The commands, in order. `fails` marks those both daemons refuse (their texts differ:
 * tsbgpd names the request field and uses gRPC's codes where gobgpd says Unknown).
 * Listings name one item where gobgpd would list several in its maps' random order.
 */
const script: readonly { readonly args: readonly string[]; readonly fails?: RegExp }[] = [
  { args: ['policy', 'prefix', 'add', 'p1', '10.0.0.0/8', '16..24'] },
  { args: ['policy', 'prefix', 'add', 'p1', '192.168.0.0/16'] },
  { args: ['policy', 'prefix', 'add', 'p6', '2001:db8::/32'] },
  { args: ['policy', 'neighbor', 'add', 'n1', '10.0.0.1'] },
  { args: ['policy', 'community', 'add', 'c1', '65000:100', 'no-export', '65000:.*'] },
  { args: ['policy', 'as-path', 'add', 'a1', '^65001_'] },
  { args: ['policy', 'large-community', 'add', 'l1', '1:2:3', '^4:.*:6$'] },
  { args: ['policy', 'ext-community', 'add', 'e1', 'rt:65000:1', 'soo:1.2.3.4:5'] },
  { args: ['policy', 'prefix', 'p1'] },
  { args: ['policy', 'prefix', 'p6'] },
  { args: ['policy', 'neighbor'] },
  { args: ['policy', 'community'] },
  { args: ['policy', 'as-path'] },
  { args: ['policy', 'ext-community'] },
  { args: ['policy', 'large-community'] },
  { args: ['policy', 'statement', 'add', 's1'] },
  { args: ['policy', 'statement', 's1', 'add', 'condition', 'prefix', 'p1'] },
  { args: ['policy', 'statement', 's1', 'add', 'condition', 'community', 'c1', 'any'] },
  { args: ['policy', 'statement', 's1', 'add', 'action', 'accept'] },
  { args: ['policy', 'statement', 's1', 'add', 'action', 'med', 'set', '100'] },
  { args: ['policy', 'statement', 's1', 'add', 'action', 'local-pref', '200'] },
  { args: ['policy', 'statement', 's1', 'add', 'action', 'community', 'add', '65000:1'] },
  { args: ['policy', 'statement', 'add', 's2'] },
  { args: ['policy', 'statement', 's2', 'add', 'condition', 'neighbor', 'n1', 'invert'] },
  { args: ['policy', 'statement', 's2', 'add', 'action', 'reject'] },
  { args: ['policy', 'statement', 's3', 'add', 'condition', 'as-path-length', '3', 'ge'] },
  { args: ['policy', 'statement', 's3', 'add', 'condition', 'large-community', 'l1', 'all'] },
  { args: ['policy', 'statement', 's3', 'add', 'condition', 'ext-community', 'e1'] },
  { args: ['policy', 'statement', 's3', 'add', 'action', 'as-prepend', '65000', '2'] },
  { args: ['policy', 'statement', 's3', 'add', 'action', 'next-hop', '192.0.2.9'] },
  { args: ['policy', 'statement', 's3', 'add', 'action', 'med', 'add', '10'] },
  { args: ['policy', 'statement', 's3', 'add', 'action', 'large-community', 'remove', '1:2:3'] },
  { args: ['policy', 'statement', 's3', 'add', 'action', 'ext-community', 'replace', 'rt:1:1'] },
  { args: ['policy', 'statement', 's3', 'add', 'condition', 'prefix', 'nosuch'], fails: /statement\.conditions\.prefix_set\.name: unknown prefix set "nosuch"/ },
  { args: ['policy', 'statement', 's1'] },
  { args: ['policy', 'statement', 's3'] },
  { args: ['policy', 'add', 'pol1', 's1', 's2'] },
  { args: ['policy', 'add', 'pol3', 's3'] },
  { args: ['policy', 'pol1'] },
  { args: ['global', 'policy', 'import', 'add', 'pol1', 'default', 'reject'] },
  { args: ['global', 'policy'] },
  { args: ['global', 'policy', 'import'] },
  { args: ['global', 'policy', 'export'] },
  { args: ['policy', 'statement', 's1', 'add', 'action', 'accept'], fails: /code = AlreadyExists desc = statement\.actions\.route_action: route action is already set/ },
  { args: ['policy', 'prefix', 'add', 'bad', '10.0.0.1/33'], fails: /invalid prefix/ },
  { args: ['policy', 'prefix', 'del', 'p1', '192.168.0.0/16'] },
  { args: ['policy', 'prefix', 'p1'] },
  { args: ['policy', 'prefix', 'del', 'p1'], fails: /code = FailedPrecondition desc = defined_set\.name: defined set p1 is in use/ },
  { args: ['global', 'policy', 'import', 'del', 'pol1'] },
  { args: ['global', 'policy', 'import'] },
  { args: ['policy', 'del', 'pol1'] },
  { args: ['policy', 'del', 'pol1'], fails: /code = NotFound desc = policy\.name: no policy "pol1"/ },
  { args: ['policy'] },
];

describe('gobgp policy verbs: tsbgpd answers as gobgpd does', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let reference: Gobgpd;

  before(async () => {
    scope = await Scope.create('gobgp-policy');
    ({ tsbgpd } = await startRouterScenario(scope, { isApiServed: true }));
    const address = allocLoopback();
    reference = new Gobgpd(scope, { as: 64512, address, port: await freePort(address), neighbors: [], nextHop4: '192.0.2.1', nextHop6: '2001:db8::1' });
    await reference.start();
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('prints what gobgpd prints for every command of the script, and refuses what it refuses', async () => {
    const referenceTarget = reference.gobgpTarget;
    let compared = 0;
    for (const step of script) {
      const theirs = await gobgp(referenceTarget, step.args);
      const ours = await gobgp(tsbgpd.gobgpTarget(), step.args);
      const what = `gobgp ${step.args.join(' ')}`;
      if (step.fails === undefined) {
        assert.equal(theirs.code, 0, `${what} against gobgpd: ${theirs.out}`);
        assert.equal(ours.out, theirs.out, what);
        assert.equal(ours.code, 0, what);
      } else {
        assert.notEqual(theirs.code, 0, `${what} against gobgpd should fail`);
        assert.notEqual(ours.code, 0, `${what} against tsbgpd should fail`);
        assert.match(ours.out, step.fails, what);
      }
      compared++;
    }
    assert.equal(compared, script.length);
  });
});

describe('policies made with gobgp take effect in tsbgpd at once', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let nodes: readonly Gobgpd[] = [];
  const blocked = '10.2.0.0/24';
  const kept = '10.1.0.0/24';
  const own = '10.99.0.0/24';

  const globalRib = async (): Promise<string> => tsbgpd.gobgp(['global', 'rib']);
  const neighborRow = async (address: string): Promise<string[]> => {
    const line = (await tsbgpd.gobgp(['neighbor'])).split('\n').find((l) => l.trim().startsWith(`${address} `));
    assert.ok(line !== undefined, `no row for ${address}`);
    return line.trim().split(/\s+/);
  };

  before(async () => {
    scope = await Scope.create('gobgp-policy-effect');
    ({ tsbgpd, nodes } = await startRouterScenario(scope, { isApiServed: true }));
    for (const n of nodes) await tsbgpd.waitForState(n.options.address, 'Established', establishedMs);
    for (const p of [kept, blocked]) await nodes[0]!.cli(['global', 'rib', '-a', 'ipv4', 'add', p, 'nexthop', nodeNextHops[0]!]);
    await waitFor(async () => (await globalRib()).includes(blocked) && (await globalRib()).includes(kept), { timeoutMs: routeMs, intervalMs: 200, what: 'both routes in tsbgpd', scope });
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('a global import policy rejects one prefix: gone from the Loc-RIB, still received, session kept', async () => {
    const address = nodes[0]!.options.address;
    for (const args of [
      ['policy', 'prefix', 'add', 'blocked', blocked],
      ['policy', 'statement', 'add', 'drop-blocked'],
      ['policy', 'statement', 'drop-blocked', 'add', 'condition', 'prefix', 'blocked'],
      ['policy', 'statement', 'drop-blocked', 'add', 'action', 'reject'],
      ['policy', 'add', 'imp', 'drop-blocked'],
      ['global', 'policy', 'import', 'add', 'imp'],
    ]) {
      await tsbgpd.gobgp(args);
    }
    await waitFor(async () => !(await globalRib()).includes(blocked), { timeoutMs: routeMs, intervalMs: 200, what: `${blocked} filtered out`, scope });
    assert.match(await globalRib(), /10\.1\.0\.0\/24/);
    const row = await neighborRow(address);
    assert.equal(row[3], 'Establ');
    assert.deepEqual(row.slice(-2), ['2', '1'], 'Received 2, Accepted 1');
    assert.match(await tsbgpd.gobgp(['neighbor', address, 'adj-in']), /10\.2\.0\.0\/24/, 'adj-in keeps what the peer sent');
  });

  it('removing the assignment brings the route back', async () => {
    await tsbgpd.gobgp(['global', 'policy', 'import', 'del', 'imp']);
    await waitFor(async () => (await globalRib()).includes(blocked), { timeoutMs: routeMs, intervalMs: 200, what: `${blocked} back`, scope });
    assert.deepEqual((await neighborRow(nodes[0]!.options.address)).slice(-2), ['2', '2']);
  });

  it('an export policy withdraws our route from every speaker, and its removal announces it again', async () => {
    await tsbgpd.gobgp(['global', 'rib', 'add', own, 'nexthop', '192.0.2.1']);
    const has = async (n: Gobgpd): Promise<boolean> => (await n.routes('ipv4')).some((r) => r.prefix === own);
    for (const n of nodes) await waitFor(() => has(n), { timeoutMs: routeMs, intervalMs: 200, what: `${own} at ${n.options.address}`, scope });
    for (const args of [
      ['policy', 'prefix', 'add', 'own', own],
      ['policy', 'statement', 'add', 'hide-own'],
      ['policy', 'statement', 'hide-own', 'add', 'condition', 'prefix', 'own'],
      ['policy', 'statement', 'hide-own', 'add', 'action', 'reject'],
      ['policy', 'add', 'exp', 'hide-own'],
      ['global', 'policy', 'export', 'add', 'exp'],
    ]) {
      await tsbgpd.gobgp(args);
    }
    for (const n of nodes) await waitFor(async () => !(await has(n)), { timeoutMs: routeMs, intervalMs: 200, what: `${own} withdrawn from ${n.options.address}`, scope });
    await tsbgpd.gobgp(['global', 'policy', 'export', 'del', 'exp']);
    for (const n of nodes) await waitFor(() => has(n), { timeoutMs: routeMs, intervalMs: 200, what: `${own} back at ${n.options.address}`, scope });
  });
});
