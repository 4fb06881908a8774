import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { step, sessionStates, fsmEvents, stateTimers, type Action, type SessionState, type FsmEvent } from './fsm.js';
import { NotifyCode, FsmSubcode, CeaseSubcode } from '../wire/errors.js';

const has = (actions: readonly Action[], what: Action['do']): boolean => actions.some((a) => a.do === what);
const notifications = (actions: readonly Action[]): [number, number][] =>
  actions.flatMap((a) => (a.do === 'sendNotification' ? [[a.code, a.subcode] as [number, number]] : []));

test('the happy path of an active open: Idle -> Connect -> OpenSent -> OpenConfirm -> Established', () => {
  const script: [FsmEvent, SessionState, Action['do'][]][] = [
    ['ManualStart', 'Connect', ['clearFailures', 'connect']],
    ['Tcp_CR_Acked', 'OpenSent', ['sendOpen']],
    ['BGPOpen', 'OpenConfirm', ['sendKeepalive']],
    ['KeepAliveMsg', 'Established', ['restartHoldTimer', 'peerUp']],
    ['UpdateMsg', 'Established', ['restartHoldTimer', 'processUpdate']],
    ['KeepaliveTimer_Expires', 'Established', ['sendKeepalive', 'restartKeepaliveTimer']],
  ];
  let state: SessionState = 'Idle';
  for (const [event, next, actions] of script) {
    const t = step(state, event);
    assert.equal(t.next, next, `${state} + ${event}`);
    assert.deepEqual(t.actions.map((a) => a.do), actions, `${state} + ${event}`);
    state = t.next;
  }
});

test('passive start waits in Active; the incoming connection sends our OPEN', () => {
  assert.deepEqual(step('Idle', 'ManualStart_with_PassiveTcpEstablishment').next, 'Active');
  assert.ok(!has(step('Idle', 'ManualStart_with_PassiveTcpEstablishment').actions, 'connect'));
  const t = step('Active', 'TcpConnectionConfirmed');
  assert.equal(t.next, 'OpenSent');
  assert.deepEqual(t.actions.map((a) => a.do), ['sendOpen']);
});

test('hold timer expiry sends Hold Timer Expired in every state that has a connection', () => {
  for (const s of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const t = step(s, 'HoldTimer_Expires');
    assert.equal(t.next, 'Idle');
    assert.deepEqual(notifications(t.actions), [[NotifyCode.holdTimerExpired, 0]]);
    assert.ok(has(t.actions, 'closeConnection'));
    assert.ok(has(t.actions, 'incrementFailures'));
  }
  assert.deepEqual(notifications(step('Established', 'SendHoldTimer_Expires').actions), [[NotifyCode.sendHoldTimerExpired, 0]]);
});

test('an unexpected event is an FSM Error with the RFC 6608 sub-code of the state', () => {
  const cases: [SessionState, FsmEvent, number][] = [
    ['OpenSent', 'KeepAliveMsg', FsmSubcode.unexpectedInOpenSent],
    ['OpenSent', 'UpdateMsg', FsmSubcode.unexpectedInOpenSent],
    ['OpenConfirm', 'UpdateMsg', FsmSubcode.unexpectedInOpenConfirm],
    ['OpenConfirm', 'BGPOpen', FsmSubcode.unexpectedInOpenConfirm],
    ['OpenConfirm', 'RouteRefreshMsg', FsmSubcode.unexpectedInOpenConfirm],
    ['Established', 'BGPOpen', FsmSubcode.unexpectedInEstablished],
    ['Established', 'ConnectRetryTimer_Expires', FsmSubcode.unexpectedInEstablished],
  ];
  for (const [state, event, subcode] of cases) {
    const t = step(state, event);
    assert.equal(t.next, 'Idle', `${state} + ${event}`);
    assert.deepEqual(notifications(t.actions), [[NotifyCode.fsm, subcode]], `${state} + ${event}`);
    assert.ok(has(t.actions, 'closeConnection'));
  }
  assert.ok(has(step('Established', 'BGPOpen').actions, 'peerDown'));
});

test('Idle ignores everything but the start events and the idle hold timer', () => {
  for (const e of fsmEvents) {
    const t = step('Idle', e);
    if (e.includes('Start') && e !== 'AutomaticStop') assert.notEqual(t.next, 'Idle', e);
    else if (e === 'IdleHoldTimer_Expires') assert.deepEqual(t.actions, [{ do: 'automaticStart' }]);
    else assert.deepEqual(t, { next: 'Idle', actions: [] }, e);
  }
});

test('start events are ignored once started (RFC 4271 8.2.2)', () => {
  for (const s of sessionStates.filter((x) => x !== 'Idle')) {
    for (const e of ['ManualStart', 'AutomaticStart', 'ManualStart_with_PassiveTcpEstablishment'] as const) {
      assert.deepEqual(step(s, e), { next: s, actions: [] }, `${s} + ${e}`);
    }
  }
});

test('a stop sends the Cease it carries; errors send the WireError they carry', () => {
  for (const s of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const stop = step(s, 'ManualStop');
    assert.equal(stop.next, 'Idle');
    assert.deepEqual(stop.actions.slice(0, 2).map((a) => a.do), ['sendEventNotification', 'closeConnection']);
    assert.ok(has(stop.actions, 'clearFailures'));
    assert.ok(has(step(s, 'BGPHeaderErr').actions, 'sendEventNotification'));
  }
  assert.ok(has(step('Established', 'UpdateMsgErr').actions, 'sendEventNotification'));
  assert.ok(!has(step('Connect', 'ManualStop').actions, 'sendEventNotification'));
});

test('a received NOTIFICATION closes without answering', () => {
  for (const s of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    for (const e of ['NotifMsg', 'NotifMsgVerErr'] as const) {
      const t = step(s, e);
      assert.equal(t.next, 'Idle');
      assert.ok(!has(t.actions, 'sendNotification') && !has(t.actions, 'sendEventNotification'), `${s} + ${e}`);
    }
  }
});

test('a lost collision sends Cease / Connection Collision Resolution and waits in Active for the winner', () => {
  for (const s of ['OpenSent', 'OpenConfirm'] as const) {
    const t = step(s, 'OpenCollisionDump');
    assert.equal(t.next, 'Active');
    assert.deepEqual(notifications(t.actions), [[NotifyCode.cease, CeaseSubcode.connectionCollisionResolution]]);
    assert.ok(!has(t.actions, 'incrementFailures'));
  }
});

test('connect attempts: retry in Connect, fall back to Active, retry from Active', () => {
  assert.deepEqual(step('Connect', 'ConnectRetryTimer_Expires').actions.map((a) => a.do), ['closeConnection', 'restartConnectRetryTimer', 'connect']);
  assert.equal(step('Connect', 'TcpConnectionFails').next, 'Active');
  const t = step('Active', 'ConnectRetryTimer_Expires');
  assert.equal(t.next, 'Connect');
  assert.ok(has(t.actions, 'connect'));
});

test('timers per state: hold is large in OpenSent, negotiated later; idle hold only in Idle', () => {
  assert.equal(stateTimers.OpenSent.hold, 'open');
  assert.equal(stateTimers.OpenConfirm.hold, 'negotiated');
  assert.equal(stateTimers.Established.keepalive, true);
  for (const s of sessionStates) assert.equal(stateTimers[s].idleHold, s === 'Idle', s);
  for (const s of sessionStates) assert.equal(stateTimers[s].connectRetry, s === 'Connect' || s === 'Active', s);
});

test('any event sequence keeps the table\'s invariants', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...fsmEvents), { maxLength: 60 }), (events) => {
      let state = 'Idle' as SessionState;
      for (const e of events) {
        const t = step(state, e);
        assert.ok(sessionStates.includes(t.next));
        // The RIB hears of every Established it saw begin, and only then.
        assert.equal(has(t.actions, 'peerUp'), state !== 'Established' && t.next === 'Established');
        assert.equal(has(t.actions, 'peerDown'), state === 'Established' && t.next !== 'Established');
        // A NOTIFICATION is always followed by closing the connection.
        if (has(t.actions, 'sendNotification') || has(t.actions, 'sendEventNotification')) assert.ok(has(t.actions, 'closeConnection'));
        // Leaving a connected state for Idle closes the connection.
        if (t.next === 'Idle' && state !== 'Idle') assert.ok(has(t.actions, 'closeConnection'), `${state} + ${e}`);
        state = t.next;
      }
    }),
    { numRuns: 300 },
  );
});
