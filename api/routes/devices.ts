import { describeDevice } from '../../db/devices';
import { getProject } from '../../db/projects';
import { DEFAULT_SESSION_HOSTS } from '../../contracts/hosting';
import { hostWorkflowId } from '../../rules/session-key';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

export function deviceRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'GET',
    url: '/api/projects/:p/devices/:channel/:deviceId',
    config: { roles: ['admin', 'operator', 'analyst'] },
    schema: {
      summary: "A device's actor: its host workflow, held and pending events, written/duplicates/suppressed counts, its current session",
      params: pathParams('p', 'channel', 'deviceId'),
      response: responses({ 200: 'the device', 404: 'no such project, or nothing known of the device' }),
    },
    handler: async ({ params }) => {
      const projectId = params.p as string;
      const channel = params.channel as string;
      const deviceId = params.deviceId as string;
      const project = await getProject(deps.pool, projectId);
      if (!project) throw new ApiError(404, 'unknown_project', `project ${projectId} does not exist`);
      const device = await describeDevice(deps.pool, projectId, channel, [`a:${deviceId}`, `u:${deviceId}`]);
      if (!device) throw notFound(`device ${channel}/${deviceId} of project ${projectId}`);
      const hosting = deps.hosting ?? 'hosted';
      const hosts = project.settings.sessionHosts ?? DEFAULT_SESSION_HOSTS;
      const host = hostWorkflowId({ projectId, channel, deviceKey: device.deviceKey, hosts, hosting });
      return { projectId, channel, deviceId, hosting, hostWorkflowId: host, ...device };
    },
  });
}
