import { describe, expect, it } from 'vitest';
import { analysisGuardrails, seenBySegment, smallestPerSeries, versionsBySegment, type GuardrailInputs, type SegmentEvents } from '../../rules/analysis-guardrails';

const seen = (segment: string, event: string, events: number, versions: string[] = []): SegmentEvents => ({ segment, event, events, versions });

const quiet: GuardrailInputs = {
  events: ['Viewed', 'Ordered'],
  segments: [{ name: 'channel=web', persons: 500, converted: 50 }],
  eventsBySegment: [seen('web', 'Viewed', 900), seen('web', 'Ordered', 60), seen('mobile', 'Viewed', 300), seen('mobile', 'Ordered', 20)],
  healthMinutes: [],
  qualityHours: [],
  periodEnd: '2026-05-01T00:00:00Z',
  now: '2026-05-20T00:00:00Z',
  lateHorizonMs: 3_600_000,
};

describe('analysisGuardrails', () => {
  it('says nothing about sound numbers', () => {
    expect(analysisGuardrails(quiet)).toEqual([]);
  });

  it.each([
    ['a small segment', { segments: [{ name: 'channel=mobile', persons: 12, converted: 0 }] }, ['small_segment channel=mobile']],
    ['a platform that never sent a step', { eventsBySegment: [seen('web', 'Viewed', 9), seen('web', 'Ordered', 2), seen('ios', 'Viewed', 4)] }, ['not_instrumented ios: Ordered']],
    ['a step sent with 0 events counts as not sent', { eventsBySegment: [seen('web', 'Viewed', 9), seen('web', 'Ordered', 2), seen('ios', 'Viewed', 4), seen('ios', 'Ordered', 0)] }, ['not_instrumented ios: Ordered']],
    ['one platform only: nothing to compare', { eventsBySegment: [seen('web', 'Viewed', 9)] }, []],
    ['a compared value that sent none of the events', { events: ['Ordered'], eventsBySegment: [seen('web', 'Ordered', 9)], compared: ['web', 'mobile'] }, ['not_instrumented mobile: Ordered']],
    ['schema versions that differ per platform', { eventsBySegment: [seen('web', 'Viewed', 9, ['1-0-0']), seen('web', 'Ordered', 1), seen('ios', 'Viewed', 4, ['2-0-0']), seen('ios', 'Ordered', 1)] }, ['schema_versions_differ Viewed']],
    ['events without a schema version: skipped', { eventsBySegment: [seen('web', 'Viewed', 9, []), seen('ios', 'Viewed', 4, ['2-0-0']), seen('web', 'Ordered', 1), seen('ios', 'Ordered', 1)] }, []],
    [
      'an ingestion incident',
      { healthMinutes: [{ minute: '2026-04-30T10:00:00Z', received: 100, rejected: 30 }] },
      ['ingestion_incident 2026-04-30T10:00:00.000Z – 2026-04-30T10:01:00.000Z'],
    ],
    ['a volume anomaly of a compared event', { qualityHours: [{ hour: '2026-04-30T10:00:00Z', event: 'Viewed', anomaly: 'drop' }] }, ['quality_anomaly Viewed @ 2026-04-30T10:00:00Z']],
    ['a volume anomaly of another event: not ours', { qualityHours: [{ hour: '2026-04-30T10:00:00Z', event: 'Other', anomaly: 'spike' }] }, []],
    [
      'a figure over every event takes every anomaly',
      { events: [], eventsBySegment: [], qualityHours: [{ hour: '2026-04-30T10:00:00Z', event: 'Other', anomaly: 'spike' }] },
      ['quality_anomaly Other @ 2026-04-30T10:00:00Z'],
    ],
    ['a period that ends within the lateness horizon', { periodEnd: '2026-05-19T23:30:00Z' }, ['late_events_window 2026-05-19T23:30:00Z']],
    ['no lateness known', { periodEnd: '2026-05-19T23:30:00Z', lateHorizonMs: null }, []],
  ] as [string, Partial<GuardrailInputs>, string[]][])('%s', (_label, change, expected) => {
    expect(analysisGuardrails({ ...quiet, ...change }).map((g) => `${g.code} ${g.subject}`)).toEqual(expected);
  });

  it('puts warnings before notes, keeping each rule’s order', () => {
    const out = analysisGuardrails({
      ...quiet,
      periodEnd: '2026-05-19T23:30:00Z',
      segments: [{ name: 'a', persons: 1 }, { name: 'b', persons: 2 }],
      eventsBySegment: [seen('web', 'Viewed', 9, ['1-0-0']), seen('ios', 'Viewed', 4, ['2-0-0']), seen('web', 'Ordered', 3)],
    });
    expect(out.map((g) => `${g.severity} ${g.code} ${g.subject}`)).toEqual([
      'warning small_segment a',
      'warning small_segment b',
      'warning not_instrumented ios: Ordered',
      'info schema_versions_differ Viewed',
      'info late_events_window 2026-05-19T23:30:00Z',
    ]);
  });

  it('takes its own minimum segment size', () => {
    expect(analysisGuardrails({ ...quiet, segments: [{ name: 'x', persons: 40 }], minSegmentPersons: 30 })).toEqual([]);
  });
});

describe('seenBySegment and versionsBySegment', () => {
  const rows = [seen('web', 'A', 2, ['1-0-0']), seen('web', 'A', 3, ['1-1-0']), seen('ios', 'B', 1, ['2-0-0'])];
  it('adds up repeated rows', () => {
    expect(seenBySegment(rows)).toEqual(new Map([['web', new Map([['A', 5]])], ['ios', new Map([['B', 1]])]]));
  });
  it('gathers one event’s versions per segment', () => {
    expect(versionsBySegment(rows, 'A')).toEqual(new Map([['web', ['1-0-0', '1-1-0']]]));
    expect(versionsBySegment(rows, 'C')).toEqual(new Map());
  });
});

describe('smallestPerSeries', () => {
  it.each([
    [[], []],
    [
      [
        { series: 'web', bucket: '2026-05-04', persons: 300, converted: 30 },
        { series: 'web', bucket: '2026-05-11', persons: 40, converted: 4 },
        { series: 'ios 2.0', bucket: '2026-05-04', persons: 20 },
      ],
      [
        { name: 'web (2026-05-11)', persons: 40, converted: 4 },
        { name: 'ios 2.0 (2026-05-04)', persons: 20 },
      ],
    ],
    [[{ series: 'web', bucket: '2026-05-04', persons: 0, converted: 0 }], []], // nobody: nothing to read
    [
      [
        { series: 'web', bucket: '2026-05-04', persons: 5 },
        { series: 'web', bucket: '2026-05-11', persons: 5 },
      ],
      [{ name: 'web (2026-05-04)', persons: 5 }],
    ], // a tie keeps the first
  ])('%j → %j', (points, segments) => {
    expect(smallestPerSeries(points)).toEqual(segments);
  });
});
