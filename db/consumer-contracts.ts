import { and, asc, eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { ConsumerContract, ContractRead } from '../rules/consumer-contracts';
import type { JsonSchema } from '../rules/schema-validation';
import { createDb } from './client';
import { consumerContracts } from './schema';
import { listCurrentSchemas } from './schema-registry';

export interface ContractRecord extends ConsumerContract {
  projectId: string;
  updatedBy: string | null;
  updatedAt: Date;
}

/** Registers or replaces what a consumer reads; true when it was new. */
export async function putContract(pool: pg.Pool, input: { projectId: string; consumer: string; reads: ContractRead[]; updatedBy: string | null }): Promise<boolean> {
  const res = await createDb(pool)
    .insert(consumerContracts)
    .values({ projectId: input.projectId, consumer: input.consumer, reads: input.reads, updatedBy: input.updatedBy })
    .onConflictDoUpdate({
      target: [consumerContracts.projectId, consumerContracts.consumer],
      set: { reads: input.reads, updatedBy: input.updatedBy, updatedAt: sql`now()` },
    })
    .returning({ inserted: sql<boolean>`xmax = 0` });
  return res[0]?.inserted === true;
}

/** A project's registered consumers, by name. */
export async function listContracts(pool: pg.Pool, projectId: string): Promise<ContractRecord[]> {
  return createDb(pool).select().from(consumerContracts).where(eq(consumerContracts.projectId, projectId)).orderBy(asc(consumerContracts.consumer));
}

export async function getContract(pool: pg.Pool, projectId: string, consumer: string): Promise<ContractRecord | null> {
  const [row] = await createDb(pool)
    .select()
    .from(consumerContracts)
    .where(and(eq(consumerContracts.projectId, projectId), eq(consumerContracts.consumer, consumer)));
  return row ?? null;
}

/** Removes a consumer's contract; true when there was one. */
export async function deleteContract(pool: pg.Pool, projectId: string, consumer: string): Promise<boolean> {
  const res = await createDb(pool)
    .delete(consumerContracts)
    .where(and(eq(consumerContracts.projectId, projectId), eq(consumerContracts.consumer, consumer)))
    .returning({ consumer: consumerContracts.consumer });
  return res.length > 0;
}

/** Each event's current properties schema, as contracts are checked against it. */
export async function currentSchemas(pool: pg.Pool, projectId: string): Promise<Map<string, JsonSchema>> {
  return new Map((await listCurrentSchemas(pool, projectId)).map((s) => [s.eventKey, s.schema]));
}
