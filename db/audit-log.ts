import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { createDb, type Connection } from './client';
import { auditLog } from './schema';

export type AuditEntry = Omit<typeof auditLog.$inferInsert, 'id' | 'at'>;
export type AuditRecord = typeof auditLog.$inferSelect;

/** Records one operator action. */
export async function recordAudit(connection: Connection, entry: AuditEntry): Promise<void> {
  await createDb(connection).insert(auditLog).values(entry);
}

/** The newest audit entries first, optionally of one project, actor or action, before an entry id (paging). */
export async function listAudit(
  connection: Connection,
  filter: { projectId?: string; actor?: string; action?: string; beforeId?: number; limit: number },
): Promise<AuditRecord[]> {
  const where: SQL[] = [];
  if (filter.projectId) where.push(eq(auditLog.projectId, filter.projectId));
  if (filter.actor) where.push(eq(auditLog.actor, filter.actor));
  if (filter.action) where.push(sql`${auditLog.action} LIKE ${`%${filter.action}%`}`);
  if (filter.beforeId) where.push(lt(auditLog.id, filter.beforeId));
  return createDb(connection)
    .select()
    .from(auditLog)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(filter.limit);
}
