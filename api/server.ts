import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiDeps } from './deps';
import { errorBody, handleError } from './errors';
import { RouteTable } from './route-table';
import { collectorRoutes } from './collector/routes';
import { consentRoutes } from './routes/consent';
import { deviceRoutes } from './routes/devices';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { operationRoutes } from './routes/operations';
import { personRoutes } from './routes/persons';
import { projectRoutes } from './routes/projects';
import { schemaRoutes } from './routes/schemas';
import { tokenRoutes } from './routes/tokens';

/** The operator API and the HTTP collector (`/v1/*`): fastify with braid's routes and error shape. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  // Event names (up to 200 characters) travel in schema URLs.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 512 } });
  const routes = new RouteTable();
  healthRoutes(routes, deps);
  metricsRoutes(routes, deps);
  projectRoutes(routes, deps);
  tokenRoutes(routes, deps);
  operationRoutes(routes, deps);
  personRoutes(routes, deps);
  schemaRoutes(routes, deps);
  consentRoutes(routes, deps);
  deviceRoutes(routes, deps);
  routes.register(app, deps.pool);
  collectorRoutes(app, deps);
  const openapi = routes.openapi();
  app.get('/api/openapi.json', async () => openapi);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  return app;
}
