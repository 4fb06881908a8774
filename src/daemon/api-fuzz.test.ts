import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayTarget } from '../fuzz/replay.js';
import { ApiServer } from '../api/server.js';
import { scenarioBackend } from '../api/fake-backend.js';
import { ApiStatusError, BadRequestError, InternalStatusError, apiFuzzTargets, callHandler, fuzzedMethods, runApiInput } from './api-fuzz.js';

for (const target of apiFuzzTargets) {
  test(`${target.name}: kept crash and hang inputs and the seed requests end cleanly`, async () => {
    const { problems, count } = await replayTarget(target);
    assert.ok(count > 0, 'the target has seeds');
    assert.deepEqual(problems, []);
  });
}

test('the seed requests reach the handlers: most are served, none is a bad request', async () => {
  let served = 0;
  for (const input of apiFuzzTargets[0]!.seeds()) {
    try {
      await runApiInput(input);
      served++;
    } catch (e) {
      assert.ok(e instanceof ApiStatusError, `${fuzzedMethods[input[0]!]}: ${String(e)}`);
    }
  }
  assert.ok(served >= 15, `${served} seeds served`);
});

test('undecodable bytes are a bad request, an unknown neighbor a NOT_FOUND status', async () => {
  const addPeer = fuzzedMethods.indexOf('AddPeer');
  // Field 1 (peer), length-delimited, claiming 100 bytes of which none follow.
  await assert.rejects(runApiInput(Uint8Array.from([addPeer, 0x0a, 100])), BadRequestError);
  const enable = fuzzedMethods.indexOf('EnablePeer');
  const address = new TextEncoder().encode('127.0.0.77');
  await assert.rejects(runApiInput(Uint8Array.from([enable, 0x0a, address.length, ...address])), (e: unknown) => e instanceof ApiStatusError && /NOT_FOUND/.test(e.message));
});

test('a throw the handlers did not mean (INTERNAL) is told apart from a status', async () => {
  const backend = scenarioBackend(0);
  backend.listPeers = () => {
    throw new TypeError('listPeers broke');
  };
  const handlers = ApiServer.handlers(backend);
  await assert.rejects(callHandler(handlers, 'ListPeer', { address: '' }), (e: unknown) => e instanceof InternalStatusError && /listPeers broke/.test(e.message));
  await assert.rejects(callHandler(handlers, 'ListPeer', { address: 'not an address' }), (e: unknown) => e instanceof ApiStatusError && /INVALID_ARGUMENT/.test(e.message));
  const [global] = await callHandler(handlers, 'GetBgp', {});
  assert.equal((global as { global: { asn: number } }).global.asn, 64512);
});
