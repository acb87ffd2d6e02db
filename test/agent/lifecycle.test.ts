// Every (state, event) pair of the job lifecycle: the allowed ones give the expected next
// state and actions, every other pair is rejected. The expectation is written out here
// independently of agent/lifecycle.ts, so a change to the table must change this test too.
import t from 'tap';
import { EVENTS, STATES, TABLE, transition, isTerminal, type JobEvent, type JobState } from '../../agent/lifecycle.ts';

// "state event" -> "next: action, action" (actions written as type[:detail]).
const ALLOWED: Record<string, string> = {
  'arrived begin': 'analysing: analyse',
  'arrived cancelled': 'cancelled:',
  'arrived gone': 'cancelled:',
  'analysing analysed': 'authorizing: authorize',
  'analysing analysis-failed': 'authorizing: authorize',
  'authorizing decision-allow': 'releasing: release',
  'authorizing decision-deny': 'denying: cancel:denied',
  'authorizing decision-hold': 'held: keep-held:server-hold',
  'authorizing unreachable-log-nothing': 'releasing-unlogged: release-unlogged',
  'authorizing unreachable-log-later': 'releasing-offline: release-offline',
  'authorizing unreachable-hold': 'offline-held: keep-held:server-unreachable',
  'held server-released': 'releasing: release',
  'held server-cancelled': 'cancelling: cancel:server-cancelled',
  'held timed-out': 'cancelling: cancel:timed-out',
  'held cancelled': 'cancelled: complete:CANCELLED',
  'held gone': 'cancelled: complete:CANCELLED',
  'offline-held reconnected': 'authorizing: authorize',
  'offline-held cancelled': 'cancelled:',
  'offline-held gone': 'cancelled:',
  'releasing released': 'printing:',
  'releasing watermark-failed': 'cancelling: cancel:watermark',
  'releasing gone': 'cancelled: complete:CANCELLED',
  'releasing-offline released': 'printing-offline:',
  'releasing-offline watermark-failed': 'denying: cancel:watermark',
  'releasing-offline gone': 'cancelled: journal-end:CANCELLED',
  'releasing-unlogged released': 'forgotten: forget',
  'releasing-unlogged watermark-failed': 'denying: cancel:watermark',
  'releasing-unlogged gone': 'forgotten: forget',
  'denying cancel-done': 'denied:',
  'denying gone': 'denied:',
  'cancelling cancel-done': 'cancelled: complete:CANCELLED',
  'cancelling gone': 'cancelled: complete:CANCELLED',
  'printing printed': 'completed: complete:PRINTED',
  'printing aborted': 'failed: complete:FAILED',
  'printing cancelled': 'cancelled: complete:CANCELLED',
  'printing gone': 'completed: complete:PRINTED',
  'printing-offline printed': 'completed: journal-end:PRINTED',
  'printing-offline aborted': 'failed: journal-end:FAILED',
  'printing-offline cancelled': 'cancelled: journal-end:CANCELLED',
  'printing-offline gone': 'completed: journal-end:PRINTED',
};

function describe(next: JobState, actions: readonly { type: string; why?: string; outcome?: string }[]): string {
  const a = actions.map((x) => [x.type, x.why ?? x.outcome].filter(Boolean).join(':'));
  return `${next}:${a.length ? ' ' + a.join(', ') : ''}`;
}

t.test('every state/event pair', async (t) => {
  let allowed = 0;
  for (const state of STATES) {
    for (const event of EVENTS) {
      const key = `${state} ${event}`;
      const r = transition(state, event);
      const want = ALLOWED[key];
      if (want === undefined) {
        t.equal(r.ok, false, `${key} is rejected`);
        if (!r.ok) t.match(r.reason, event, `${key}: the reason names the event`);
      } else {
        allowed++;
        t.equal(r.ok, true, `${key} is allowed`);
        if (r.ok) t.equal(describe(r.next, r.actions), want, key);
      }
    }
  }
  t.equal(allowed, Object.keys(ALLOWED).length, 'every expected pair exists in the state/event lists');
  t.equal(STATES.length * EVENTS.length, 17 * 20, 'the pair count this test covers');
});

t.test('terminal states accept nothing and every other state has a way out', async (t) => {
  for (const state of STATES) {
    const row = TABLE[state];
    if (isTerminal(state)) t.same(Object.keys(row), [], `${state} is terminal`);
    else t.ok(Object.keys(row).length > 0, `${state} has transitions`);
  }
  const r = transition('completed', 'printed');
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.reason, /already completed/);
});

t.test('every non-terminal state reaches a terminal state', async (t) => {
  const reach = new Set<JobState>(STATES.filter(isTerminal));
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of STATES) {
      if (reach.has(s)) continue;
      if (Object.values(TABLE[s]).some((tr) => tr && reach.has(tr.next))) { reach.add(s); changed = true; }
    }
  }
  t.same([...STATES].filter((s) => !reach.has(s)), []);
});

t.test('unknown inputs are rejected, not thrown', async (t) => {
  t.equal(transition('nowhere' as JobState, 'begin').ok, false);
  t.equal(transition('arrived', 'toString' as JobEvent).ok, false, 'prototype names are not events');
});
