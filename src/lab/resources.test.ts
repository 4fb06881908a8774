// The lab's files: the shipped examples are what the lab writes, and they parse as the
// resources and configuration they claim to be.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { endpointSliceYaml, labResourceFiles, routerConfig, serviceYaml } from './resources.js';
import { checkRunId, LabNames, labInterfaces } from './topology.js';

/** The parts of rt-01's configuration the test reads. */
interface RouterToml {
  readonly global: { readonly config: { readonly as: number; readonly 'router-id': string }; readonly 'use-multiple-paths': { readonly config: { readonly enabled: boolean } } };
  readonly 'peer-groups': readonly { readonly config: unknown; readonly bfd?: { readonly config: unknown } }[];
  readonly 'dynamic-neighbors': readonly { readonly config: unknown }[];
  readonly zebra: { readonly config: { readonly enabled: boolean } };
}

/** Parsed, as plain objects (smol-toml makes null-prototype ones). */
const routerToml = (text: string): RouterToml => JSON.parse(JSON.stringify(parseToml(text))) as RouterToml;

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('lab resources', () => {
  it('examples/lab-rt-01.toml and examples/lab-metallb/ are what the lab writes', () => {
    assert.equal(readFileSync(`${examples}lab-rt-01.toml`, 'utf8'), routerConfig(true));
    for (const [name, text] of Object.entries(labResourceFiles())) assert.equal(readFileSync(`${examples}lab-metallb/${name}`, 'utf8'), text, name);
  });

  it('the router config holds the scenario: AS 64512, dynamic neighbors 172.17.0.0/24 in AS 64522, multipath, the FIB writer, BFD 200/200/3', () => {
    const c = routerToml(routerConfig(true));
    assert.equal(c.global.config.as, 64512);
    assert.equal(c.global.config['router-id'], '172.17.0.1');
    assert.equal(c.global['use-multiple-paths'].config.enabled, true);
    assert.deepEqual(c['peer-groups'][0]!.config, { 'peer-group-name': 'k8s', 'peer-as': 64522 });
    assert.deepEqual(c['peer-groups'][0]!.bfd?.config, { enabled: true, 'desired-min-tx-interval-ms': 200, 'required-min-rx-interval-ms': 200, 'detect-multiplier': 3 });
    assert.deepEqual(c['dynamic-neighbors'][0]!.config, { prefix: '172.17.0.0/24', 'peer-group': 'k8s' });
    assert.equal(c.zebra.config.enabled, true);
    assert.equal(routerToml(routerConfig(false))['peer-groups'][0]!.bfd, undefined);
  });

  it('the MetalLB files parse, six endpoints over three nodes, and the drills\' variants too', () => {
    const kinds = Object.values(labResourceFiles()).flatMap((t) => parseAllDocuments(t).map((d) => {
      assert.deepEqual(d.errors, []);
      return (d.toJS() as { kind: string }).kind;
    }));
    assert.deepEqual(kinds.sort(), ['BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'EndpointSlice', 'IPAddressPool', 'Node', 'Node', 'Node', 'Node', 'Service'].sort());
    const slice = parseAllDocuments(endpointSliceYaml())[0]!.toJS() as { endpoints: { nodeName: string; addresses: string[] }[] };
    assert.equal(slice.endpoints.length, 6);
    assert.deepEqual([...new Set(slice.endpoints.map((e) => e.nodeName))], ['k8s-node-01', 'k8s-node-02', 'k8s-node-03']);
    assert.equal(new Set(slice.endpoints.flatMap((e) => e.addresses)).size, 6);
    assert.deepEqual((parseAllDocuments(endpointSliceYaml([]))[0]!.toJS() as { endpoints: unknown[] }).endpoints, []);
    assert.equal((parseAllDocuments(serviceYaml('Local'))[0]!.toJS() as { spec: { externalTrafficPolicy: string } }).spec.externalTrafficPolicy, 'Local');
  });

  it('names: namespaces per run, LAN-side interface names fit 15 characters, run ids checked', () => {
    assert.equal(new LabNames('x1').ns('rt-01'), 'tsbgp-x1-rt-01');
    for (const i of labInterfaces) assert.ok(i.lanIfname.length <= 15 && i.ifname.length <= 15, i.lanIfname);
    assert.equal(checkRunId('a-1'), 'a-1');
    assert.throws(() => checkRunId('../x'), /--run-id/);
    assert.throws(() => checkRunId(''), /--run-id/);
  });
});
