import { describe, expect, it } from 'vitest';
import { ingestionIncidents, lateEventsWindow, notInstrumented, qualityAnomalies, schemaVersionsDiffer, smallSegments, wilsonInterval } from '../../rules/guardrails';

describe('wilsonInterval', () => {
  it.each([
    // successes, trials, low, high (known values of the Wilson score interval, z = 1.96)
    [0, 10, 0, 0.2775],
    [10, 10, 0.7225, 1],
    [5, 10, 0.2366, 0.7634],
    [50, 100, 0.4038, 0.5962],
    [1, 1000, 0.0002, 0.0057],
  ])('%i of %i → [%f, %f]', (k, n, low, high) => {
    const ci = wilsonInterval(k, n);
    expect(ci.low).toBeCloseTo(low, 3);
    expect(ci.high).toBeCloseTo(high, 3);
  });

  it.each([
    [0, 0],
    [3, -1],
    [1, Number.NaN],
    [5, Number.POSITIVE_INFINITY],
  ])('knows nothing from %j of %j trials: [0, 1]', (k, n) => {
    expect(wilsonInterval(k, n)).toEqual({ low: 0, high: 1 });
  });

  it('clamps successes outside 0..trials', () => {
    expect(wilsonInterval(12, 10)).toEqual(wilsonInterval(10, 10));
    expect(wilsonInterval(-3, 10)).toEqual(wilsonInterval(0, 10));
  });
});

describe('smallSegments', () => {
  it.each([
    [[{ name: 'channel=web', persons: 500, converted: 50 }], []],
    [[{ name: 'channel=web', persons: 100 }], []],
    [[{ name: 'channel=web', persons: 99 }], ['channel=web has 99 persons, fewer than 100']],
    [[{ name: 'v=1', persons: 1 }], ['v=1 has 1 person, fewer than 100']],
    [[{ name: 'v=1', persons: 0, converted: 0 }], ['v=1 has 0 persons, fewer than 100; its rate is somewhere in 0.0 %–100.0 % (95 % interval)']],
    [[{ name: 'mobile', persons: 10, converted: 5 }], ['mobile has 10 persons, fewer than 100; its rate is somewhere in 23.7 %–76.3 % (95 % interval)']],
  ])('%j → %j', (segments, messages) => {
    expect(smallSegments(segments).map((g) => g.message)).toEqual(messages);
  });

  it('takes its own threshold', () => {
    expect(smallSegments([{ name: 'x', persons: 30 }], 25)).toEqual([]);
    expect(smallSegments([{ name: 'x', persons: 30 }], 31)).toHaveLength(1);
  });
});

describe('notInstrumented', () => {
  const seen = new Map([
    ['web', new Map([['Signed Up', 10], ['Order Completed', 3]])],
    ['ios', new Map([['Signed Up', 4]])],
    ['android', new Map([['Signed Up', 0]])],
  ]);
  it('flags a platform that never sent an event the others did', () => {
    expect(notInstrumented(['Signed Up', 'Order Completed'], ['web', 'ios'], seen).map((g) => g.subject)).toEqual(['ios: Order Completed']);
  });
  it('counts a zero like an absence, and names the senders', () => {
    const out = notInstrumented(['Signed Up'], ['web', 'android'], seen);
    expect(out).toEqual([
      { code: 'not_instrumented', severity: 'warning', subject: 'android: Signed Up', message: '"Signed Up" never arrived from android in this period (it did from web): probably not instrumented there' },
    ]);
  });
  it.each([
    [['Nobody Sends This'], ['web', 'ios']],
    [['Signed Up'], ['web', 'ios']],
    [[], ['web', 'ios']],
    [['Signed Up'], []],
    [['Signed Up'], ['unknown-platform']],
  ])('says nothing when every or no platform sent it: %j on %j', (events, platforms) => {
    expect(notInstrumented(events, platforms, seen)).toEqual([]);
  });
  it('reports a repeated step once', () => {
    expect(notInstrumented(['Order Completed', 'Order Completed'], ['web', 'ios'], seen)).toHaveLength(1);
  });
});

describe('schemaVersionsDiffer', () => {
  it.each([
    [new Map([['web', ['1-0-0']], ['ios', ['1-0-0']]]), 0],
    [new Map([['web', ['1-0-0', '1-1-0']], ['ios', ['1-1-0', '1-0-0', '1-0-0']]]), 0],
    [new Map([['web', ['2-0-0']], ['ios', ['1-0-0']]]), 1],
    [new Map([['web', ['1-0-0']], ['ios', []]]), 0],
    [new Map<string, string[]>(), 0],
  ])('%j → %i', (versions, n) => {
    expect(schemaVersionsDiffer('Order Completed', versions)).toHaveLength(n);
  });
  it('names the versions per platform', () => {
    expect(schemaVersionsDiffer('E', new Map([['web', ['2-0-0']], ['ios', ['1-0-0']]]))[0]!.message).toContain('web: 2-0-0; ios: 1-0-0');
  });
});

describe('ingestionIncidents', () => {
  const m = (minute: string, received: number, rejected: number) => ({ minute: `2026-06-01T10:${minute}:00Z`, received, rejected });
  it('joins consecutive bad minutes into one incident', () => {
    const out = ingestionIncidents([m('00', 100, 1), m('01', 100, 20), m('02', 100, 30), m('03', 100, 0), m('05', 50, 25)]);
    expect(out.map((g) => g.subject)).toEqual(['2026-06-01T10:01:00.000Z – 2026-06-01T10:03:00.000Z', '2026-06-01T10:05:00.000Z – 2026-06-01T10:06:00.000Z']);
  });
  it.each([
    [[m('00', 10, 10)], 0], // too quiet to call an incident
    [[m('00', 20, 2)], 1],
    [[m('00', 100, 5)], 0], // exactly 5 %: not above
    [[m('00', 0, 0)], 0],
    [[{ minute: 'not a time', received: 100, rejected: 100 }], 0],
    [[], 0],
  ])('%j → %i incidents', (minutes, n) => {
    expect(ingestionIncidents(minutes)).toHaveLength(n);
  });
  it('sorts minutes that come in any order', () => {
    expect(ingestionIncidents([m('02', 100, 50), m('01', 100, 50)])).toHaveLength(1);
  });
});

describe('qualityAnomalies', () => {
  it('keeps flagged hours of the compared events only', () => {
    const hours = [
      { hour: '2026-06-01T10:00:00Z', event: 'A', anomaly: 'drop' },
      { hour: '2026-06-01T11:00:00Z', event: 'A', anomaly: null },
      { hour: '2026-06-01T12:00:00Z', event: 'B', anomaly: 'spike' },
    ];
    expect(qualityAnomalies(hours, ['A']).map((g) => g.message)).toEqual(['"A" had a volume drop in the hour from 2026-06-01T10:00:00Z']);
    expect(qualityAnomalies(hours, [])).toEqual([]);
    expect(qualityAnomalies(hours, ['A', 'B'])).toHaveLength(2);
  });
});

describe('lateEventsWindow', () => {
  const hour = 3_600_000;
  it.each([
    ['2026-06-01T12:00:00Z', '2026-06-01T12:30:00Z', 2 * hour, 1],
    ['2026-06-01T12:00:00Z', '2026-06-01T14:00:00Z', 2 * hour, 0],
    ['2026-06-01T12:00:00Z', '2026-06-01T11:00:00Z', 2 * hour, 1], // the period reaches into the future
    ['2026-06-01T12:00:00Z', '2026-06-01T12:30:00Z', 0, 0],
    ['2026-06-01T12:00:00Z', '2026-06-01T12:30:00Z', Number.NaN, 0],
    ['garbage', '2026-06-01T12:30:00Z', hour, 0],
  ])('to %s, now %s, horizon %d ms → %i', (to, now, horizon, n) => {
    expect(lateEventsWindow(to, now, horizon)).toHaveLength(n);
  });
  it('says the horizon in words', () => {
    expect(lateEventsWindow('2026-06-01T12:00:00Z', '2026-06-01T12:10:00Z', 45 * 60_000)[0]!.message).toContain('45 min');
    expect(lateEventsWindow('2026-06-01T12:00:00Z', '2026-06-01T12:10:00Z', 26 * hour)[0]!.message).toContain('26 h');
  });
});
