import { sql, type SQL } from 'drizzle-orm';
import type { Breakdown } from '../contracts/analysis';

/**
 * The value an event has for each breakdown, as SQL over `analytics.events e`:
 * one home for what "platform" or "region" means, used by the funnel's split
 * and by the guardrails that compare the same values.
 * - platform: `context.os.name` (iOS, Android, Mac OS X…), else the channel;
 * - app_version: `context.app.version`, `(none)` where the client sends none (web);
 * - region: `context.location.country`, else the region of `context.locale` (`en-GB` → GB), else `(unknown)`.
 */
export const SEGMENT_OF: Record<Breakdown, SQL> = {
  channel: sql`e.channel`,
  platform: sql`coalesce(nullif(e.context #>> '{os,name}', ''), e.channel)`,
  app_version: sql`coalesce(nullif(e.context #>> '{app,version}', ''), '(none)')`,
  region: sql`coalesce(nullif(e.context #>> '{location,country}', ''), upper(substring(e.context ->> 'locale' from '[-_]([A-Za-z]{2})$')), '(unknown)')`,
};
