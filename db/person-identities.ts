import { and, eq, inArray, or } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { refKey, type IdentityKind, type IdentityRef } from '../rules/identity-graph';
import { createDb, type Connection } from './client';
import { identities } from './schema';

/**
 * Every id of the person each of `refs` belongs to, by `kind:id` of the ref.
 * The ref itself is always among them (an id braid has not seen yet stands
 * for itself): consent given on one device covers the whole person.
 */
export async function personIdentities(connection: Connection, projectId: string, refs: readonly IdentityRef[]): Promise<Map<string, IdentityRef[]>> {
  const byRef = new Map(refs.map((r) => [refKey(r), [{ kind: r.kind, id: r.id }]]));
  if (refs.length === 0) return byRef;
  const known = alias(identities, 'known');
  const idsOf = (kind: IdentityKind) => [...new Set(refs.filter((r) => r.kind === kind).map((r) => r.id))];
  const rows = await createDb(connection)
    .selectDistinct({ refKind: known.kind, refId: known.id, kind: identities.kind, id: identities.id })
    .from(known)
    .innerJoin(identities, and(eq(identities.projectId, known.projectId), eq(identities.personId, known.personId)))
    .where(
      and(
        eq(known.projectId, projectId),
        or(...(['user', 'anonymous'] as const).map((kind) => and(eq(known.kind, kind), inArray(known.id, idsOf(kind))))),
      ),
    );
  for (const row of rows) {
    if (row.kind === row.refKind && row.id === row.refId) continue;
    byRef.get(refKey({ kind: row.refKind, id: row.refId }))?.push({ kind: row.kind, id: row.id });
  }
  return byRef;
}

/** Whether any identity of the project belongs to `personId`. */
export async function personExists(connection: Connection, projectId: string, personId: string): Promise<boolean> {
  const [row] = await createDb(connection)
    .select({ personId: identities.personId })
    .from(identities)
    .where(and(eq(identities.projectId, projectId), eq(identities.personId, personId)))
    .limit(1);
  return row !== undefined;
}
