import { z } from 'zod';
import { createProjectSchema, SETTINGS_KEYS, settingsPatchSchema } from '../../contracts/project';
import { createProjectWithKeys, getProject, listProjects, updateProjectSettings } from '../../db/projects';
import type { ApiDeps } from '../deps';
import { readableProjects } from '../require-project';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const patchProjectSchema = settingsPatchSchema(SETTINGS_KEYS)
  .extend({ name: z.string().trim().min(1).max(200).optional() })
  .strict();

export function projectRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'POST',
    url: '/api/projects',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: 'Create a project; answers its write keys per channel, shown once',
      body: createProjectSchema,
      response: responses({ 201: 'created', 400: 'invalid settings', 409: 'the project exists' }),
    },
    handler: async ({ body }, reply) => {
      const outcome = await createProjectWithKeys(deps.pool, body);
      if (outcome.kind === 'exists') throw new ApiError(409, 'project_exists', `project ${body.projectId} already exists`);
      reply.status(201);
      return { projectId: outcome.project.projectId, writeKeys: outcome.writeKeys };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: { summary: 'Every project the token may read (an analyst token: those granted to it): id and name', response: responses({ 200: 'projects' }) },
    handler: async ({ identity }) => {
      const readable = await readableProjects(deps.pool, identity);
      const projects = (await listProjects(deps.pool)).filter((p) => readable === null || readable.has(p.projectId));
      return { projects: projects.map((p) => ({ projectId: p.projectId, name: p.name })) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "A project's settings",
      params: pathParams('p'),
      response: responses({ 200: 'the project', 404: 'no such project' }),
    },
    handler: async ({ params }) => {
      // An analyst token not granted the project was answered 404 before this (api/auth.ts).
      const project = await getProject(deps.pool, params.p as string);
      if (!project) throw notFound(`project ${params.p}`);
      return { projectId: project.projectId, name: project.name, ...project.settings };
    },
  });

  app.route({
    method: 'PATCH',
    url: '/api/projects/:p',
    config: { roles: ['admin', 'operator'] },
    schema: {
      summary: "Change a project's settings; new channels get write keys, shown once",
      params: pathParams('p'),
      body: patchProjectSchema,
      response: responses({ 200: 'updated', 400: 'invalid settings', 404: 'no such project', 409: 'a running canary tries these rules' }),
    },
    handler: async ({ params, body }) => {
      const result = await updateProjectSettings(deps.pool, params.p as string, body);
      if (result.kind === 'not_found') throw notFound(`project ${params.p}`);
      if (result.kind === 'canary_running') {
        throw new ApiError(409, 'canary_running', `canary ${result.canaryId} is trying rule changes on project ${params.p}; promote or roll it back before changing ${result.settings.join(', ')}`, {
          canaryId: result.canaryId,
          settings: result.settings,
        });
      }
      return { projectId: result.project.projectId, name: result.project.name, ...result.project.settings, newWriteKeys: result.newWriteKeys };
    },
  });
}
