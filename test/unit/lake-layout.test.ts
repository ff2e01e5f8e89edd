import { describe, expect, it } from 'vitest';
import { isEventDate, lakeLocation, partitionDateOf, partitionDir, projectDir } from '../../rules/lake-layout';

describe('lakeLocation', () => {
  it.each([
    ['.braid/lake', '/srv/app', { ok: true, dir: '/srv/app/.braid/lake' }],
    ['/data/lake/', '/srv/app', { ok: true, dir: '/data/lake' }],
    ['file:///data/lake', '/srv/app', { ok: true, dir: '/data/lake' }],
    ['file:///data/my%20lake', '/', { ok: true, dir: '/data/my lake' }],
    ['../lake', '/srv/app/', { ok: true, dir: '/srv/lake' }],
    ['./a/./b/../c', '/x', { ok: true, dir: '/x/a/c' }],
    ['  /trimmed  ', '/', { ok: true, dir: '/trimmed' }],
    ['/../../..', '/', { ok: true, dir: '/' }],
  ])('%j in %j → %j', (url, cwd, expected) => {
    expect(lakeLocation(url, cwd)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['s3://bucket/lake', 's3://bucket/lake is an object store; this needs a local directory'],
    ['S3://bucket/lake', 'is an object store'],
    ['gs://bucket', 'gs:// lakes are not supported'],
    ['https://example.com/lake', 'https:// lakes are not supported'],
    ['/data/\0lake', 'NUL'],
    ['file:///data/%00lake', 'NUL'],
    ['file:///data/%zz', 'not a file:// URL'],
  ])('refuses %j with a reason', (url, reason) => {
    const location = lakeLocation(url, '/');
    expect(location.ok).toBe(false);
    expect(location.ok ? '' : location.reason).toContain(reason);
  });
});

describe('event dates and partition paths', () => {
  it.each([
    ['2026-06-01', true],
    ['2024-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-6-1', false],
    ['2026-06-01T00:00:00Z', false],
    ['../2026-06-01', false],
    ['', false],
    ['0000-01-01', true],
  ])('isEventDate(%j) = %j', (value, expected) => {
    expect(isEventDate(value)).toBe(expected);
  });

  it('builds Hive-style paths and refuses anything that could leave the lake', () => {
    expect(partitionDir('/lake', 'shop', '2026-06-01')).toBe('/lake/events/project_id=shop/event_date=2026-06-01');
    expect(projectDir('/lake', 'a_b-9')).toBe('/lake/events/project_id=a_b-9');
    for (const bad of ['../etc', 'a/b', '', 'Shop', '-x', 'x'.repeat(64)]) expect(() => projectDir('/lake', bad)).toThrow('not a project id');
    for (const bad of ['2026-02-30', '../x', '2026-06-01/..']) expect(() => partitionDir('/lake', 'shop', bad)).toThrow('not an event date');
  });

  it.each([
    ['event_date=2026-06-01', '2026-06-01'],
    ['event_date=2026-02-30', null],
    ['event_date=', null],
    ['date=2026-06-01', null],
    ['.rows-abc.ndjson', null],
  ])('partitionDateOf(%j) = %j', (name, expected) => {
    expect(partitionDateOf(name)).toBe(expected);
  });
});
