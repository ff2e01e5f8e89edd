import { pgSchema } from 'drizzle-orm/pg-core';

/** Internal tables live in `braid`; analysts read the views in `analytics`. */
export const braid = pgSchema('braid');
