import { z } from 'zod';
import { createProjectSchema, projectSettingsSchema } from '../../contracts/project';
import { createProjectWithKeys, getProject, updateProjectSettings } from '../../db/projects';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import type { RouteTable } from '../route-table';

const patchProjectSchema = projectSettingsSchema
  .partial()
  .extend({ name: z.string().trim().min(1).max(200).optional() })
  .strict();

export function projectRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'POST',
    url: '/api/projects',
    summary: 'Create a project; answers its write keys per channel, shown once',
    roles: ['admin', 'operator'],
    body: createProjectSchema,
    responses: { 201: 'created', 400: 'invalid settings', 409: 'the project exists' },
    handler: async ({ body, reply }) => {
      const outcome = await createProjectWithKeys(deps.pool, body);
      if (outcome.kind === 'exists') throw new ApiError(409, 'project_exists', `project ${body.projectId} already exists`);
      reply.status(201);
      return { projectId: outcome.project.projectId, writeKeys: outcome.writeKeys };
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/projects/:p',
    summary: "A project's settings",
    roles: ['admin', 'operator', 'analyst'],
    responses: { 200: 'the project', 404: 'no such project' },
    handler: async ({ params }) => {
      const project = await getProject(deps.pool, params.p as string);
      if (!project) throw notFound(`project ${params.p}`);
      return { projectId: project.projectId, name: project.name, ...project.settings };
    },
  });

  routes.add({
    method: 'PATCH',
    url: '/api/projects/:p',
    summary: "Change a project's settings; new channels get write keys, shown once",
    roles: ['admin', 'operator'],
    body: patchProjectSchema,
    responses: { 200: 'updated', 400: 'invalid settings', 404: 'no such project' },
    handler: async ({ params, body }) => {
      const result = await updateProjectSettings(deps.pool, params.p as string, body);
      if (!result) throw notFound(`project ${params.p}`);
      return { projectId: result.project.projectId, name: result.project.name, ...result.project.settings, newWriteKeys: result.newWriteKeys };
    },
  });
}
