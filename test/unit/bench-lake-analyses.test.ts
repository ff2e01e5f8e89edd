import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { median } from '../../bench/harness/figures';
import { CONVERSION, FEATURE_EVENT, FUNNEL_STEPS, lakeAnalyses, type LakeAnalysis } from '../../bench/lake-analyses';
import { compareAnswers } from '../../bench/same-answer';

describe('compareAnswers', () => {
  it.each([
    ['no rows', [], [], 0, null],
    ['the same rows', [{ step: 1, event: 'A', persons: 3 }], [{ step: 1, event: 'A', persons: 3 }], 0, null],
    ['nulls on both sides', [{ p50_s: null }], [{ p50_s: null }], 0.001, null],
    ['percentiles within the tolerance', [{ p50_s: 3600.000001 }], [{ p50_s: 3600 }], 0.001, null],
    ['rates a rounding step apart', [{ rate: 0.0313 }], [{ rate: 0.0312 }], 0.00011, null],
    ['a count one apart', [{ persons: 10 }], [{ persons: 11 }], 0.00011, 'row 0 persons: 10 (postgres) vs 11 (duckdb)'],
    ['a count one apart, however large', [{ persons: 9_999_999 }], [{ persons: 10_000_000 }], 0.5, 'row 0 persons'],
    ['a percentile off by more', [{ p50_s: 3600.01 }], [{ p50_s: 3600 }], 0.001, 'row 0 p50_s'],
    ['a missing row', [{ day: '2026-01-01' }, { day: '2026-01-02' }], [{ day: '2026-01-01' }], 0, '2 rows (postgres) vs 1 rows (duckdb)'],
    ['rows in another order', [{ day: 'a' }, { day: 'b' }], [{ day: 'b' }, { day: 'a' }], 0, 'row 0 day'],
    ['another column', [{ persons: 1 }], [{ people: 1 }], 0, 'columns persons (postgres) vs people (duckdb)'],
    ['a numeric string for a number (a missing cast)', [{ persons: '5' }], [{ persons: 5 }], 0, 'row 0 persons: "5" (postgres) vs 5 (duckdb)'],
    ['null against zero', [{ p50_s: null }], [{ p50_s: 0 }], 0.001, 'row 0 p50_s: null'],
    ['an empty string against null', [{ app_version: '' }], [{ app_version: null }], 0, 'row 0 app_version'],
    ['strings differing in case', [{ event: 'Search' }], [{ event: 'search' }], 0, 'row 0 event'],
  ])('%s', (_, postgres, duckdb, tolerance, difference) => {
    const outcome = compareAnswers(postgres, duckdb, tolerance);
    expect(outcome.equal).toBe(difference === null);
    if (difference !== null) expect(outcome.equal ? '' : outcome.difference).toContain(difference);
  });
});

describe('median', () => {
  it.each([
    [[], null],
    [[7], 7],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 3],
    [[5, 5, 1, 5, 100], 5],
    [[-1, 0.5], 0.5],
  ])('of %j is %j', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

/**
 * The DuckDB side of the lake analyses on a handful of events whose answers
 * are worked out by hand: the orderings, boundaries and repeats that
 * analytics.funnel and analytics.time_to_convert define.
 */
describe('lakeAnalyses on DuckDB', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const from = new Date('2026-03-01T00:00:00.000Z');
  const to = new Date('2026-03-31T00:00:00.000Z');
  const at = (ms: number) => new Date(from.getTime() + ms);
  const [A, B, C] = FUNNEL_STEPS;

  /** [event id, person, event, time, channel, context] */
  type Row = [string, string | null, string, Date, string?, string?];
  const rows: Row[] = [
    // p1: A, B, C in order within the window: all three steps
    ['p1-1', 'p1', A, at(DAY), 'web'],
    ['p1-2', 'p1', B, at(DAY + HOUR), 'mobile'],
    ['p1-3', 'p1', C, at(DAY + 2 * HOUR), 'web'],
    // p2: A, C, B: the C before B does not count
    ['p2-1', 'p2', A, at(2 * DAY)],
    ['p2-2', 'p2', C, at(2 * DAY + HOUR)],
    ['p2-3', 'p2', B, at(2 * DAY + 2 * HOUR)],
    // p3: B before A: step 1 only; C 8 days after A: started, not converted
    ['p3-1', 'p3', B, at(3 * DAY)],
    ['p3-2', 'p3', A, at(3 * DAY + HOUR)],
    ['p3-3', 'p3', C, at(11 * DAY + HOUR)],
    // p4: B exactly the window after A counts, C a second later does not
    ['p4-1', 'p4', A, at(4 * DAY)],
    ['p4-2', 'p4', B, at(11 * DAY)],
    ['p4-3', 'p4', C, at(11 * DAY + 1000)],
    // p5: A and B at the same time, A's id first: A then B
    ['p5-a', 'p5', A, at(5 * DAY)],
    ['p5-b', 'p5', B, at(5 * DAY)],
    // p6: the same time, B's id first: B then A, step 1 only
    ['p6-b', 'p6', A, at(6 * DAY)],
    ['p6-a', 'p6', B, at(6 * DAY)],
    // p7: A before the range: nothing, though B and C follow
    ['p7-1', 'p7', A, at(-HOUR)],
    ['p7-2', 'p7', B, at(HOUR)],
    ['p7-3', 'p7', C, at(2 * HOUR)],
    // p8: B within the window of a later A only (the latest start counts), C 4 days after that A: all three steps
    ['p8-1', 'p8', A, at(7 * DAY)],
    ['p8-2', 'p8', A, at(12 * DAY)],
    ['p8-3', 'p8', B, at(15 * DAY)],
    ['p8-4', 'p8', C, at(16 * DAY)],
    // p9: A a millisecond before the range ends, B after it inside the window
    ['p9-1', 'p9', A, new Date(to.getTime() - 1)],
    ['p9-2', 'p9', B, new Date(to.getTime() + DAY)],
    // events of nobody count for nobody
    ['x-1', null, A, at(DAY)],
    ['x-2', null, B, at(DAY + HOUR)],
    // p10: no A; the feature on mobile with an app version
    ['p10-1', 'p10', C, at(20 * DAY), 'mobile', '{"app":{"version":"2.1"}}'],
    ['p10-2', 'p10', FEATURE_EVENT, at(20 * DAY + HOUR), 'mobile', '{"app":{"version":"2.1"}}'],
  ];

  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  let analyses: Map<string, LakeAnalysis>;
  const answer = async (prefix: string) => {
    const analysis = [...analyses.values()].find((a) => a.name.startsWith(prefix))!;
    return (await connection.runAndReadAll(analysis.duckdb)).getRowObjectsJson();
  };

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run(
      `CREATE TABLE events (event_id VARCHAR, person_id VARCHAR, session_id VARCHAR, channel VARCHAR, event VARCHAR, event_time TIMESTAMPTZ, context JSON, project_id VARCHAR, event_date DATE)`,
    );
    const values = rows.map(([id, person, event, time, channel = 'web', context = '{}']) => {
      const t = time.toISOString();
      return `('${id}', ${person === null ? 'NULL' : `'${person}'`}, '${person}-${t.slice(0, 10)}', '${channel}', '${event}', '${t}'::TIMESTAMPTZ, '${context}', 'shop', DATE '${t.slice(0, 10)}')`;
    });
    // another project's events are never read
    values.push(`('o-1', 'p1', 's', 'web', '${C}', '${at(DAY + 3 * HOUR).toISOString()}'::TIMESTAMPTZ, '{}', 'other', DATE '${at(DAY).toISOString().slice(0, 10)}')`);
    await connection.run(`INSERT INTO events VALUES ${values.join(', ')}`);
    analyses = new Map(lakeAnalyses({ projectId: 'shop', from, to, windowDays: 7 }).map((a) => [a.name, a]));
  });
  afterAll(() => {
    connection?.closeSync();
    instance?.closeSync();
  });

  it('names each analysis by its range and window', () => {
    expect(CONVERSION).toEqual({ from: A, to: C });
    expect([...analyses.keys()]).toEqual(['funnel_30d_window_7d', 'time_to_convert_30d_window_7d', 'feature_adoption_30d', 'sessions_per_day_30d']);
  });

  it('counts funnel persons as analytics.funnel does', async () => {
    expect(await answer('funnel_')).toEqual([
      { step: 1, event: A, persons: 8, conversion_rate: 1 },
      { step: 2, event: B, persons: 6, conversion_rate: 0.75 },
      { step: 3, event: C, persons: 2, conversion_rate: 0.25 },
    ]);
  });

  it('times conversions as analytics.time_to_convert does', async () => {
    // started: p1-p6, p8, p9 (p7's A is before the range); converted: p1 (2 h after A), p2 (1 h); not: p3 (8 days), p4 (7 days and a second), p8 (9 days after the first A)
    const [row] = await answer('time_to_convert_');
    expect(row).toMatchObject({ started: 8, converted: 2 });
    expect(row!.p50_s).toBeCloseTo(5400, 6);
    expect(row!.p90_s).toBeCloseTo(6840, 6);
    expect(row!.p99_s).toBeCloseTo(7164, 6);
  });

  it('counts adopters per channel and app version', async () => {
    expect(await answer('feature_adoption_')).toEqual([
      { channel: 'mobile', app_version: null, active_persons: 1, adopters: 0, adoption_rate: 0 },
      { channel: 'mobile', app_version: '2.1', active_persons: 1, adopters: 1, adoption_rate: 1 },
      { channel: 'web', app_version: null, active_persons: 9, adopters: 0, adoption_rate: 0 },
    ]);
  });

  it('counts sessions per UTC day of the range', async () => {
    // p7 before the range and p9 after it leave those days out; nobody's events are a session too
    const sessions = [[1, 1], [2, 2], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [12, 2], [13, 1], [16, 1], [17, 1], [21, 1], [30, 1]];
    expect(await answer('sessions_per_day_')).toEqual(sessions.map(([d, n]) => ({ day: `2026-03-${String(d).padStart(2, '0')}`, sessions: n })));
  });
});
