import { describe, expect, it } from 'vitest';
import {
  eventsKeyPrefix,
  lakeFileOfKey,
  lakeIdentity,
  lakeTarget,
  lakeUrlOf,
  partitionKey,
  partitionKeyPrefix,
  projectKeyPrefix,
  type LakeTarget,
} from '../../rules/lake-layout';

describe('lakeTarget: directories and s3:// buckets', () => {
  it.each<[string, LakeTarget]>([
    ['.braid/lake', { kind: 'directory', dir: '/srv/.braid/lake' }],
    ['file:///data/lake/', { kind: 'directory', dir: '/data/lake' }],
    ['s3://lake-bucket', { kind: 's3', bucket: 'lake-bucket', prefix: '' }],
    ['s3://lake-bucket/', { kind: 's3', bucket: 'lake-bucket', prefix: '' }],
    ['s3://lake-bucket/braid', { kind: 's3', bucket: 'lake-bucket', prefix: 'braid' }],
    ['s3://lake-bucket/teams/braid/lake///', { kind: 's3', bucket: 'lake-bucket', prefix: 'teams/braid/lake' }],
    ['S3://my.bucket.eu/Lake Prefix', { kind: 's3', bucket: 'my.bucket.eu', prefix: 'Lake Prefix' }],
    ['  s3://abc/x  ', { kind: 's3', bucket: 'abc', prefix: 'x' }],
    ['s3://a-b/%20', { kind: 's3', bucket: 'a-b', prefix: '%20' }],
  ])('%j → %j', (url, target) => {
    expect(lakeTarget(url, '/srv')).toEqual({ ok: true, target });
  });

  it.each([
    ['', 'empty_url'],
    ['s3://', 'invalid_bucket'],
    ['s3:///lake', 'invalid_bucket'],
    ['s3://ab/lake', 'invalid_bucket'],
    ['s3://Bucket/lake', 'invalid_bucket'],
    ['s3://my_bucket/lake', 'invalid_bucket'],
    ['s3://-bucket/lake', 'invalid_bucket'],
    ['s3://bucket-/lake', 'invalid_bucket'],
    ['s3://my..bucket/lake', 'invalid_bucket'],
    ['s3://192.168.1.10/lake', 'invalid_bucket'],
    [`s3://${'b'.repeat(64)}/lake`, 'invalid_bucket'],
    ['s3://localhost:9000/bucket/lake', 'endpoint_in_url'],
    ['s3://AKIA:secret@bucket/lake', 'credentials_in_url'],
    ['s3://bucket/lake?region=eu-west-1', 'query_in_url'],
    ['s3://bucket/lake#x', 'query_in_url'],
    ['s3://bucket/a//b', 'invalid_prefix'],
    ['s3://bucket//lake', 'invalid_prefix'],
    ['s3://bucket/a/../b', 'invalid_prefix'],
    ['s3://bucket/./lake', 'invalid_prefix'],
    ['s3://bucket/la\u0001ke', 'invalid_prefix'],
    [`s3://bucket/${'p'.repeat(769)}`, 'invalid_prefix'],
    ['gs://bucket/lake', 'unsupported_scheme'],
    ['s3a://bucket/lake', 'unsupported_scheme'],
    ['https://s3.amazonaws.com/bucket/lake', 'unsupported_scheme'],
  ])('refuses %j (%s) with a sentence', (url, code) => {
    const outcome = lakeTarget(url, '/');
    expect(outcome).toMatchObject({ ok: false, code });
    expect(outcome.ok ? '' : outcome.reason.length).toBeGreaterThan(20);
  });

  it('never puts credentials or settings in the refusal advice it gives', () => {
    const outcome = lakeTarget('s3://AKIA:secret@bucket/lake', '/');
    expect(outcome.ok ? '' : outcome.reason).toContain('AWS_ACCESS_KEY_ID');
    expect(outcome.ok ? '' : outcome.reason).not.toContain('secret@');
  });

  it.each<[LakeTarget, string | null, string, string]>([
    [{ kind: 'directory', dir: '/data/lake' }, null, '/data/lake', '/data/lake'],
    [{ kind: 'directory', dir: '/data/lake' }, 'http://ignored:9000', '/data/lake', '/data/lake'],
    [{ kind: 's3', bucket: 'b-1', prefix: '' }, null, 's3://b-1', 's3://b-1'],
    [{ kind: 's3', bucket: 'b-1', prefix: 'x/y' }, null, 's3://b-1/x/y', 's3://b-1/x/y'],
    [{ kind: 's3', bucket: 'b-1', prefix: 'x/y' }, 'http://127.0.0.1:9000', 's3://b-1/x/y', 's3://b-1/x/y at http://127.0.0.1:9000'],
  ])('%j with endpoint %j: URL %j, identity %j', (target, endpoint, url, identity) => {
    expect(lakeUrlOf(target)).toBe(url);
    expect(lakeIdentity(target, endpoint)).toBe(identity);
    // The canonical URL reads back as the same target.
    expect(lakeTarget(url, '/')).toEqual({ ok: true, target });
  });
});

describe('object keys of a bucket lake', () => {
  it.each([
    ['', 'events/', 'events/project_id=shop/', 'events/project_id=shop/event_date=2026-06-01/'],
    ['lake', 'lake/events/', 'lake/events/project_id=shop/', 'lake/events/project_id=shop/event_date=2026-06-01/'],
    ['a/b', 'a/b/events/', 'a/b/events/project_id=shop/', 'a/b/events/project_id=shop/event_date=2026-06-01/'],
  ])('prefix %j', (prefix, events, project, partition) => {
    expect(eventsKeyPrefix(prefix)).toBe(events);
    expect(projectKeyPrefix(prefix, 'shop')).toBe(project);
    expect(partitionKeyPrefix(prefix, 'shop', '2026-06-01')).toBe(partition);
    expect(partitionKey(prefix, 'shop', '2026-06-01')).toBe(`${partition}events.parquet`);
  });

  it('refuses ids and dates that could leave the partition', () => {
    for (const bad of ['../x', 'a/b', '', 'Shop']) expect(() => partitionKey('lake', bad, '2026-06-01')).toThrow('not a project id');
    for (const bad of ['2026-02-30', '../2026-06-01', '2026-06-01/x']) expect(() => partitionKey('lake', 'shop', bad)).toThrow('not an event date');
  });

  it.each([
    ['lake/events/project_id=shop/event_date=2026-06-01/events.parquet', 'lake', { projectId: 'shop', eventDate: '2026-06-01', path: 'events/project_id=shop/event_date=2026-06-01/events.parquet' }],
    ['events/project_id=a_b-9/event_date=2024-02-29/part-0.parquet', '', { projectId: 'a_b-9', eventDate: '2024-02-29', path: 'events/project_id=a_b-9/event_date=2024-02-29/part-0.parquet' }],
    ['lake/events/project_id=shop/event_date=2026-06-01/events.parquet', 'other', null],
    ['lakehouse/events/project_id=shop/event_date=2026-06-01/events.parquet', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-02-30/events.parquet', 'lake', null],
    ['lake/events/project_id=../event_date=2026-06-01/events.parquet', 'lake', null],
    ['lake/events/project_id=Shop/event_date=2026-06-01/events.parquet', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-06-01/.rows-ab.parquet', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-06-01/events.parquet.tmp', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-06-01/x/events.parquet', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-06-01/../../x.parquet', 'lake', null],
    ['lake/events/project_id=shop/event_date=2026-06-01/', 'lake', null],
    ['lake/events/project_id=shop/events.parquet', 'lake', null],
  ])('lakeFileOfKey(%j) under %j = %j', (key, prefix, expected) => {
    expect(lakeFileOfKey(prefix, key)).toEqual(expected);
  });

  it('reads back every key it lays out', () => {
    for (const prefix of ['', 'lake', 'a/b c']) {
      expect(lakeFileOfKey(prefix, partitionKey(prefix, 'p1', '1999-12-31'))).toEqual({
        projectId: 'p1',
        eventDate: '1999-12-31',
        path: 'events/project_id=p1/event_date=1999-12-31/events.parquet',
      });
    }
  });
});
