import { and, desc, eq, sql, type Column } from 'drizzle-orm';
import type pg from 'pg';
import type { ArmCounts, CanaryChanges, CanaryStatus } from '../contracts/canary';
import { projectSettingsSchema, type ProjectSettings } from '../contracts/project';
import { changedSettings } from '../rules/canary-arm';
import { reachedSteps, type FunnelEvent } from '../rules/ordered-funnel';
import { anyOf } from './bulk';
import { createDb, type Connection } from './client';
import { canonicalEvents, lineage, projects, rejectedEvents, ruleCanaries, suppressions } from './schema';
import { inTransaction } from './transaction';

export type CanaryRecord = typeof ruleCanaries.$inferSelect;

/** How many (event, property) pairs an arm's null rates cover: the most common ones. */
const NULL_RATE_PAIRS = 20;

/** The next rules version of a project: above its own and every canary's it ever ran, so no two rule sets share one. */
export function nextRulesVersion(projectId: string) {
  return sql<number>`GREATEST(
    (SELECT ${projects.rulesVersion} FROM ${projects} WHERE ${projects.projectId} = ${projectId}),
    (SELECT COALESCE(max(${ruleCanaries.canaryVersion}), 0) FROM ${ruleCanaries} WHERE ${ruleCanaries.projectId} = ${projectId})
  ) + 1`;
}

export type StartCanaryOutcome =
  | { kind: 'started'; canary: CanaryRecord }
  | { kind: 'no_project' }
  | { kind: 'already_running'; canary: CanaryRecord }
  | { kind: 'no_change' };

/**
 * Starts a canary of a settings change: the canary arm's settings are the
 * project's with the change applied (validated whole), under a new rules
 * version. One canary runs per project at a time.
 */
export async function startCanary(pool: pg.Pool, input: { id: string; projectId: string; changes: CanaryChanges; percent: number; startedBy: string | null }): Promise<StartCanaryOutcome> {
  return inTransaction(pool, async (client) => {
    const db = createDb(client);
    const [project] = await db.select().from(projects).where(eq(projects.projectId, input.projectId)).for('update');
    if (!project) return { kind: 'no_project' };
    const running = await runningCanaryOf(client, input.projectId);
    if (running) return { kind: 'already_running', canary: running };
    const settings = projectSettingsSchema.parse({ ...project.settings, ...input.changes });
    if (changedSettings(project.settings, settings).length === 0) return { kind: 'no_change' };
    const [canary] = await db
      .insert(ruleCanaries)
      .values({
        id: input.id,
        projectId: input.projectId,
        percent: input.percent,
        changes: input.changes,
        settings,
        canaryVersion: nextRulesVersion(input.projectId),
        controlVersion: project.rulesVersion,
        startedBy: input.startedBy,
      })
      .returning();
    return { kind: 'started', canary: canary! };
  });
}

export async function getCanary(connection: Connection, projectId: string, id: string): Promise<CanaryRecord | null> {
  const [row] = await createDb(connection).select().from(ruleCanaries).where(and(eq(ruleCanaries.projectId, projectId), eq(ruleCanaries.id, id)));
  return row ?? null;
}

export async function listCanaries(connection: Connection, projectId: string): Promise<CanaryRecord[]> {
  return createDb(connection).select().from(ruleCanaries).where(eq(ruleCanaries.projectId, projectId)).orderBy(desc(ruleCanaries.startedAt));
}

export async function runningCanaryOf(connection: Connection, projectId: string): Promise<CanaryRecord | null> {
  const [row] = await createDb(connection).select().from(ruleCanaries).where(and(eq(ruleCanaries.projectId, projectId), eq(ruleCanaries.status, 'running')));
  return row ?? null;
}

/** Every running canary, for the processes that decide events. */
export async function runningCanaries(connection: Connection): Promise<CanaryRecord[]> {
  return createDb(connection).select().from(ruleCanaries).where(eq(ruleCanaries.status, 'running'));
}

export type EndCanaryOutcome = { kind: 'ended'; canary: CanaryRecord } | { kind: 'not_found' } | { kind: 'not_running'; canary: CanaryRecord };

/**
 * Ends a running canary. `promoted`: the project takes the canary's settings
 * under the canary's rules version (or a later one, should the project's
 * version have moved on), so events the canary arm wrote and every event from
 * now on share it. `rolled_back`: the project keeps its settings.
 */
export async function endCanary(pool: pg.Pool, input: { projectId: string; id: string; status: Exclude<CanaryStatus, 'running'>; endedBy: string | null }): Promise<EndCanaryOutcome> {
  return inTransaction(pool, async (client) => {
    const db = createDb(client);
    await db.select({ id: projects.projectId }).from(projects).where(eq(projects.projectId, input.projectId)).for('update');
    const [canary] = await db.select().from(ruleCanaries).where(and(eq(ruleCanaries.projectId, input.projectId), eq(ruleCanaries.id, input.id))).for('update');
    if (!canary) return { kind: 'not_found' };
    if (canary.status !== 'running') return { kind: 'not_running', canary };
    if (input.status === 'promoted') {
      await db
        .update(projects)
        .set({
          settings: sql`${projects.settings} || ${JSON.stringify(canary.changes)}::jsonb`,
          rulesVersion: sql`GREATEST(${projects.rulesVersion} + 1, ${canary.canaryVersion})`,
          updatedAt: sql`now()`,
        })
        .where(eq(projects.projectId, input.projectId));
    }
    const [ended] = await db
      .update(ruleCanaries)
      .set({ status: input.status, endedAt: sql`now()`, endedBy: input.endedBy })
      .where(eq(ruleCanaries.id, input.id))
      .returning();
    return { kind: 'ended', canary: ended! };
  });
}

export async function setCanaryReplay(connection: Connection, id: string, replayId: string): Promise<void> {
  await createDb(connection).update(ruleCanaries).set({ replayId }).where(eq(ruleCanaries.id, id));
}

/**
 * What each arm did while the canary ran (to now, or to its end): production
 * writes (not replays or backfills) by the rules version that wrote them,
 * suppressions and rejections likewise; the canary arm is the canary's
 * version, the control arm every other. Devices are those with an event
 * written, suppressed or rejected (when the rejected message named one);
 * sessions per device counts the distinct sessions of the arm's written
 * events; null rates cover the most common (event, property) pairs; with
 * `funnel`, devices reach its steps in order within the window, among the
 * events the arm wrote.
 */
export async function armCounts(connection: Connection, canary: CanaryRecord, funnel?: { steps: string[]; windowSeconds: number }): Promise<{ control: ArmCounts; canary: ArmCounts }> {
  const from = canary.startedAt.toISOString();
  const to = canary.endedAt?.toISOString() ?? null;
  const inSpan = (column: Column) =>
    sql`${column} >= ${from}::timestamptz AND (${to}::timestamptz IS NULL OR ${column} < ${to}::timestamptz)`;
  const arm = (column: Column) => sql`(${column} IS NOT DISTINCT FROM ${canary.canaryVersion}::int)`;
  const db = createDb(connection);
  // The arm's production writes (not replays or backfills) while the canary ran, with their events
  // (LEFT: also the writes whose event an erasure has deleted since).
  const writes = (join = sql`JOIN`) => sql`${lineage} ${join} ${canonicalEvents} ON ${canonicalEvents.projectId} = ${lineage.projectId} AND ${canonicalEvents.eventId} = ${lineage.eventId}
        WHERE ${lineage.projectId} = ${canary.projectId} AND ${lineage.replayId} IS NULL AND ${lineage.backfillId} IS NULL AND ${inSpan(lineage.writtenAt)}`;
  const [devices, written, suppressed, rejected, nulls, steps] = await Promise.all([
    db.execute<{ canary: boolean; devices: string }>(sql`
      SELECT canary, count(DISTINCT (channel, device_key))::text AS devices FROM (
        SELECT ${arm(lineage.rulesVersion)} AS canary, ${canonicalEvents.channel} AS channel, ${canonicalEvents.deviceKey} AS device_key FROM ${writes()}
        UNION
        SELECT ${arm(suppressions.rulesVersion)}, ${suppressions.channel}, ${suppressions.deviceKey}
        FROM ${suppressions} WHERE ${suppressions.projectId} = ${canary.projectId} AND ${suppressions.deviceKey} IS NOT NULL AND ${inSpan(suppressions.recordedAt)}
        UNION
        SELECT ${arm(rejectedEvents.rulesVersion)}, ${rejectedEvents.channel}, ${rejectedEvents.deviceKey}
        FROM ${rejectedEvents} WHERE ${rejectedEvents.projectId} = ${canary.projectId} AND ${rejectedEvents.deviceKey} IS NOT NULL AND ${inSpan(rejectedEvents.receivedAt)}
      ) d GROUP BY canary`),
    db.execute<{ canary: boolean; written: string; sessions: string; devices: string }>(sql`
      SELECT ${arm(lineage.rulesVersion)} AS canary, count(*)::text AS written,
             count(DISTINCT ${canonicalEvents.sessionId})::text AS sessions,
             count(DISTINCT (${canonicalEvents.channel}, ${canonicalEvents.deviceKey}))::text AS devices
      FROM ${writes(sql`LEFT JOIN`)}
      GROUP BY 1`),
    db.execute<{ canary: boolean; suppressed: string }>(sql`
      SELECT ${arm(suppressions.rulesVersion)} AS canary, count(*)::text AS suppressed
      FROM ${suppressions} WHERE ${suppressions.projectId} = ${canary.projectId} AND ${inSpan(suppressions.recordedAt)} GROUP BY 1`),
    db.execute<{ canary: boolean; reason: string; rejected: string }>(sql`
      SELECT ${arm(rejectedEvents.rulesVersion)} AS canary, ${rejectedEvents.reason} AS reason, count(*)::text AS rejected
      FROM ${rejectedEvents} WHERE ${rejectedEvents.projectId} = ${canary.projectId} AND ${inSpan(rejectedEvents.receivedAt)} GROUP BY 1, 2`),
    db.execute<{ canary: boolean; pair: string; events: string; nulls: string }>(sql`
      WITH w AS (
        SELECT ${arm(lineage.rulesVersion)} AS canary, ${canonicalEvents.event} AS event, ${canonicalEvents.properties} AS properties FROM ${writes()}
          AND ${canonicalEvents.type} = 'track' AND ${canonicalEvents.event} IS NOT NULL
      ), pairs AS (
        SELECT w.event, k.key FROM w CROSS JOIN LATERAL jsonb_object_keys(w.properties) AS k(key)
        GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT ${NULL_RATE_PAIRS}
      )
      SELECT w.canary, pairs.event || '.' || pairs.key AS pair, count(*)::text AS events,
             count(*) FILTER (WHERE w.properties -> pairs.key IS NULL OR w.properties -> pairs.key = 'null'::jsonb)::text AS nulls
      FROM w JOIN pairs ON pairs.event = w.event GROUP BY 1, 2`),
    funnel
      ? db.execute<{ canary: boolean; channel: string; device_key: string; event: string; at_ms: string; event_id: string }>(sql`
          SELECT ${arm(lineage.rulesVersion)} AS canary, ${canonicalEvents.channel} AS channel, ${canonicalEvents.deviceKey} AS device_key, ${canonicalEvents.event} AS event,
                 (extract(epoch FROM ${canonicalEvents.eventTime}) * 1000)::bigint::text AS at_ms, ${canonicalEvents.eventId} AS event_id
          FROM ${writes()} AND ${anyOf(canonicalEvents.event, funnel.steps)}`)
      : null,
  ]);
  // Among the events the arm wrote while the canary ran, whatever their event time (clients send late).
  const span = { fromMs: -8.64e15, toMs: 8.64e15, windowMs: (funnel?.windowSeconds ?? 0) * 1000 };
  const funnelOf = (isCanary: boolean): ArmCounts['funnel'] => {
    if (!funnel || !steps) return undefined;
    const byDevice = new Map<string, FunnelEvent[]>();
    for (const r of steps.rows.filter((row) => row.canary === isCanary)) {
      const key = `${r.channel}\n${r.device_key}`;
      byDevice.set(key, [...(byDevice.get(key) ?? []), { timeMs: Number(r.at_ms), id: r.event_id, event: r.event }]);
    }
    const reached = reachedSteps(byDevice.values(), funnel.steps, span);
    return funnel.steps.map((event, i) => ({ step: i + 1, event, devices: reached[i] ?? 0, conversionRate: reached[0] ? Math.round(((reached[i] ?? 0) / reached[0]) * 10_000) / 10_000 : null }));
  };
  const counts = (isCanary: boolean): ArmCounts => {
    const w = written.rows.find((r) => r.canary === isCanary);
    const byReason = Object.fromEntries(rejected.rows.filter((r) => r.canary === isCanary).map((r) => [r.reason, Number(r.rejected)]));
    const writtenDevices = Number(w?.devices ?? 0);
    return {
      devices: Number(devices.rows.find((r) => r.canary === isCanary)?.devices ?? 0),
      written: Number(w?.written ?? 0),
      rejected: Object.values(byReason).reduce((a, b) => a + b, 0),
      suppressed: Number(suppressed.rows.find((r) => r.canary === isCanary)?.suppressed ?? 0),
      rejectedByReason: byReason,
      sessionsPerDevice: writtenDevices === 0 ? null : Math.round((Number(w?.sessions ?? 0) / writtenDevices) * 100) / 100,
      nullRates: Object.fromEntries(nulls.rows.filter((r) => r.canary === isCanary).map((r) => [r.pair, Math.round((Number(r.nulls) / Number(r.events)) * 10_000) / 10_000])),
      ...(funnel ? { funnel: funnelOf(isCanary) } : {}),
    };
  };
  return { control: counts(false), canary: counts(true) };
}

/** The settings a canary changes, as the project has them now and as the canary would have them. */
export function canaryDiff(current: ProjectSettings, canary: CanaryRecord): { setting: string; from: unknown; to: unknown }[] {
  return changedSettings(current, canary.settings).map((key) => ({ setting: key, from: current[key], to: canary.settings[key] }));
}
