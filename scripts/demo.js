#!/usr/bin/env node
// `npm run demo`: two tsbgpd processes on loopback play the scenario's router and one
// node. The node announces 172.17.254.1/32; the router's log shows the session come
// up and the route arrive; then the node shuts down and the router shows why.
// Bounded: every step has a deadline, both processes are stopped by PID.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const daemon = join(root, 'bin', 'tsbgpd.js');
const children = [];

function start(name, config, level, extra = []) {
  const child = spawn(process.execPath, [daemon, '-f', join(root, 'examples', config), '--log-level', level, ...extra], { stdio: ['ignore', 'inherit', 'pipe'] });
  children.push(child);
  let rest = '';
  const seen = [];
  child.stderr.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      seen.push(line);
      process.stdout.write(`[${name}] ${line}\n`);
    }
  });
  return { child, seen };
}

function waitFor(proc, pattern, ms) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (proc.seen.some((l) => pattern.test(l))) return resolve();
      if (Date.now() > deadline) return reject(new Error(`demo: no line matching ${pattern} within ${ms} ms`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

function stop(proc, ms = 5000) {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), ms);
    proc.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.child.kill('SIGTERM');
  });
}

let failed = false;
const router = start('rt-01', 'demo-rt-01.toml', 'debug');
// Only the router serves the management API (127.0.0.1:50051, where gobgp and tsbgp look).
const node = start('k8s-node-01', 'demo-node.toml', 'info', ['--no-api']);
try {
  await waitFor(router, /route received.*172\.17\.254\.1\/32/, 20000);
  await waitFor(router, /end of rib/, 10000);
  // What an operator sees through the management API, as with gobgp.
  for (const args of [['neighbor'], ['global', 'rib']]) {
    const out = spawnSync(process.execPath, [join(root, 'bin', 'tsbgp.js'), ...args], { encoding: 'utf8', timeout: 10000 });
    process.stdout.write(`\n$ tsbgp ${args.join(' ')}\n${out.stdout}${out.stderr}\n`);
    if (out.status !== 0) throw new Error(`demo: tsbgp ${args.join(' ')} exited ${out.status}`);
  }
  await stop(node);
  await waitFor(router, /notification received/, 5000);
} catch (err) {
  failed = true;
  console.error(err.message);
} finally {
  for (const p of [node, router]) await stop(p);
}
console.log(failed ? '\ndemo: FAILED (see the lines above)' : '\ndemo: the route arrived at rt-01 and the shutdown reason reached it.');
process.exit(failed ? 1 : 0);
