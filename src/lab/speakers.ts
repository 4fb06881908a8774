// What runs on the cluster's machines: `tsbgp controller --once` on k8s-master-01
// (assigns the Service its address from the MetalLB files), one `tsbgp speaker` per
// worker, the service address on each worker's lo, and the HTTP service answering on it.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, ip, run } from './system.js';
import { labResourceFiles } from './resources.js';
import { LabState, labScript, packageRoot, tsbgpBin } from './state.js';
import { serviceAddress, type WorkerNode } from './topology.js';

/** Why this build cannot run `tsbgp speaker` and `tsbgp controller` (each must answer --help); undefined when it can. */
export async function speakerCommandProblem(): Promise<string | undefined> {
  for (const command of ['speaker', 'controller']) {
    if (!existsSync(join(packageRoot, 'dist', 'src', 'cli', 'commands', `${command}.js`))) return `"tsbgp ${command}" is not in this build (npm run build)`;
    const r = await run(process.execPath, [tsbgpBin, command, '--help']);
    if (r.status !== 0) return `"tsbgp ${command} --help" failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  }
  return undefined;
}

/** The directory of MetalLB YAML files the controller and the speakers read. */
export const metallbDir = (state: LabState): string => state.path('metallb');

export function writeResources(state: LabState): void {
  const dir = metallbDir(state);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(labResourceFiles())) writeFileSync(join(dir, name), text);
}

/** Rewrites (or, with undefined, deletes) one resource file. */
export function setResource(state: LabState, name: string, text: string | undefined): void {
  const path = join(metallbDir(state), name);
  if (text === undefined) {
    rmSync(path, { force: true });
  } else {
    writeFileSync(path, text);
  }
}

/** Runs `tsbgp controller --once` on k8s-master-01; returns the Services' assigned addresses (from its status files). */
export async function runController(state: LabState): Promise<{ readonly output: string; readonly addresses: Readonly<Record<string, string[]>> }> {
  const r = await run('ip', ['netns', 'exec', state.names.ns('k8s-master-01'), process.execPath, tsbgpBin, 'controller', '--config', metallbDir(state), '--once'], 30_000);
  if (r.status !== 0) throw new LabError(`tsbgp controller --once failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  const addresses: Record<string, string[]> = {};
  const statusDir = join(metallbDir(state), 'status');
  for (const file of existsSync(statusDir) ? readdirSync(statusDir) : []) {
    const text = readFileSync(join(statusDir, file), 'utf8');
    addresses[file.replace(/\.ya?ml$/, '')] = [...text.matchAll(/\bip:\s*"?([0-9a-f.:]+)"?/g)].map((m) => m[1]!);
  }
  return { output: (r.stdout + r.stderr).trim(), addresses };
}

const speakerName = (node: WorkerNode): string => `speaker-${node}`;

/** Starts `tsbgp speaker` on one worker. */
export function startSpeaker(state: LabState, node: WorkerNode): number {
  return state.start(speakerName(node), node, [process.execPath, tsbgpBin, 'speaker', '--node', node, '--config', metallbDir(state), '--log-format', 'json']).pid;
}

/** SIGTERM to one worker's speaker (it withdraws and closes), bounded wait. */
export function stopSpeaker(state: LabState, node: WorkerNode): Promise<boolean> {
  return state.stop(speakerName(node), 10_000);
}

/** The service address on lo and the HTTP service answering there with the node's name. */
export async function startHttpService(state: LabState, node: WorkerNode): Promise<number> {
  await ip(state.names.ns(node), 'addr', 'replace', `${serviceAddress}/32`, 'dev', 'lo');
  return state.start(`http-${node}`, node, [process.execPath, labScript('http-service.js'), '--node', node, '--address', serviceAddress, '--port', '80']).pid;
}
