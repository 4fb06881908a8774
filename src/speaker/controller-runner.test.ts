import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.js';
import { recordingLogger } from '../session/testing.js';
import { runControllerOnce } from './controller-runner.js';
import { FileSource, readResourceDirectory, type DirectoryContents } from './file-source.js';

const pool = 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p, namespace: metallb-system }\nspec: { addresses: ["10.0.0.1-10.0.0.2"] }\n';
const svc = (name: string): string => `---\napiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: default }\nspec: { type: LoadBalancer, ports: [{ port: 80 }] }\n`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbgp-speaker-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('controller --once: status files written, re-read as status, stable, stale ones removed, events logged', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'all.yaml'), pool + svc('b') + svc('c') + svc('a'));
    const logger = recordingLogger();
    const first = await runControllerOnce(dir, logger);
    assert.deepEqual([...first.assignments.keys()], ['default/a', 'default/b']);
    assert.deepEqual((await readdir(join(dir, 'status'))).sort(), ['default.a.yaml', 'default.b.yaml']);
    assert.match(await readFile(join(dir, 'status', 'default.a.yaml'), 'utf8'), /ingress:\n\s+- ip: 10\.0\.0\.1\n/);
    const event = logger.lines.find((l) => l.msg === 'service event');
    assert.equal(event?.fields['service'], 'default/c');
    assert.equal(event?.level, 'warn');
    // The status is read back as the Services' status.
    const contents = await readResourceDirectory(dir);
    const services = contents.resources.filter((r) => r.kind === 'Service' && r.isStatusOnly);
    assert.equal(services.length, 2);
    // "a" is deleted: its address is released and its status file removed; "b" keeps its address.
    await writeFile(join(dir, 'all.yaml'), pool + svc('b') + svc('c'));
    const second = await runControllerOnce(dir, recordingLogger());
    assert.deepEqual(second.assignments.get('default/b')?.addresses, ['10.0.0.2']);
    assert.deepEqual(second.assignments.get('default/c')?.addresses, ['10.0.0.1']);
    assert.deepEqual((await readdir(join(dir, 'status'))).sort(), ['default.b.yaml', 'default.c.yaml']);
    const quiet = recordingLogger();
    await runControllerOnce(dir, quiet);
    assert.equal(quiet.lines.filter((l) => l.msg === 'service assigned' || l.msg === 'service released').length, 0, 'a second round writes nothing');
  }));

test('a bad document is logged with its place; the rest of the directory still counts', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'bad.yml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: broken }\nspec: { addresses: [nonsense] }\n');
    await writeFile(join(dir, 'good.yaml'), pool + svc('a'));
    await writeFile(join(dir, 'notes.txt'), 'not yaml: [');
    const logger = recordingLogger();
    const r = await runControllerOnce(dir, logger);
    assert.equal(r.assignments.size, 1);
    const err = logger.lines.find((l) => l.msg === 'resource error');
    assert.equal(err?.fields['file'], join(dir, 'bad.yml'));
    assert.equal(err?.fields['document'], 1);
    assert.equal(err?.fields['resource'], 'IPAddressPool broken');
    assert.equal(err?.fields['field'], 'spec.addresses[0]');
  }));

test('a missing directory is an operator error naming it', async () => {
  await assert.rejects(runControllerOnce('/nonexistent/tsbgp-dir', recordingLogger()), /resource directory \/nonexistent\/tsbgp-dir/);
});

test('the file source re-reads after a change (poll fallback on a manual clock) and only then', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'a.yaml'), pool);
    const clock = new ManualClock();
    const loads: DirectoryContents[] = [];
    const source = new FileSource(dir, { clock, logger: recordingLogger() }, (c) => loads.push(c), { pollMs: 1000, debounceMs: 100 });
    await source.start();
    assert.equal(loads.length, 1);
    const turn = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        clock.advance(100);
        // Let the file system calls the timers started finish.
        for (let k = 0; k < 20; k++) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    await turn(30);
    assert.equal(loads.length, 1, 'nothing changed, nothing re-read');
    await mkdir(join(dir, 'status'));
    await writeFile(join(dir, 'status', 'default.a.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: a, namespace: default }\nstatus: { loadBalancer: { ingress: [{ ip: 10.0.0.1 }] } }\n');
    // The re-read's file system calls run on the thread pool: on a loaded machine they
    // can take longer than a few turns, so turns go on (bounded) until it has come.
    for (let i = 0; i < 300 && loads.length < 2; i++) {
      await turn(1);
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
    await turn(10);
    source.close();
    assert.equal(loads.length, 2);
    assert.equal(loads[1]!.resources.length, 2);
  }));
