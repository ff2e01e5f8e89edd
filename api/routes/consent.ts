import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { insertConsentRecords } from '../../db/consent-records';
import { sessionWorkflowId } from '../../rules/session-key';
import { personIdentities } from '../../db/person-identities';
import { getProject } from '../../db/projects';
import { hostsHoldingEvents } from '../../db/staged-events';
import { recheckHeldEvents } from '../../ingest/session-sink';
import type { IdentityRef } from '../../rules/identity-graph';
import { consentChangedSignal } from '../../workflows/session.messages';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { responses, type ApiApp } from '../typed-routes';

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

export function consentRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'POST',
    url: '/api/consent',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: 'Set consent categories for a userId or anonymousId, effective at a time (default now)',
      body: setConsentSchema,
      response: responses({ 200: 'recorded', 400: 'invalid', 404: 'unknown project' }),
    },
    handler: async ({ body }) => {
      const project = await getProject(deps.pool, body.projectId);
      if (!project) throw new ApiError(404, 'unknown_project', `project ${body.projectId} does not exist`);
      const effectiveAt = body.at ?? new Date().toISOString();
      const subjects: IdentityRef[] = [
        ...(body.userId ? [{ kind: 'user' as const, id: body.userId }] : []),
        ...(body.anonymousId ? [{ kind: 'anonymous' as const, id: body.anonymousId }] : []),
      ];
      const recorded = await insertConsentRecords(
        deps.pool,
        subjects.flatMap((s) =>
          Object.entries(body.categories).map(([category, granted]) => ({
            projectId: body.projectId,
            kind: s.kind,
            subjectId: s.id,
            category,
            granted,
            effectiveAt,
            source: 'api' as const,
            eventId: null,
          })),
        ),
      );
      // Hosts holding opt-in events of the project re-check them now rather than at the end of the hold.
      const hosts = await hostsHoldingEvents(deps.pool, body.projectId);
      for (const workflowId of hosts) await recheckHeldEvents(deps.temporal, deps.taskQueue, { workflowId, projectId: body.projectId });
      // Session workflows of the type before hosts (still running after an upgrade) hold events in their state.
      const persons = await personIdentities(deps.pool, body.projectId, subjects);
      const deviceIds = new Set([...persons.values()].flat().map((r) => r.id));
      let signalled = 0;
      for (const id of deviceIds) {
        for (const channel of project.settings.channels) {
          try {
            // The id as the device key it would have been (the prefix only tells anonymous from user ids apart).
            await deps.temporal.workflow.getHandle(sessionWorkflowId(body.projectId, channel, `a:${id}`)).signal(consentChangedSignal);
            signalled += 1;
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }
        }
      }
      return { recorded, effectiveAt, signalledSessions: signalled + hosts.length };
    },
  });
}
