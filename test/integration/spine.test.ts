import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSubject } from '../../contracts/wire';
import { identify, msgId, page, sleep, track } from '../support/events';
import { startStack, uniqueId, type Stack } from '../support/stack';

/**
 * The spine on the real services: a mixed set from three channels, duplicates
 * within and beyond JetStream's duplicate window, and every kind of bad input
 * published to NATS; then exact accounting, one rejected row per bad message
 * with its own reason, and lineage for every canonical event.
 */
describe('NATS → session workflows → Postgres', () => {
  const projectId = uniqueId('spine');
  const ghostProject = uniqueId('ghost'); // never created
  let stack: Stack;
  const seqByMessageId = new Map<string, number>();
  let streamMessages = 0;
  let jetstreamDeduped = 0;

  const publish = async (subject: string, payload: unknown, opts?: { msgId?: string | null }) => {
    const ack = await stack.publish(subject, payload, opts);
    if (ack.duplicate) jetstreamDeduped += 1;
    else {
      streamMessages += 1;
      const id = (payload as { messageId?: unknown })?.messageId;
      if (typeof id === 'string' && !seqByMessageId.has(id)) seqByMessageId.set(id, ack.seq);
    }
    return ack;
  };

  const web = rawSubject(projectId, 'web');
  const mobile = rawSubject(projectId, 'mobile');
  const backend = rawSubject(projectId, 'backend');

  const good: Record<string, unknown>[] = [];
  const bad: { label: string; reason: string; messageId?: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({
      projects: [{ projectId, name: 'spine' }],
      extraFilters: [`braid.raw.${ghostProject}.>`],
    });

    // Three channels, several devices, interleaved with bad input so bad and good share fetches.
    for (let device = 0; device < 4; device++) {
      const anon = `web-${device}`;
      good.push(page({ anonymousId: anon, name: 'Home' }));
      good.push(track({ anonymousId: anon, event: 'Product Viewed', properties: { sku: `sku-${device}` } }));
      good.push(identify({ anonymousId: anon, userId: `user-${device}` }));
    }
    const mobileEvents = [
      { type: 'screen', messageId: msgId('screen'), anonymousId: 'phone-1', name: 'Home' },
      track({ anonymousId: 'phone-1', userId: 'user-1', event: 'Product Added' }),
      { type: 'alias', messageId: msgId('alias'), previousId: 'phone-2', userId: 'user-2' },
      { type: 'group', messageId: msgId('group'), userId: 'user-2', groupId: 'acme', traits: { plan: 'pro' } },
    ];
    const backendEvents = [
      track({ anonymousId: undefined, userId: 'user-1', event: 'Order Completed', properties: { revenue: 42 } }),
      track({ anonymousId: undefined, userId: 'user-3', event: 'Order Refunded' }),
    ];

    const badInputs: { subject: string; payload: unknown; label: string; reason: string; messageId?: string }[] = [
      { subject: web, payload: '{"type":"track",', label: 'invalid JSON', reason: 'invalid_json' },
      { subject: web, payload: { type: 'track', anonymousId: 'a', event: 'X Y' }, label: 'missing messageId', reason: 'missing_message_id' },
      { subject: web, payload: track({ messageId: 'x'.repeat(101) }), label: 'messageId over 100 chars', reason: 'message_id_too_long' },
      { subject: web, payload: track({ anonymousId: undefined }), label: 'no userId or anonymousId', reason: 'missing_identity' },
      { subject: web, payload: track({ type: 'purchase' }), label: 'unknown type', reason: 'unknown_type' },
      { subject: web, payload: track({ event: undefined }), label: 'track without event', reason: 'missing_event' },
      { subject: web, payload: track({ timestamp: 'yesterday at noon' }), label: 'unparseable timestamp', reason: 'invalid_timestamp' },
      { subject: web, payload: track({ properties: { blob: 'x'.repeat(33 * 1024) } }), label: 'payload over 32 KiB', reason: 'payload_too_large' },
      { subject: rawSubject(projectId, 'smartwatch'), payload: track(), label: 'unknown channel', reason: 'unknown_channel' },
      { subject: `${web}.extra`, payload: track(), label: 'malformed subject', reason: 'invalid_subject' },
    ];
    for (const b of badInputs) {
      const id = (b.payload as { messageId?: string })?.messageId;
      bad.push({ label: b.label, reason: b.reason, messageId: typeof id === 'string' && id.length <= 100 ? id : undefined });
    }

    const all = [
      ...good.map((p) => ({ subject: web, payload: p })),
      ...mobileEvents.map((p) => ({ subject: mobile, payload: p })),
      ...backendEvents.map((p) => ({ subject: backend, payload: p })),
    ];
    good.push(...mobileEvents, ...backendEvents);
    // Interleave: a bad message after every second good one.
    let b = 0;
    for (let i = 0; i < all.length; i++) {
      const item = all[i]!;
      await publish(item.subject, item.payload);
      if (i % 2 === 1 && b < badInputs.length) {
        const bi = badInputs[b++]!;
        await publish(bi.subject, bi.payload);
      }
    }
    while (b < badInputs.length) {
      const bi = badInputs[b++]!;
      await publish(bi.subject, bi.payload);
    }
    // An unknown project: accepted by JetStream, rejected by braid.
    await publish(rawSubject(ghostProject, 'web'), track());
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('writes every good event once and rejects every bad one, with exact accounting', async () => {
    // Duplicate within JetStream's window: the publisher is told, the stream stores nothing.
    const first = good[0]!;
    const again = await publish(web, first);
    expect(again.duplicate).toBe(true);

    // A client that retries without the Nats-Msg-Id header: braid's own dedup counts it.
    await publish(web, good[1]!, { msgId: null });

    const accounting = await stack.drained(projectId, streamMessages - 1);
    expect(jetstreamDeduped).toBe(1);
    expect(accounting).toEqual({
      projectId,
      accepted: streamMessages - 1, // the ghost project's message is its own project's
      canonical: good.length,
      rejected: bad.length,
      suppressed: 0,
      duplicates: 1,
      inFlight: 0,
    });

    const ghost = await stack.drained(ghostProject, 1);
    expect(ghost).toMatchObject({ accepted: 1, rejected: 1, canonical: 0 });
  });

  it('gives each bad message its own stable reason and details a sender can act on', async () => {
    const res = await stack.pool.query<{ reason: string; message_id: string | null; details: { message: string }; source_sequence: number }>(
      `SELECT reason, message_id, details, source_sequence FROM analytics.rejected_events WHERE project_id = $1 ORDER BY source_sequence`,
      [projectId],
    );
    expect(res.rows.map((r) => r.reason).sort()).toEqual(bad.map((b) => b.reason).sort());
    for (const row of res.rows) {
      expect(row.details.message, row.reason).toMatch(/\w+/);
      expect(row.source_sequence).toBeGreaterThan(0);
    }
    for (const b of bad.filter((x) => x.messageId)) {
      expect(res.rows.find((r) => r.message_id === b.messageId)?.reason, b.label).toBe(b.reason);
    }
    const [ghostRow] = (await stack.pool.query(`SELECT reason FROM analytics.rejected_events WHERE project_id = $1`, [ghostProject])).rows;
    expect(ghostRow?.reason).toBe('unknown_project');
  });

  it('records lineage for every canonical event: stream position, subject, transforms, workflow and run', async () => {
    const res = await stack.pool.query<{
      event_id: string;
      channel: string;
      source_stream: string;
      source_sequence: number;
      source_subject: string;
      transforms: { step: string; version: number }[];
      workflow_id: string;
      run_id: string;
      destination: string;
      written_at: Date;
      device_key: string;
      rules_version: number;
    }>(`SELECT l.*, c.device_key FROM analytics.lineage l JOIN braid.canonical_events c USING (project_id, event_id) WHERE l.project_id = $1`, [projectId]);
    expect(res.rows).toHaveLength(good.length);
    for (const row of res.rows) {
      expect(row.source_stream).toBe('BRAID_RAW');
      expect(row.source_sequence).toBe(seqByMessageId.get(row.event_id));
      expect(row.source_subject).toBe(rawSubject(projectId, row.channel));
      expect(row.transforms.map((t) => t.step)).toEqual(expect.arrayContaining(['validate', 'event_time', 'sessionize']));
      // The host workflow that carried the device's actor, and the run that wrote the row.
      expect(row.workflow_id).toBe(stack.hostOf(projectId, row.channel, row.device_key));
      expect(row.run_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.destination).toBe('production');
      expect(row.written_at).toBeInstanceOf(Date);
      expect(row.rules_version).toBe(1); // the project's rules as created
    }
    const runs = new Set(res.rows.map((r) => `${r.workflow_id}|${r.run_id}`));
    for (const run of runs) {
      const [workflowId, runId] = run.split('|') as [string, string];
      expect((await stack.client.workflow.getHandle(workflowId, runId).describe()).type).toBe('sessionHostWorkflow');
    }
  });

  it('fills the contract columns of analytics.events', async () => {
    const res = await stack.pool.query(`SELECT * FROM analytics.events WHERE project_id = $1`, [projectId]);
    expect(res.rows).toHaveLength(good.length);
    const columns = Object.keys(res.rows[0]);
    expect(columns).toEqual(
      expect.arrayContaining(['event_id', 'project_id', 'person_id', 'user_id', 'anonymous_id', 'session_id', 'channel', 'type', 'event', 'event_time', 'received_at', 'written_at', 'properties', 'traits', 'context']),
    );
    const channels = new Set(res.rows.map((r) => r.channel));
    expect(channels).toEqual(new Set(['web', 'mobile', 'backend']));
    for (const row of res.rows) {
      expect(row.session_id).toMatch(/^s_[0-9a-f]{16}$/);
      expect(row.person_id).toMatch(/^p_/);
    }
    const order = res.rows.find((r) => r.event === 'Order Completed');
    expect(order?.properties).toEqual({ revenue: 42 });
    expect(order?.user_id).toBe('user-1');
  });

  it('counts a duplicate published after JetStream forgot it (beyond its window) and stores nothing new', async () => {
    const before = (await stack.accounting(projectId))!;
    await sleep(3_500); // the test stream's duplicate window is 3 s
    const late = await publish(backend, good[good.length - 1]!);
    expect(late.duplicate).toBe(false);
    const after = await stack.drained(projectId, before.accepted + 1);
    expect(after.duplicates).toBe(before.duplicates + 1);
    expect(after.canonical).toBe(before.canonical);
    const rows = await stack.pool.query(`SELECT count(*)::int AS n FROM analytics.lineage WHERE project_id = $1 AND event_id = $2`, [
      projectId,
      (good[good.length - 1] as { messageId: string }).messageId,
    ]);
    expect(rows.rows[0].n).toBe(1);
  });
});
