import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getProject } from '../../db/projects';
import { hostsHoldingEvents } from '../../db/staged-events';
import { recheckHeldEvents } from '../../ingest/session-sink';
import { consentChangedSignal } from '../../workflows/session.messages';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import type { RouteTable } from '../route-table';

const category = z.string().trim().toLowerCase().pipe(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a consent category such as "analytics"'));

const setConsentSchema = z
  .object({
    projectId: z.string().min(1),
    userId: z.string().min(1).max(512).optional(),
    anonymousId: z.string().min(1).max(512).optional(),
    categories: z.record(category, z.boolean({ message: 'true (granted) or false (denied)' })).refine((c) => Object.keys(c).length > 0, 'at least one category'),
    at: z.iso.datetime({ offset: true, message: 'an ISO-8601 time with an offset' }).optional(),
  })
  .strict()
  .refine((b) => b.userId !== undefined || b.anonymousId !== undefined, { message: 'userId or anonymousId is required', path: ['userId'] });

export function consentRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'POST',
    url: '/api/consent',
    summary: 'Set consent categories for a userId or anonymousId, effective at a time (default now)',
    roles: ['admin', 'operator'],
    body: setConsentSchema,
    responses: { 200: 'recorded', 400: 'invalid', 404: 'unknown project' },
    handler: async ({ body }) => {
      const project = await getProject(deps.pool, body.projectId);
      if (!project) throw new ApiError(404, 'unknown_project', `project ${body.projectId} does not exist`);
      const effectiveAt = body.at ?? new Date().toISOString();
      const subjects = [
        ...(body.userId ? [{ kind: 'user', id: body.userId }] : []),
        ...(body.anonymousId ? [{ kind: 'anonymous', id: body.anonymousId }] : []),
      ];
      const rows = subjects.flatMap((s) => Object.entries(body.categories).map(([c, granted]) => ({ kind: s.kind, subject_id: s.id, category: c, granted })));
      await deps.pool.query(
        `INSERT INTO braid.consent_records (project_id, kind, subject_id, category, granted, effective_at, source)
         SELECT $1, kind, subject_id, category, granted, $2, 'api' FROM jsonb_to_recordset($3::jsonb) AS x(kind text, subject_id text, category text, granted boolean)`,
        [body.projectId, effectiveAt, JSON.stringify(rows)],
      );
      // Hosts holding opt-in events of the project re-check them now rather than at the end of the hold.
      const hosts = await hostsHoldingEvents(deps.pool, body.projectId);
      for (const workflowId of hosts) await recheckHeldEvents(deps.temporal, deps.taskQueue, { workflowId, projectId: body.projectId });
      // Session workflows of the type before hosts (still running after an upgrade) hold events in their state.
      const ids = await deps.pool.query<{ id: string }>(
        `SELECT DISTINCT i.id FROM braid.identities i
         WHERE i.project_id = $1 AND i.person_id IN (
           SELECT person_id FROM braid.identities WHERE project_id = $1 AND (kind, id) IN (SELECT x.kind, x.id FROM jsonb_to_recordset($2::jsonb) AS x(kind text, id text)))`,
        [body.projectId, JSON.stringify(subjects)],
      );
      const deviceIds = new Set([...ids.rows.map((r) => r.id), ...subjects.map((s) => s.id)]);
      let signalled = 0;
      for (const id of deviceIds) {
        for (const channel of project.settings.channels) {
          try {
            await deps.temporal.workflow.getHandle(`session:${body.projectId}:${channel}:${id}`).signal(consentChangedSignal);
            signalled += 1;
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }
        }
      }
      return { recorded: rows.length, effectiveAt, signalledSessions: signalled + hosts.length };
    },
  });
}
