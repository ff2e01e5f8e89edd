import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { checkRoles } from './auth';
import { collectorRoutes } from './collector/routes';
import type { ApiDeps } from './deps';
import { errorBody, handleError } from './errors';
import { registerOpenApi } from './openapi';
import { requestTelemetry } from './request-telemetry';
import { auditOperatorActions } from './audit';
import { consentRoutes } from './routes/consent';
import { canaryRoutes } from './routes/canaries';
import { contractRoutes } from './routes/contracts';
import { analysisRoutes } from './routes/analysis';
import { auditRoutes } from './routes/audit';
import { writeKeyRoutes } from './routes/write-keys';
import { consoleRoutes } from './routes/console';
import { deviceRoutes } from './routes/devices';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { operationRoutes } from './routes/operations';
import { personRoutes } from './routes/persons';
import { projectRoutes } from './routes/projects';
import { schemaRoutes } from './routes/schemas';
import { tokenRoutes } from './routes/tokens';
import { validatorCompiler } from './typed-routes';

/** The operator API and the HTTP collector (`/v1/*`): fastify with braid's routes and error shape. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  // fastify logs through braid's pino logger: a child per request (reqId), one
  // line when it arrives and one when it is answered, at info; the collector
  // and the probes log at warn, so traffic and scrapes do not flood the log.
  // Event names (up to 200 characters) travel in schema URLs.
  const logger: FastifyBaseLogger = deps.log;
  const app = Fastify({ loggerInstance: logger, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 512 } }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  requestTelemetry(app);
  auditOperatorActions(app, deps.pool, deps.log);
  registerOpenApi(app);
  app.register(async (api) => {
    checkRoles(api, deps.pool);
    healthRoutes(api, deps);
    metricsRoutes(api, deps);
    projectRoutes(api, deps);
    tokenRoutes(api, deps);
    operationRoutes(api, deps);
    personRoutes(api, deps);
    schemaRoutes(api, deps);
    contractRoutes(api, deps);
    canaryRoutes(api, deps);
    consentRoutes(api, deps);
    deviceRoutes(api, deps);
    consoleRoutes(api, deps);
    analysisRoutes(api, deps);
    auditRoutes(api, deps);
    writeKeyRoutes(api, deps);
  });
  collectorRoutes(app, deps);
  return app;
}
