// tsbgpd's Prometheus endpoint with a real gobgpd peer: /healthz, /readyz, and /metrics
// parsed twice, by a strict parser of the text exposition format 0.0.4 written from its
// specification and by the Prometheus project's Python client (python3-prometheus-client);
// both must read the same samples, and the counters (UPDATEs and bytes) must move as
// gobgpd sends routes and tsbgpd announces one.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Scope, allocLoopback, freePort, waitFor } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import { Tsbgpd } from './tsbgpd.js';

interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

/** The family a sample belongs to: summaries and histograms add suffixes to the name. */
function familyOf(name: string, declared: ReadonlyMap<string, string>): string {
  for (const suffix of ['_sum', '_count', '_bucket']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && (declared.get(base) === 'summary' || declared.get(base) === 'histogram')) return base;
  }
  return name;
}

/**
 * The text format as its specification states it: lines end in \n; `# HELP name text`
 * and `# TYPE name type` at most once per family, TYPE before the family's samples;
 * other comments ignored; a sample is `name{label="value",...} value [timestamp]` with
 * \\, \" and \n escapes in label values; a family's samples are contiguous; the same
 * name and labels never appear twice.
 */
function parseExposition(text: string): ParsedSample[] {
  assert.ok(text.endsWith('\n'), 'the last line ends in a line feed');
  const declared = new Map<string, string>();
  const helped = new Set<string>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const out: ParsedSample[] = [];
  text.slice(0, -1).split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (m === null) return;
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      if (!metricName.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (declared.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (out.some((s) => familyOf(s.name, declared) === name)) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (!types.has(rest ?? '')) throw new Error(`line ${line}: bad type ${rest}`);
        declared.set(name, rest!);
      } else {
        if (helped.has(name)) throw new Error(`line ${line}: second HELP for ${name}`);
        helped.add(name);
      }
      return;
    }
    let pos = 0;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (nameMatch === null) throw new Error(`line ${line}: no metric name`);
    const name = nameMatch[0];
    pos = name.length;
    const labels: Record<string, string> = {};
    if (raw[pos] === '{') {
      pos++;
      while (raw[pos] !== '}') {
        const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(raw.slice(pos));
        if (ln === null || !labelName.test(ln[0])) throw new Error(`line ${line}: bad label name at ${pos}`);
        pos += ln[0].length;
        if (raw.slice(pos, pos + 2) !== '="') throw new Error(`line ${line}: expected =" at ${pos}`);
        pos += 2;
        let value = '';
        for (;;) {
          const c = raw[pos++];
          if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const e = raw[pos++];
            if (e === '\\') value += '\\';
            else if (e === '"') value += '"';
            else if (e === 'n') value += '\n';
            else throw new Error(`line ${line}: bad escape \\${e}`);
          } else value += c;
        }
        if (ln[0] in labels) throw new Error(`line ${line}: label ${ln[0]} twice`);
        labels[ln[0]] = value;
        if (raw[pos] === ',') pos++;
        else if (raw[pos] !== '}') throw new Error(`line ${line}: expected , or } at ${pos}`);
      }
      pos++;
    }
    const rest = raw.slice(pos);
    const m = /^ +(\S+)(?: +(-?\d+))?$/.exec(rest);
    if (m === null) throw new Error(`line ${line}: expected " value [timestamp]", got "${rest}"`);
    const family = familyOf(name, declared);
    if (family !== current) {
      if (finished.has(family)) throw new Error(`line ${line}: samples of ${family} not contiguous`);
      if (current !== undefined) finished.add(current);
      current = family;
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: ${key} twice`);
    seen.add(key);
    out.push({ name, labels, value: parseValue(m[1]!, line) });
  });
  return out;
}

/** The same text through prometheus_client's parser (Debian's python3-prometheus-client, for /usr/bin/python3): [name, labels, value] per sample. */
function parseWithPrometheusClient(text: string): ParsedSample[] {
  const script = [
    'import sys, json',
    'from prometheus_client.parser import text_string_to_metric_families',
    'out = []',
    'for f in text_string_to_metric_families(sys.stdin.read()):',
    '    for s in f.samples:',
    '        out.append([s.name, s.labels, s.value])',
    'print(json.dumps(out))',
  ].join('\n');
  const json = execFileSync('/usr/bin/python3', ['-c', script], { input: text, encoding: 'utf8', timeout: 10_000 });
  return (JSON.parse(json) as [string, Record<string, string>, number][]).map(([name, labels, value]) => ({ name, labels, value }));
}

function sampleKey(s: ParsedSample): string {
  return `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`;
}

describe('tsbgpd --metrics-port with a gobgpd peer', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let peer: Gobgpd;
  let base = '';

  const scrape = async (): Promise<ParsedSample[]> => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const ours = parseExposition(text);
    const theirs = parseWithPrometheusClient(text);
    assert.deepEqual(ours.map(sampleKey).sort(), theirs.map(sampleKey).sort(), 'both parsers read the same samples');
    return ours;
  };
  const value = (samples: readonly ParsedSample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  before(async () => {
    scope = await Scope.create('metrics');
    const address = allocLoopback();
    const peerAddress = allocLoopback();
    const [port, peerPort, metricsPort] = await Promise.all([freePort(address), freePort(peerAddress), freePort(address)]);
    base = `http://${address}:${metricsPort}`;
    tsbgpd = new Tsbgpd(scope, {
      as: 64512,
      address,
      port,
      neighbors: [{ address: peerAddress, port: peerPort, as: 64522, isPassive: true }],
      originate: [{ prefix: '10.99.0.0/24', nextHop: '192.0.2.1' }],
      extraArgs: ['--metrics-port', String(metricsPort), '--metrics-host', address],
    });
    peer = new Gobgpd(scope, { as: 64522, address: peerAddress, port: peerPort, neighbors: [{ address, port, as: 64512, isPassive: false }], nextHop4: '172.17.0.21', nextHop6: '2001:db8::21' });
    await tsbgpd.start();
    await peer.start();
    await tsbgpd.waitForState(peerAddress, 'Established', 20_000);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('/healthz and /readyz answer 200; an unknown path 404', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), 'ready\n');
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
  });

  it('/metrics parses strictly and with prometheus_client; counters move with traffic', async () => {
    const address = peer.options.address;
    const family = 'ipv4-unicast';
    const before = await scrape();
    assert.equal(value(before, 'tsbgp_bgp_sessions', { state: 'Established' }), 1);
    assert.equal(value(before, 'tsbgp_bgp_sessions', { state: 'Idle' }), 0);
    assert.equal(value(before, 'tsbgp_bgp_peer_up', { peer: address }), 1);
    const updatesBefore = value(before, 'tsbgp_bgp_updates_received_total', { peer: address }) ?? -1;
    const changesBefore = value(before, 'tsbgp_rib_best_path_changes_total', { family }) ?? 0;
    const bytesInBefore = value(before, 'tsbgp_bgp_bytes_received_total', { peer: address }) ?? -1;
    const bytesOutBefore = value(before, 'tsbgp_bgp_bytes_sent_total', { peer: address }) ?? -1;
    // At least an OPEN (29 octets) and a KEEPALIVE (19) each way, and our route's UPDATE out.
    assert.ok(bytesInBefore >= 29 + 19, `bytes received ${bytesInBefore}`);
    assert.ok(bytesOutBefore >= 29 + 19 + 23, `bytes sent ${bytesOutBefore}`);
    assert.ok(updatesBefore >= 0);
    assert.ok((value(before, 'tsbgp_event_loop_delay_seconds_count') ?? 0) >= 0);

    for (const p of ['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24']) await peer.cli(['global', 'rib', '-a', 'ipv4', 'add', p, 'nexthop', '172.17.0.21']);
    const after = await waitFor(async () => {
      const s = await scrape();
      return value(s, 'tsbgp_bgp_prefixes_received', { peer: address, family }) === 3 ? s : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'prefixes_received 3', scope });
    assert.equal(value(after, 'tsbgp_bgp_prefixes_accepted', { peer: address, family }), 3);
    assert.ok((value(after, 'tsbgp_bgp_updates_received_total', { peer: address }) ?? 0) >= updatesBefore + 3);
    assert.ok((value(after, 'tsbgp_rib_best_path_changes_total', { family }) ?? 0) >= changesBefore + 3);
    assert.equal(value(after, 'tsbgp_rib_prefixes', { family }), 4, 'three received and our own');
    assert.equal(value(after, 'tsbgp_bgp_prefixes_advertised', { peer: address, family }), 1);
    assert.ok((value(after, 'tsbgp_bgp_updates_sent_total', { peer: address }) ?? 0) >= 1);
    // Three UPDATEs of at least 23 octets (RFC 4271 4.3) each came in since.
    assert.ok((value(after, 'tsbgp_bgp_bytes_received_total', { peer: address }) ?? 0) >= bytesInBefore + 3 * 23);
    assert.ok((value(after, 'tsbgp_bgp_bytes_sent_total', { peer: address }) ?? 0) >= bytesOutBefore);
  });
});
