import type pg from 'pg';
import { inTransaction } from './transaction';
import {
  components,
  decideLink,
  personIdOf,
  refKey,
  type Identity,
  type IdentityRef,
  type Link,
  type LinkDecision,
  type LinkRule,
} from '../rules/identity-graph';
import { newId } from './secrets';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface SliceIdentity extends Identity {
  personId: string;
}

/** Part of a project's graph: every identity of some persons and the active links among them. */
export interface GraphSlice {
  projectId: string;
  identities: Map<string, SliceIdentity>;
  links: Link[];
}

/** Every identity-graph change in a project takes this lock (transaction-scoped): merges never race or deadlock. */
export async function lockProjectGraph(client: Queryable, projectId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('braid:identity-graph:' || $1, 0))`, [projectId]);
}

export async function loadSlice(client: Queryable, projectId: string, personIds: readonly string[]): Promise<GraphSlice> {
  const ids = await client.query<{ kind: 'user' | 'anonymous'; id: string; person_id: string; first_seen_at: Date }>(
    `SELECT kind, id, person_id, first_seen_at FROM braid.identities WHERE project_id = $1 AND person_id = ANY($2::text[])`,
    [projectId, [...new Set(personIds)]],
  );
  const identities = new Map(ids.rows.map((r) => [refKey(r), { kind: r.kind, id: r.id, personId: r.person_id, firstSeenMs: r.first_seen_at.getTime() }]));
  const links = await client.query<{ link_id: string; a_kind: 'user' | 'anonymous'; a_id: string; b_kind: 'user' | 'anonymous'; b_id: string }>(
    `SELECT l.link_id, l.a_kind, l.a_id, l.b_kind, l.b_id FROM braid.identity_links l
     JOIN braid.identities i ON i.project_id = l.project_id AND i.kind = l.a_kind AND i.id = l.a_id
     WHERE l.project_id = $1 AND l.status = 'active' AND i.person_id = ANY($2::text[])`,
    [projectId, [...new Set(personIds)]],
  );
  return {
    projectId,
    identities,
    links: links.rows.map((r) => ({ linkId: r.link_id, a: { kind: r.a_kind, id: r.a_id }, b: { kind: r.b_kind, id: r.b_id } })),
  };
}

/**
 * Recomputes the persons of a slice from its active links and writes every
 * identity whose person changed. Returns the person of each identity.
 */
export async function settleSlice(client: Queryable, slice: GraphSlice): Promise<Map<string, string>> {
  const identities = [...slice.identities.values()];
  const comp = components(identities, slice.links);
  const members = new Map<number, SliceIdentity[]>();
  for (const i of identities) {
    const n = comp.get(refKey(i)) as number;
    members.set(n, [...(members.get(n) ?? []), i]);
  }
  const personOf = new Map<string, string>();
  const changed: { kind: string; id: string; person_id: string }[] = [];
  for (const group of members.values()) {
    const personId = personIdOf(slice.projectId, group);
    for (const i of group) {
      personOf.set(refKey(i), personId);
      if (i.personId !== personId) {
        changed.push({ kind: i.kind, id: i.id, person_id: personId });
        i.personId = personId;
      }
    }
  }
  if (changed.length > 0) {
    await client.query(
      `UPDATE braid.identities i SET person_id = c.person_id FROM jsonb_to_recordset($2::jsonb) AS c(kind text, id text, person_id text)
       WHERE i.project_id = $1 AND i.kind = c.kind AND i.id = c.id`,
      [slice.projectId, JSON.stringify(changed)],
    );
  }
  return personOf;
}

export interface LinkRecord {
  /** The new link's id (`mg_…`, a merge id) or the refusal's (`rf_…`). */
  linkId: string;
  a: IdentityRef;
  b: IdentityRef;
  rule: LinkRule;
  eventId: string | null;
  decision: LinkDecision;
  createdBy?: string | null;
}

/** Decides proposed links one by one against the slice (adding the accepted ones to it). */
export function decideAll(slice: GraphSlice, proposals: readonly { a: IdentityRef; b: IdentityRef; rule: LinkRule; eventId: string | null; operator?: boolean; createdBy?: string | null }[]): LinkRecord[] {
  const records: LinkRecord[] = [];
  for (const p of proposals) {
    const comp = components([...slice.identities.values()], slice.links);
    const usersIn = new Map<number, boolean>();
    for (const i of slice.identities.values()) if (i.kind === 'user') usersIn.set(comp.get(refKey(i)) as number, true);
    const decision = decideLink(p.a, p.b, (r) => comp.get(refKey(r)), (n) => usersIn.get(n) === true, p.operator === true);
    const record: LinkRecord = { linkId: newId(decision.kind === 'link' ? 'mg' : 'rf'), a: p.a, b: p.b, rule: p.rule, eventId: p.eventId, decision, createdBy: p.createdBy ?? null };
    if (decision.kind === 'link') slice.links.push({ linkId: record.linkId, a: p.a, b: p.b });
    records.push(record);
  }
  return records;
}

/** Stores the accepted links and the refusals (once per pair and reason). */
export async function storeLinks(client: Queryable, projectId: string, records: readonly LinkRecord[]): Promise<void> {
  const rows = records
    .filter((r) => r.decision.kind !== 'noop')
    .map((r) => {
      return {
        link_id: r.linkId,
        project_id: projectId,
        a_kind: r.a.kind,
        a_id: r.a.id,
        b_kind: r.b.kind,
        b_id: r.b.id,
        rule: r.rule,
        event_id: r.eventId,
        status: r.decision.kind === 'link' ? 'active' : 'refused',
        reason: r.decision.kind === 'refuse' ? r.decision.reason : null,
        created_by: r.createdBy ?? null,
      };
    });
  if (rows.length > 0) {
    await client.query(
      `INSERT INTO braid.identity_links (link_id, project_id, a_kind, a_id, b_kind, b_id, rule, event_id, status, reason, created_by)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(link_id text, project_id text, a_kind text, a_id text, b_kind text, b_id text,
         rule text, event_id text, status text, reason text, created_by text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }
}

/** Makes sure identities exist (each new one its own person until linked). */
export async function ensureIdentities(client: Queryable, projectId: string, refs: readonly IdentityRef[]): Promise<void> {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()].sort((a, b) => (refKey(a) < refKey(b) ? -1 : 1));
  if (unique.length === 0) return;
  await client.query(
    `INSERT INTO braid.identities (project_id, kind, id, person_id)
     SELECT $1, x.kind, x.id, x.person_id FROM jsonb_to_recordset($2::jsonb) AS x(kind text, id text, person_id text)
     ON CONFLICT DO NOTHING`,
    [projectId, JSON.stringify(unique.map((r) => ({ ...r, person_id: personIdOf(projectId, [{ ...r, firstSeenMs: 0 }]) })))],
  );
}

export async function personsOf(client: Queryable, projectId: string, refs: readonly IdentityRef[]): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const res = await client.query<{ kind: string; id: string; person_id: string }>(
    `SELECT i.kind, i.id, i.person_id FROM braid.identities i JOIN jsonb_to_recordset($2::jsonb) AS x(kind text, id text)
       ON i.kind = x.kind AND i.id = x.id WHERE i.project_id = $1`,
    [projectId, JSON.stringify(refs.map((r) => ({ kind: r.kind, id: r.id })))],
  );
  return new Map(res.rows.map((r) => [`${r.kind}:${r.id}`, r.person_id]));
}


export type MergeOutcome = { kind: 'merged'; mergeId: string; personId: string } | { kind: 'unknown_person'; personId: string } | { kind: 'same_person' };

/** An operator's explicit merge of two persons (the only way two identified users join). */
export async function operatorMerge(pool: pg.Pool, projectId: string, personA: string, personB: string, by: string | null): Promise<MergeOutcome> {
  if (personA === personB) return { kind: 'same_person' };
  return inTransaction(pool, async (client) => {
    await lockProjectGraph(client, projectId);
    const slice = await loadSlice(client, projectId, [personA, personB]);
    const representative = (personId: string) => {
      const members = [...slice.identities.values()].filter((i) => i.personId === personId);
      return members.sort((a, b) => Number(b.kind === 'user') - Number(a.kind === 'user') || a.firstSeenMs - b.firstSeenMs)[0];
    };
    const [ra, rb] = [representative(personA), representative(personB)];
    if (!ra) return { kind: 'unknown_person', personId: personA };
    if (!rb) return { kind: 'unknown_person', personId: personB };
    const [record] = decideAll(slice, [{ a: { kind: ra.kind, id: ra.id }, b: { kind: rb.kind, id: rb.id }, rule: 'operator_merge', eventId: null, operator: true, createdBy: by }]);
    await storeLinks(client, projectId, [record!]);
    const persons = await settleSlice(client, slice);
    return { kind: 'merged', mergeId: record!.linkId, personId: persons.get(refKey(ra)) as string };
  });
}

export type UnmergeTarget = { mergeId: string } | { kind: 'user' | 'anonymous'; id: string };

export type UnmergeOutcome =
  | { kind: 'unmerged'; undone: string[]; persons: { personId: string; identities: IdentityRef[] }[] }
  | { kind: 'not_found'; message: string };

/**
 * Undoes a merge: the link named by `mergeId`, or every link of one identity
 * (detaching it and what it brought). The persons are recomputed from the
 * remaining links, and analytics.events follows at once (it resolves persons
 * through the graph).
 */
export async function unmerge(pool: pg.Pool, projectId: string, target: UnmergeTarget, by: string | null): Promise<UnmergeOutcome> {
  return inTransaction(pool, async (client) => {
    await lockProjectGraph(client, projectId);
    const found =
      'mergeId' in target
        ? await client.query<{ link_id: string; a_kind: string; a_id: string }>(
            `SELECT link_id, a_kind, a_id FROM braid.identity_links WHERE project_id = $1 AND link_id = $2 AND status = 'active'`,
            [projectId, target.mergeId],
          )
        : await client.query<{ link_id: string; a_kind: string; a_id: string }>(
            `SELECT link_id, a_kind, a_id FROM braid.identity_links WHERE project_id = $1 AND status = 'active'
               AND ((a_kind = $2 AND a_id = $3) OR (b_kind = $2 AND b_id = $3))`,
            [projectId, target.kind, target.id],
          );
    if (found.rows.length === 0) {
      return { kind: 'not_found', message: 'mergeId' in target ? `no active merge ${target.mergeId}` : `${target.kind} id ${target.id} has no active merges` };
    }
    const anchor = found.rows[0]!;
    const person = await personsOf(client, projectId, [{ kind: anchor.a_kind as 'user' | 'anonymous', id: anchor.a_id }]);
    const slice = await loadSlice(client, projectId, [...person.values()]);
    const undone = found.rows.map((r) => r.link_id);
    await client.query(`UPDATE braid.identity_links SET status = 'undone', undone_at = now(), undone_by = $3 WHERE project_id = $1 AND link_id = ANY($2::text[])`, [
      projectId,
      undone,
      by,
    ]);
    slice.links = slice.links.filter((l) => !undone.includes(l.linkId));
    const persons = await settleSlice(client, slice);
    const grouped = new Map<string, IdentityRef[]>();
    for (const i of slice.identities.values()) {
      const p = persons.get(refKey(i)) as string;
      grouped.set(p, [...(grouped.get(p) ?? []), { kind: i.kind, id: i.id }]);
    }
    return { kind: 'unmerged', undone, persons: [...grouped.entries()].map(([personId, identities]) => ({ personId, identities })) };
  });
}

export interface MergeView {
  mergeId: string;
  a: IdentityRef;
  b: IdentityRef;
  rule: string;
  eventId: string | null;
  status: string;
  reason: string | null;
  createdAt: Date;
  createdBy: string | null;
  undoneAt: Date | null;
  undoneBy: string | null;
}

/** The recorded links (active, undone, refused) of a person's identities, newest first. */
export async function listMerges(client: Queryable, projectId: string, personId: string): Promise<MergeView[] | null> {
  const exists = await client.query('SELECT 1 FROM braid.identities WHERE project_id = $1 AND person_id = $2 LIMIT 1', [projectId, personId]);
  if (!exists.rowCount) return null;
  const res = await client.query(
    `SELECT DISTINCT l.* FROM braid.identity_links l
     JOIN braid.identities i ON i.project_id = l.project_id AND ((i.kind = l.a_kind AND i.id = l.a_id) OR (i.kind = l.b_kind AND i.id = l.b_id))
     WHERE l.project_id = $1 AND i.person_id = $2 ORDER BY l.created_at DESC, l.link_id`,
    [projectId, personId],
  );
  return res.rows.map((r) => ({
    mergeId: r.link_id,
    a: { kind: r.a_kind, id: r.a_id },
    b: { kind: r.b_kind, id: r.b_id },
    rule: r.rule,
    eventId: r.event_id,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
    createdBy: r.created_by,
    undoneAt: r.undone_at,
    undoneBy: r.undone_by,
  }));
}
