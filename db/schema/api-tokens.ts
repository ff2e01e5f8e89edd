import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { braid } from './braid-schema';

/** Operator API bearer tokens; only a SHA-256 of each token is kept. */
export const apiTokens = braid.table(
  'api_tokens',
  {
    tokenId: text().primaryKey(),
    name: text().notNull(),
    role: text().$type<'admin' | 'operator' | 'analyst'>().notNull(),
    tokenHash: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.role)],
);
