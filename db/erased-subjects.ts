import { and, eq, sql } from 'drizzle-orm';
import { anyOf, columnName } from './bulk';
import { createDb, type Connection } from './client';
import { erasedSubjects } from './schema';

/** Which of these subject hashes (db/secrets.ts subjectHash) are on the suppression list. */
export async function erasedAmong(connection: Connection, subjectHashes: readonly string[]): Promise<Set<string>> {
  if (subjectHashes.length === 0) return new Set();
  const rows = await createDb(connection).select({ subjectId: erasedSubjects.subjectId }).from(erasedSubjects).where(anyOf(erasedSubjects.subjectId, subjectHashes));
  return new Set(rows.map((r) => r.subjectId));
}

/**
 * Puts subjects on the suppression list for an erasure: `suppress` for good,
 * `erasing` only while a delete runs. A subject already suppressed for good
 * stays so.
 */
export async function suppressSubjects(
  connection: Connection,
  erasure: { projectId: string; operationId: string; state: 'suppress' | 'erasing' },
  subjects: readonly { kind: 'user' | 'anonymous'; subjectHash: string }[],
): Promise<void> {
  if (subjects.length === 0) return;
  await createDb(connection)
    .insert(erasedSubjects)
    .values(subjects.map((s) => ({ projectId: erasure.projectId, kind: s.kind, subjectId: s.subjectHash, operationId: erasure.operationId, state: erasure.state })))
    .onConflictDoUpdate({
      target: [erasedSubjects.projectId, erasedSubjects.kind, erasedSubjects.subjectId],
      set: { state: sql`CASE WHEN ${erasedSubjects.state} = 'suppress' THEN 'suppress' ELSE excluded.${sql.identifier(columnName(erasedSubjects, 'state'))} END` },
    });
}

/** Takes subjects off the suppression list (`unsuppress`). */
export async function unsuppressSubjects(connection: Connection, projectId: string, subjectHashes: readonly string[]): Promise<void> {
  await createDb(connection)
    .delete(erasedSubjects)
    .where(and(eq(erasedSubjects.projectId, projectId), anyOf(erasedSubjects.subjectId, subjectHashes)));
}

/** Ends the `erasing` suppressions of a finished delete. */
export async function endErasing(connection: Connection, projectId: string, operationId: string): Promise<void> {
  await createDb(connection)
    .delete(erasedSubjects)
    .where(and(eq(erasedSubjects.projectId, projectId), eq(erasedSubjects.operationId, operationId), eq(erasedSubjects.state, 'erasing')));
}
