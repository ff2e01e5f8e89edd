import { z } from 'zod';
import { listMerges, operatorMerge, unmerge } from '../../db/identity-graph';
import { getProject } from '../../db/projects';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import type { RouteTable } from '../route-table';

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

export function personRoutes(routes: RouteTable, deps: ApiDeps): void {
  const requireProject = async (projectId: string) => {
    if (!(await getProject(deps.pool, projectId))) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
  };

  routes.add({
    method: 'GET',
    url: '/api/persons/:p/:personId/merges',
    summary: "A person's recorded merges (id, cause, time), undone ones and refused links included",
    roles: ['admin', 'operator', 'analyst'],
    responses: { 200: 'the merges', 404: 'no such project or person' },
    handler: async ({ params }) => {
      await requireProject(params.p as string);
      const merges = await listMerges(deps.pool, params.p as string, params.personId as string);
      if (!merges) throw notFound(`person ${params.personId}`);
      return { personId: params.personId, merges };
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/persons/:p/merge',
    summary: 'Merge two persons (the only way two identified users become one person)',
    roles: ['admin', 'operator'],
    body: mergeSchema,
    responses: { 200: 'merged', 400: 'the same person twice', 404: 'no such project or person' },
    handler: async ({ params, body, identity }) => {
      await requireProject(params.p as string);
      const [a, b] = body.personIds;
      const outcome = await operatorMerge(deps.pool, params.p as string, a, b, identity?.name ?? null);
      if (outcome.kind === 'same_person') throw new ApiError(400, 'same_person', 'the two person ids are the same person');
      if (outcome.kind === 'unknown_person') throw notFound(`person ${outcome.personId}`);
      return { mergeId: outcome.mergeId, personId: outcome.personId };
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/persons/:p/unmerge',
    summary: 'Undo a merge: `{ mergeId }`, or `{ kind, id }` to detach that id and what it brought; events follow at once',
    roles: ['admin', 'operator'],
    body: unmergeSchema,
    responses: { 200: 'unmerged', 404: 'no such active merge' },
    handler: async ({ params, body, identity }) => {
      await requireProject(params.p as string);
      const outcome = await unmerge(deps.pool, params.p as string, body, identity?.name ?? null);
      if (outcome.kind === 'not_found') throw new ApiError(404, 'not_found', outcome.message);
      return { undone: outcome.undone, persons: outcome.persons };
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/persons/:p/:personId/journey',
    summary: "A person's events across channels in event-time order (?limit=1000&from=&to=)",
    roles: ['admin', 'operator', 'analyst'],
    responses: { 200: 'the journey', 400: 'bad query', 404: 'no such project or person' },
    handler: async ({ params, query }) => {
      await requireProject(params.p as string);
      const q = journeyQuery.safeParse(query);
      if (!q.success) throw new ApiError(400, 'invalid_request', q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const known = await deps.pool.query('SELECT 1 FROM braid.identities WHERE project_id = $1 AND person_id = $2 LIMIT 1', [params.p, params.personId]);
      if (!known.rowCount) throw notFound(`person ${params.personId}`);
      const res = await deps.pool.query(
        `SELECT event_id, event_time, channel, type, event, session_id, user_id, anonymous_id, properties
         FROM analytics.events WHERE project_id = $1 AND person_id = $2
           AND ($3::timestamptz IS NULL OR event_time >= $3) AND ($4::timestamptz IS NULL OR event_time < $4)
         ORDER BY event_time, event_id LIMIT $5`,
        [params.p, params.personId, q.data.from ?? null, q.data.to ?? null, q.data.limit],
      );
      return { personId: params.personId, events: res.rows };
    },
  });
}
