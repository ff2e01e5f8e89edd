import { requireProject } from '../require-project';
import { z } from 'zod';
import { listMerges, operatorMerge, unmerge } from '../../db/identity-graph';
import { personJourney } from '../../db/journeys';
import { personExists } from '../../db/person-identities';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const mergeSchema = z.object({ personIds: z.tuple([z.string().min(1), z.string().min(1)]) }).strict();
const unmergeSchema = z.union([
  z.object({ mergeId: z.string().min(1) }).strict(),
  z.object({ kind: z.enum(['user', 'anonymous']), id: z.string().min(1) }).strict(),
]);

const journeyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export function personRoutes(app: ApiApp, deps: ApiDeps): void {

  app.route({
    method: 'GET',
    url: '/api/persons/:p/:personId/merges',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "A person's recorded merges (id, cause, time), undone ones and refused links included",
      params: pathParams('p', 'personId'),
      response: responses({ 200: 'the merges', 404: 'no such project or person' }),
    },
    handler: async ({ params }) => {
      await requireProject(deps.pool, params.p as string);
      const merges = await listMerges(deps.pool, params.p as string, params.personId as string);
      if (!merges) throw notFound(`person ${params.personId}`);
      return { personId: params.personId, merges };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/persons/:p/merge',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: 'Merge two persons (the only way two identified users become one person)',
      params: pathParams('p'),
      body: mergeSchema,
      response: responses({ 200: 'merged', 400: 'the same person twice', 404: 'no such project or person' }),
    },
    handler: async ({ params, body, identity }) => {
      await requireProject(deps.pool, params.p as string);
      const [a, b] = body.personIds;
      const outcome = await operatorMerge(deps.pool, params.p as string, a, b, identity?.name ?? null);
      if (outcome.kind === 'same_person') throw new ApiError(400, 'same_person', 'the two person ids are the same person');
      if (outcome.kind === 'unknown_person') throw notFound(`person ${outcome.personId}`);
      return { mergeId: outcome.mergeId, personId: outcome.personId };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/persons/:p/unmerge',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: 'Undo a merge: `{ mergeId }`, or `{ kind, id }` to detach that id and what it brought; events follow at once',
      params: pathParams('p'),
      body: unmergeSchema,
      response: responses({ 200: 'unmerged', 404: 'no such active merge' }),
    },
    handler: async ({ params, body, identity }) => {
      await requireProject(deps.pool, params.p as string);
      const outcome = await unmerge(deps.pool, params.p as string, body, identity?.name ?? null);
      if (outcome.kind === 'not_found') throw new ApiError(404, 'not_found', outcome.message);
      return { undone: outcome.undone, persons: outcome.persons };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/persons/:p/:personId/journey',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "A person's events across channels in event-time order (?limit=1000&from=&to=)",
      params: pathParams('p', 'personId'),
      querystring: journeyQuery,
      response: responses({ 200: 'the journey', 400: 'bad query', 404: 'no such project or person' }),
    },
    handler: async ({ params, query }) => {
      await requireProject(deps.pool, params.p as string);
      if (!(await personExists(deps.pool, params.p as string, params.personId as string))) throw notFound(`person ${params.personId}`);
      const events = await personJourney(deps.pool, params.p as string, params.personId as string, query);
      return {
        personId: params.personId,
        events: events.map((e) => ({
          event_id: e.eventId,
          event_time: e.eventTime,
          channel: e.channel,
          type: e.type,
          event: e.event,
          session_id: e.sessionId,
          user_id: e.userId,
          anonymous_id: e.anonymousId,
          properties: e.properties,
        })),
      };
    },
  });
}
