import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { VIOLATION_KINDS, type ViolationKind } from '../../contracts/envelope';
import { msgId } from '../support/events';
import { finished, waitForOperation } from '../support/operations';
import { startStack, uniqueId, type Stack } from '../support/stack';

type Policy = 'allow' | 'flag' | 'block';
const POLICIES: Policy[] = ['allow', 'flag', 'block'];

const orderSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, total: { type: 'number' }, currency: { type: 'string' }, revenue: {} },
  required: ['orderId'],
};

const track = (event: string, properties: Record<string, unknown>, context: Record<string, unknown> = {}) => ({
  type: 'track',
  messageId: msgId('gov'),
  anonymousId: `anon-${msgId('a')}`,
  event,
  properties,
  context,
});

/** One event per violation kind that breaks that rule and no other, with the lineage flag it gets when flagged. */
const offenders: Record<ViolationKind, { payload: () => Record<string, unknown>; flag: string }> = {
  unplanned_event: { payload: () => track('Cart Viewed', {}), flag: 'unplanned_event' },
  naming_violation: { payload: () => track('checkout_started', {}), flag: 'naming_violation:object_action_title' },
  unknown_schema_version: { payload: () => track('Order Completed', { orderId: 'o-1' }, { schemaVersion: '4-0-0' }), flag: 'unknown_schema_version:4-0-0' },
  schema_violation: { payload: () => track('Order Completed', { orderId: 99 }), flag: 'schema_violation:properties.orderId' },
  unplanned_property: { payload: () => track('Order Completed', { orderId: 'o-1', giftWrap: true }), flag: 'unplanned_property:giftWrap' },
  invalid_currency: { payload: () => track('Order Completed', { orderId: 'o-1', total: 5, currency: 'EURO' }), flag: 'invalid_currency:EURO' },
  invalid_amount: { payload: () => track('Order Completed', { orderId: 'o-1', currency: 'usd', revenue: '5.00' }), flag: 'invalid_amount:revenue' },
};
const GOVERNANCE_FLAG = new RegExp(`^(${VIOLATION_KINDS.join('|')})`);

/**
 * The tracking-plan policy through the real pipeline: events published to
 * NATS, decoded by the ingest consumer against the registry it caches, written
 * by session workflows to Postgres. One project per policy, every violation
 * kind in each.
 */
describe('tracking-plan policies through the pipeline', () => {
  const projects = Object.fromEntries(POLICIES.map((p) => [p, uniqueId(`gov${p}`)])) as Record<Policy, string>;
  const sent: Record<Policy, Record<ViolationKind | 'clean', Record<string, unknown>>> = { allow: {}, flag: {}, block: {} } as never;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      projects: POLICIES.map((policy) => ({
        projectId: projects[policy],
        name: `policy ${policy}`,
        trackingPlan: { unplannedEvents: policy, unplannedProperties: policy, namingViolations: policy, schemaViolations: policy },
      })),
      api: true,
    });
    for (const policy of POLICIES) {
      const base = `/api/projects/${projects[policy]}/schemas`;
      expect((await stack.api!.call('PUT', `${base}/Order%20Completed`, { schema: orderSchema })).status).toBe(201);
      expect((await stack.api!.call('PUT', `${base}/checkout_started`, { schema: {} })).status).toBe(201);
    }
    // Published right after the pushes: the consumers started before them and must see them without a restart.
    for (const policy of POLICIES) {
      for (const kind of VIOLATION_KINDS) sent[policy][kind] = offenders[kind].payload();
      sent[policy].clean = track('Order Completed', { orderId: 'o-clean', total: 12.5, currency: 'eur' });
      for (const payload of Object.values(sent[policy])) await stack.publish(rawSubject(projects[policy], 'web'), payload);
    }
    for (const policy of POLICIES) await stack.drained(projects[policy], VIOLATION_KINDS.length + 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const flagsOf = async (projectId: string, eventId: string): Promise<string[] | undefined> => {
    const res = await stack.pool.query<{ flags: string[] }>(`SELECT flags FROM analytics.lineage WHERE project_id = $1 AND event_id = $2`, [projectId, eventId]);
    return res.rows[0]?.flags;
  };
  const rejectionOf = async (projectId: string, messageId: string) =>
    (await stack.pool.query(`SELECT reason, details FROM analytics.rejected_events WHERE project_id = $1 AND message_id = $2`, [projectId, messageId])).rows[0];

  it.each(VIOLATION_KINDS.flatMap((kind) => POLICIES.map((policy) => ({ kind, policy }))))('$kind under $policy', async ({ kind, policy }) => {
    const projectId = projects[policy];
    const messageId = sent[policy][kind].messageId as string;
    const flags = await flagsOf(projectId, messageId);
    const rejection = await rejectionOf(projectId, messageId);
    if (policy === 'block') {
      expect(flags).toBeUndefined();
      expect(rejection?.reason).toBe(kind);
      expect(rejection?.details.violations[0]).toMatchObject({ rule: kind, policy: 'block' });
      return;
    }
    expect(rejection).toBeUndefined();
    expect(flags).toBeDefined();
    const governance = (flags as string[]).filter((f) => GOVERNANCE_FLAG.test(f));
    expect(governance).toEqual(policy === 'flag' ? [offenders[kind].flag] : []);
  });

  it('a clean event passes under every policy, its currency upper-cased and both steps in its lineage', async () => {
    for (const policy of POLICIES) {
      const id = sent[policy].clean.messageId as string;
      const row = (await stack.pool.query(`SELECT e.properties, l.transforms, l.flags FROM analytics.events e JOIN analytics.lineage l USING (project_id, event_id) WHERE e.project_id = $1 AND e.event_id = $2`, [projects[policy], id])).rows[0];
      expect(row.properties).toEqual({ orderId: 'o-clean', total: 12.5, currency: 'EUR' });
      expect(row.transforms).toEqual(expect.arrayContaining([{ step: 'currency', version: 1 }, { step: 'tracking_plan', version: 1 }]));
      expect(row.flags.filter((f: string) => GOVERNANCE_FLAG.test(f))).toEqual([]);
    }
  });

  it('the accounting holds: flagged and allowed events are written, blocked ones rejected', async () => {
    const n = VIOLATION_KINDS.length + 1;
    expect(await stack.accounting(projects.allow)).toMatchObject({ accepted: n, canonical: n, rejected: 0 });
    expect(await stack.accounting(projects.flag)).toMatchObject({ accepted: n, canonical: n, rejected: 0 });
    expect(await stack.accounting(projects.block)).toMatchObject({ accepted: n, canonical: 1, rejected: n - 1 });
  });

  it('analytics.data_quality counts violations by kind: flagged ones written, blocked ones not', async () => {
    const totals = async (projectId: string) =>
      (
        await stack.pool.query(
          `SELECT sum(volume)::int AS volume, sum(blocked)::int AS blocked, sum(schema_violations)::int AS schema, sum(unplanned_events)::int AS unplanned_events,
                  sum(unplanned_properties)::int AS unplanned_properties, sum(naming_violations)::int AS naming, sum(currency_violations)::int AS currency
             FROM analytics.data_quality WHERE project_id = $1`,
          [projectId],
        )
      ).rows[0];
    // schema: schema_violation + unknown_schema_version; currency: invalid_currency + invalid_amount.
    const counted = { schema: 2, unplanned_events: 1, unplanned_properties: 1, naming: 1, currency: 2 };
    expect(await totals(projects.flag)).toEqual({ volume: 8, blocked: 0, ...counted });
    expect(await totals(projects.block)).toEqual({ volume: 1, blocked: 7, ...counted });
    expect(await totals(projects.allow)).toEqual({ volume: 8, blocked: 0, schema: 0, unplanned_events: 0, unplanned_properties: 0, naming: 0, currency: 0 });
  });

  it('a schema change reaches running ingest without a restart; pinned versions keep their rules', async () => {
    const projectId = projects.flag;
    const v2 = { ...orderSchema, required: ['orderId', 'total'] };
    const pushed = await stack.api!.call('PUT', `/api/projects/${projectId}/schemas/Order%20Completed`, { schema: v2, newModel: true });
    expect(pushed.body.version).toBe('2-0-0');
    const latest = track('Order Completed', { orderId: 'o-2' });
    const pinned = track('Order Completed', { orderId: 'o-3' }, { schemaVersion: '1-0-0' });
    await stack.publish(rawSubject(projectId, 'web'), latest);
    await stack.publish(rawSubject(projectId, 'web'), pinned);
    await stack.drained(projectId, VIOLATION_KINDS.length + 3);
    expect(await flagsOf(projectId, latest.messageId)).toContain('schema_violation:properties.total');
    expect((await flagsOf(projectId, pinned.messageId))?.filter((f) => GOVERNANCE_FLAG.test(f))).toEqual([]);
  });

  it('backfills go through the same policy: a blocked line is a rejection with its line number', async () => {
    const projectId = projects.block;
    const dir = mkdtempSync(join(tmpdir(), 'braid-gov-backfill-'));
    const file = join(dir, 'orders.jsonl');
    const ok = { ...track('Order Completed', { orderId: 'b-1', total: 1 }), timestamp: '2026-01-10T10:00:00Z' };
    const bad = { ...track('Order Completed', { orderId: 'b-2', total: 'ten' }), timestamp: '2026-01-10T10:05:00Z' };
    writeFileSync(file, `${JSON.stringify(ok)}\n${JSON.stringify(bad)}\n`);
    const started = await stack.api!.call('POST', '/api/backfills', { projectId, source: file, channel: 'web' });
    expect(started.status).toBe(202);
    const op = await waitForOperation(stack, `/api/backfills/${started.body.id}`, finished);
    expect(op).toMatchObject({ status: 'completed', counts: { read: 2, written: 1, rejected: 1 } });
    const rejection = await rejectionOf(projectId, bad.messageId);
    expect(rejection).toMatchObject({ reason: 'schema_violation', details: { line: 2, violations: [expect.objectContaining({ path: 'properties.total' })] } });
  });
});
