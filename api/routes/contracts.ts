import { CONSUMER_PATTERN, contractImpactBody, putContractBody } from '../../contracts/consumer-contracts';
import { currentSchemas, deleteContract, getContract, listContracts, putContract } from '../../db/consumer-contracts';
import { breaksOfChange, contractBreaks } from '../../rules/consumer-contracts';
import type { JsonSchema } from '../../rules/schema-validation';
import { requireProject } from '../require-project';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { pathParams, responses, type ApiApp } from '../typed-routes';

const EVERYONE = ['admin', 'operator', 'analyst'] as const;

function requireConsumer(name: string): string {
  if (!CONSUMER_PATTERN.test(name)) throw new ApiError(400, 'invalid_consumer', `consumer: ${JSON.stringify(name)} does not match ${CONSUMER_PATTERN.source}`);
  return name;
}

/**
 * Consumer contracts (contract section 6): what each consumer reads, whether
 * the registry still serves it, and which consumers a proposed schema would
 * break. Schema pushes consult them (api/routes/schemas.ts).
 */
export function contractRoutes(app: ApiApp, deps: ApiDeps): void {
  app.route({
    method: 'PUT',
    url: '/api/projects/:p/contracts/:consumer',
    config: { roles: EVERYONE },
    schema: {
      summary: 'Register (or replace) what a consumer reads: events and properties with their types. Answers what the registry does not serve of it today (`breaks`)',
      params: pathParams('p', 'consumer'),
      body: putContractBody,
      response: responses({ 200: 'replaced', 201: 'registered', 400: 'a bad consumer name or body', 404: 'no such project' }),
    },
    handler: async ({ params, body, identity }, reply) => {
      const project = await requireProject(deps.pool, params.p as string);
      const consumer = requireConsumer(params.consumer as string);
      const created = await putContract(deps.pool, { projectId: project.projectId, consumer, reads: body.reads, updatedBy: identity?.name ?? null });
      reply.status(created ? 201 : 200);
      return { projectId: project.projectId, consumer, reads: body.reads, breaks: contractBreaks({ consumer, reads: body.reads }, await currentSchemas(deps.pool, project.projectId)) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/contracts',
    config: { roles: EVERYONE },
    schema: { summary: "A project's consumer contracts, each with what the registry does not serve of it", params: pathParams('p'), response: responses({ 200: 'the contracts', 404: 'no such project' }) },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const schemas = await currentSchemas(deps.pool, project.projectId);
      const contracts = await listContracts(deps.pool, project.projectId);
      return { projectId: project.projectId, contracts: contracts.map((c) => ({ ...c, breaks: contractBreaks(c, schemas) })) };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/projects/:p/contracts/:consumer',
    config: { roles: EVERYONE },
    schema: {
      summary: "One consumer's contract and what the registry does not serve of it (empty `breaks`: verified)",
      params: pathParams('p', 'consumer'),
      response: responses({ 200: 'the contract', 404: 'no such project or consumer' }),
    },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const contract = await getContract(deps.pool, project.projectId, requireConsumer(params.consumer as string));
      if (!contract) throw notFound(`a contract of consumer ${params.consumer as string}`);
      return { ...contract, breaks: contractBreaks(contract, await currentSchemas(deps.pool, project.projectId)) };
    },
  });

  app.route({
    method: 'DELETE',
    url: '/api/projects/:p/contracts/:consumer',
    config: { roles: ['admin', 'operator'] },
    schema: { summary: "Forget a consumer's contract", params: pathParams('p', 'consumer'), response: responses({ 200: 'forgotten', 404: 'no such project or consumer' }) },
    handler: async ({ params }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const consumer = requireConsumer(params.consumer as string);
      if (!(await deleteContract(deps.pool, project.projectId, consumer))) throw notFound(`a contract of consumer ${consumer}`);
      return { projectId: project.projectId, consumer, deleted: true };
    },
  });

  app.route({
    method: 'POST',
    url: '/api/projects/:p/contracts/impact',
    config: { roles: EVERYONE },
    schema: {
      summary: "Which registered consumers a proposed schema for an event would break (a producer's CI: `braid schema check --proposed`); nothing is written",
      params: pathParams('p'),
      body: contractImpactBody,
      response: responses({ 200: 'the breaks, by consumer', 400: 'a bad body', 404: 'no such project' }),
    },
    handler: async ({ params, body }) => {
      const project = await requireProject(deps.pool, params.p as string);
      const breaks = await consumerBreaks(deps, project.projectId, body.event, body.schema as JsonSchema);
      return { projectId: project.projectId, event: body.event, consumers: [...new Set(breaks.map((b) => b.consumer))], breaks };
    },
  });
}

/** What pushing `schema` for `event` would break of the project's registered consumers. */
export async function consumerBreaks(deps: ApiDeps, projectId: string, event: string, schema: JsonSchema) {
  return breaksOfChange(await listContracts(deps.pool, projectId), await currentSchemas(deps.pool, projectId), event, schema);
}
