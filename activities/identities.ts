import type pg from 'pg';
import { isLinkableId } from '../rules/identifiers';
import type { CanonicalDraft } from './canonical-events.types';

/**
 * Records the user and anonymous ids that written events carry, each with the
 * person it belongs to. An anonymous id seen with a user id joins that user's
 * person when it has no identified person yet. (The identity graph with merge
 * causes and undo builds on this table.)
 */
export async function linkIdentities(client: pg.PoolClient, events: CanonicalDraft[]): Promise<void> {
  const ids = new Map<string, { project_id: string; kind: 'user' | 'anonymous'; id: string; user_id: string | null }>();
  for (const e of events) {
    const userId = e.userId !== undefined && isLinkableId(e.userId) ? e.userId : null;
    if (userId) ids.set(`user\u0000${userId}`, { project_id: e.projectId, kind: 'user', id: userId, user_id: null });
    for (const anonymous of [e.anonymousId, e.type === 'alias' ? e.previousId : undefined]) {
      if (anonymous === undefined || !isLinkableId(anonymous)) continue;
      const key = `anonymous\u0000${anonymous}`;
      const known = ids.get(key);
      ids.set(key, { project_id: e.projectId, kind: 'anonymous', id: anonymous, user_id: userId ?? known?.user_id ?? null });
    }
  }
  if (ids.size === 0) return;
  const rows = [...ids.values()].sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1));
  await client.query(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(project_id text, kind text, id text, user_id text)
     ), users AS (
       INSERT INTO braid.identities (project_id, kind, id, person_id)
       SELECT project_id, 'user', id, 'p_' || substr(md5(project_id || ':user:' || id), 1, 20)
       FROM input WHERE kind = 'user'
       ON CONFLICT DO NOTHING
     )
     INSERT INTO braid.identities (project_id, kind, id, person_id)
     SELECT i.project_id, 'anonymous', i.id,
       COALESCE(
         (SELECT person_id FROM braid.identities u WHERE u.project_id = i.project_id AND u.kind = 'user' AND u.id = i.user_id),
         CASE WHEN i.user_id IS NOT NULL THEN 'p_' || substr(md5(i.project_id || ':user:' || i.user_id), 1, 20) END,
         'p_' || substr(md5(i.project_id || ':anonymous:' || i.id), 1, 20))
     FROM input i WHERE i.kind = 'anonymous'
     ON CONFLICT (project_id, kind, id) DO UPDATE SET person_id = EXCLUDED.person_id
       WHERE NOT EXISTS (
         SELECT 1 FROM braid.identities o
         WHERE o.project_id = braid.identities.project_id AND o.person_id = braid.identities.person_id AND o.kind = 'user')
         AND EXCLUDED.person_id <> braid.identities.person_id`,
    [JSON.stringify(rows)],
  );
}
