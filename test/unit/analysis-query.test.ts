import { describe, expect, it } from 'vitest';
import { activePersonsQuerySchema, adoptionQuerySchema, funnelQuerySchema, parseDuration, retentionQuerySchema, timeToConvertQuerySchema } from '../../contracts/analysis';

describe('parseDuration', () => {
  it.each([
    ['30s', 30, '30 seconds'],
    ['1m', 60, '1 minute'],
    ['30m', 1800, '30 minutes'],
    ['1h', 3600, '1 hour'],
    ['7d', 604_800, '7 days'],
    ['2w', 1_209_600, '2 weeks'],
    ['99999s', 99_999, '99999 seconds'],
  ])('%s → %i s, %s', (text, seconds, interval) => {
    expect(parseDuration(text)).toEqual({ seconds, interval });
  });

  it.each(['', '0h', '01h', '1', 'h', '1 h', '1H', '1y', '-1d', '1.5h', '100000s', '1d; DROP TABLE x', "1d'"])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

const from = '2026-05-04T00:00:00Z';
const to = '2026-05-05T00:00:00Z';
/** The paths of a failed parse's issues, or the parsed value. */
const paths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => result.error?.issues.map((i) => i.path.join('.'));

describe('funnelQuerySchema', () => {
  it('takes repeated steps, a window (1 day when left out) and a breakdown', () => {
    expect(funnelQuerySchema.parse({ steps: ['A', 'B'], from, to })).toEqual({ steps: ['A', 'B'], from, to, window: { seconds: 86_400, interval: '1 day' } });
    expect(funnelQuerySchema.parse({ steps: ['A', 'B', 'A'], from, to, window: '2h', breakdown: 'platform' })).toMatchObject({ window: { seconds: 7200, interval: '2 hours' }, breakdown: 'platform' });
  });

  it.each([
    [{ steps: 'A', from, to }, 'steps'],
    [{ steps: [], from, to }, 'steps'],
    [{ steps: ['A', ''], from, to }, 'steps.1'],
    [{ steps: Array.from({ length: 11 }, (_, i) => `E${i}`), from, to }, 'steps'],
    [{ steps: ['A', 'x'.repeat(201)], from, to }, 'steps.1'],
    [{ steps: ['A', 'B'], from, to, window: '91d' }, 'window'],
    [{ steps: ['A', 'B'], from, to, window: '1 day' }, 'window'],
    [{ steps: ['A', 'B'], from, to, breakdown: 'device' }, 'breakdown'],
    [{ steps: ['A', 'B'], from: to, to: from }, 'from'],
    [{ steps: ['A', 'B'], from, to: from }, 'from'],
    [{ steps: ['A', 'B'], from: '2026-05-04', to }, 'from'],
    [{ steps: ['A', 'B'], from: '2026-05-04T00:00:00', to }, 'from'],
    [{ steps: ['A', 'B'], from: '1700000000', to }, 'from'],
    [{ steps: ['A', 'B'], from }, 'to'],
    [{ steps: ['A', 'B'], from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' }, 'to'],
  ])('refuses %j, naming %s first', (query, field) => {
    expect(paths(funnelQuerySchema.safeParse(query))?.[0]).toBe(field);
  });
});

describe('the other figures’ queries', () => {
  it.each([
    [timeToConvertQuerySchema, { fromEvent: 'A', toEvent: 'B', from, to }, undefined],
    [timeToConvertQuerySchema, { fromEvent: 'A', from, to }, 'toEvent'],
    [adoptionQuerySchema, { event: 'A', from, to }, undefined],
    [adoptionQuerySchema, { event: 'A', from: '2026-01-01T00:00:00Z', to: '2026-05-02T00:00:00Z', interval: 'day' }, 'interval'], // 121 days
    [adoptionQuerySchema, { event: 'A', from: '2026-01-01T00:00:00Z', to: '2026-05-01T00:00:00Z', interval: 'day' }, undefined], // 120 days
    [adoptionQuerySchema, { event: 'A', from, to, interval: 'month' }, 'interval'],
    [activePersonsQuerySchema, { from, to }, undefined],
    [activePersonsQuerySchema, { from: '2025-01-01T00:00:00Z', to: '2025-12-31T00:00:00Z', interval: 'week' }, undefined],
    [retentionQuerySchema, { from, to, weeks: '26' }, undefined],
    [retentionQuerySchema, { from, to, weeks: '27' }, 'weeks'],
    [retentionQuerySchema, { from, to, weeks: 'eight' }, 'weeks'],
  ])('%#: %j → %s', (schema, query, field) => {
    const result = schema.safeParse(query);
    expect(paths(result)?.[0]).toBe(field);
  });

  it('defaults: weekly adoption, daily active persons, 8 weeks of retention', () => {
    expect(adoptionQuerySchema.parse({ event: 'A', from, to }).interval).toBe('week');
    expect(activePersonsQuerySchema.parse({ from, to }).interval).toBe('day');
    expect(retentionQuerySchema.parse({ from, to }).weeks).toBe(8);
  });
});
