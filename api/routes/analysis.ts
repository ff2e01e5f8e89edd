import {
  activePersonsQuerySchema,
  adoptionQuerySchema,
  eventNamesQuerySchema,
  funnelQuerySchema,
  retentionQuerySchema,
  timeToConvertQuerySchema,
} from '../../contracts/analysis';
import { activePersons, adoptionOverTime, convertedWithin, eventNames, funnel, funnelBreakdown, retention, timeToConvert, type AdoptionBucket } from '../../db/analysis-figures';
import { smallestPerSeries } from '../../rules/analysis-guardrails';
import { conversionHistogram, histogramBounds } from '../../rules/conversion-histogram';
import { funnelSegments, segmentName } from '../../rules/funnel-segments';
import type { Segment } from '../../rules/guardrails';
import { retentionCohorts } from '../../rules/retention-cohorts';
import type { ApiDeps } from '../deps';
import { besideTheFigure } from '../figure-context';
import { requireProject } from '../require-project';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const ANYONE = ['admin', 'operator', 'analyst'] as const;

const WEEK_MS = 7 * 86_400_000;
const after = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** An adoption bucket as a point of its series (channel and app version), for small_segment. */
const adoptionPoint = (b: AdoptionBucket) => ({ series: `${b.channel} ${b.appVersion ?? '(no app version)'}`, bucket: b.bucket.slice(0, 10), persons: b.activePersons, converted: b.adopters });

/** The SQL a figure ran, as one script to copy: its statements in the order they ran. */
const script = (...statements: (string | undefined)[]) => statements.filter((s): s is string => s !== undefined).map((s) => `${s};`).join('\n\n');

const ANSWERS = responses({
  200: 'the figure, the SQL it ran (`sql`), its `freshness` and the `guardrails` that apply',
  400: 'a bad query parameter (the error names it)',
  404: 'no project this token may read',
});

/**
 * Analysts' figures for the console's analysis pages (contract §5 functions
 * and views, per project): funnel, time to convert, feature adoption,
 * retention and active persons. Every answer carries the SQL it ran with the
 * parameters written in (`sql`), how fresh the data is (`freshness`) and the
 * guardrails that say when a number may mislead (`guardrails`). An analyst
 * token reads only the projects granted to it (checked for every `:p` route in api/auth.ts).
 */
export function analysisRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/event-names',
    config: { roles: ANYONE },
    schema: {
      summary: 'The event names a project wrote in the last days, the most frequent first (what funnel steps are picked from)',
      params: pathParams('p'),
      querystring: eventNamesQuerySchema,
      response: responses({ 200: 'event names with their counts', 400: 'a bad query parameter', 404: 'no project this token may read' }),
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      return { projectId, days: query.days, events: await eventNames(deps.pool, projectId, query.days) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/funnel',
    config: { roles: ANYONE },
    schema: {
      summary: 'A funnel (analytics.funnel): persons per step, optionally split by channel, platform, app_version or region',
      description:
        '`steps` repeated 2–10 times (`?steps=Product%20Viewed&steps=Order%20Completed`), `from`/`to` (ISO-8601 with offset, half-open), `window` (`30m`, `1h`, `7d`, `2w`; default 1d), `breakdown` optional. `funnel` is analytics.funnel for the same arguments; `segments` splits it per value of the event at which each person reached a step (a step\'s values add up to its persons).',
      params: pathParams('p'),
      querystring: funnelQuerySchema,
      response: ANSWERS,
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      const args = { projectId, steps: query.steps, from: query.from, to: query.to, window: query.window.interval };
      const total = await funnel(deps.pool, args);
      const split = query.breakdown ? await funnelBreakdown(deps.pool, args, query.breakdown) : null;
      const segments = split ? funnelSegments(split.rows) : null;
      const [first, last] = [total.rows[0], total.rows.at(-1)];
      const compared: Segment[] = segments
        ? segments.map((s) => ({ name: segmentName(query.breakdown as string, s.value), persons: s.persons, converted: s.converted }))
        : [{ name: 'the funnel', persons: first?.persons ?? 0, converted: last?.persons ?? 0 }];
      const context = await besideTheFigure(deps.pool, {
        projectId,
        from: query.from,
        until: after(query.to, query.window.seconds * 1000),
        events: query.steps,
        compareBy: query.breakdown ?? 'channel',
        segments: compared,
      });
      return {
        projectId,
        steps: query.steps,
        from: query.from,
        to: query.to,
        window: query.window.interval,
        breakdown: query.breakdown ?? null,
        funnel: total.rows,
        segments,
        sql: script(total.sql, split?.sql),
        ...context,
      };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/time-to-convert',
    config: { roles: ANYONE },
    schema: {
      summary: 'Time from one event to another (analytics.time_to_convert): started, converted, p50/p90/p99, and a histogram',
      description:
        'The histogram counts persons converted within each of a ladder of bounds (1 min … the window), each bound read from analytics.time_to_convert with that bound as its window, so buckets and percentiles agree.',
      params: pathParams('p'),
      querystring: timeToConvertQuerySchema,
      response: ANSWERS,
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      const args = { projectId, fromEvent: query.fromEvent, toEvent: query.toEvent, from: query.from, to: query.to, window: query.window.interval };
      const figure = await timeToConvert(deps.pool, args);
      const cumulative = await convertedWithin(deps.pool, args, histogramBounds(query.window.seconds));
      const result = figure.rows[0] ?? { started: 0, converted: 0, p50Seconds: null, p90Seconds: null, p99Seconds: null };
      const context = await besideTheFigure(deps.pool, {
        projectId,
        from: query.from,
        until: after(query.to, query.window.seconds * 1000),
        events: [query.fromEvent, query.toEvent],
        compareBy: 'channel',
        segments: [{ name: `persons who did "${query.fromEvent}"`, persons: result.started, converted: result.converted }],
      });
      return {
        projectId,
        fromEvent: query.fromEvent,
        toEvent: query.toEvent,
        from: query.from,
        to: query.to,
        window: query.window.interval,
        ...result,
        histogram: conversionHistogram(cumulative.rows),
        sql: script(figure.sql, cumulative.sql),
        ...context,
      };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/adoption',
    config: { roles: ANYONE },
    schema: {
      summary: 'Adoption of a feature (analytics.feature_adoption) per day or week, per channel and app version',
      params: pathParams('p'),
      querystring: adoptionQuerySchema,
      response: ANSWERS,
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      const figure = await adoptionOverTime(deps.pool, { projectId, event: query.event, from: query.from, to: query.to, interval: query.interval });
      const context = await besideTheFigure(deps.pool, {
        projectId,
        from: query.from,
        until: query.to,
        events: [query.event],
        compareBy: 'channel',
        compared: [...new Set(figure.rows.map((b) => b.channel))],
        segments: smallestPerSeries(figure.rows.map(adoptionPoint)),
      });
      return { projectId, event: query.event, from: query.from, to: query.to, interval: query.interval, buckets: figure.rows, sql: script(figure.sql), ...context };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/retention',
    config: { roles: ANYONE },
    schema: {
      summary: 'Weekly retention cohorts: persons first seen in [from, to) by ISO week, and the share active 1..weeks weeks later',
      params: pathParams('p'),
      querystring: retentionQuerySchema,
      response: ANSWERS,
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      const figure = await retention(deps.pool, { projectId, from: query.from, to: query.to, weeks: query.weeks });
      const cohorts = retentionCohorts(figure.rows, query.weeks, new Date().toISOString());
      const context = await besideTheFigure(deps.pool, {
        projectId,
        from: query.from,
        until: after(query.to, (query.weeks + 1) * WEEK_MS),
        events: [],
        compareBy: 'channel',
        segments: cohorts.map((c) => ({ name: `the cohort of ${c.week}`, persons: c.persons, ...(c.weeks[0]?.active != null ? { converted: c.weeks[0].active } : {}) })),
      });
      return { projectId, from: query.from, to: query.to, weeks: query.weeks, cohorts, sql: script(figure.sql), ...context };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/analysis/active-persons',
    config: { roles: ANYONE },
    schema: {
      summary: 'Active persons per UTC day or ISO week and channel (analytics.active_persons_daily / _weekly); channel null counts each person once',
      params: pathParams('p'),
      querystring: activePersonsQuerySchema,
      response: ANSWERS,
    },
    handler: async ({ params, query }) => {
      const projectId = params.p as string;
      await requireProject(deps.pool, projectId);
      const figure = await activePersons(deps.pool, { projectId, from: query.from, to: query.to, interval: query.interval });
      const context = await besideTheFigure(deps.pool, { projectId, from: query.from, until: query.to, events: [], compareBy: 'channel', segments: [] });
      return { projectId, from: query.from, to: query.to, interval: query.interval, buckets: figure.rows, sql: script(figure.sql), ...context };
    },
  });
}
