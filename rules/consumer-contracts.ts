import type { ConsumerContract, PropertyType } from '../contracts/consumer-contracts';
import type { JsonSchema } from './schema-validation';

export type { ConsumerContract, ContractRead, PropertyType } from '../contracts/consumer-contracts';

/**
 * Consumer contracts: what a consumer (a dashboard, a view, an export, a
 * team) reads of a project's events, and whether the schema registry still
 * serves it. A producer's change that would break a registered consumer is
 * refused unless forced; a consumer's CI verifies its contract. Pure.
 */

export type ContractBreakReason = 'event_not_in_registry' | 'property_not_declared' | 'property_type_changed';

export interface ContractBreak {
  consumer: string;
  event: string;
  property: string | null;
  reason: ContractBreakReason;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON types a schema node allows, or null when it does not restrict them (`true`, `{}`, no `type`). */
function allowedTypes(node: unknown): string[] | null {
  if (node === true || (isObj(node) && node.type === undefined)) return null;
  if (!isObj(node)) return [];
  return Array.isArray(node.type) ? node.type.filter((t): t is string => typeof t === 'string') : typeof node.type === 'string' ? [node.type] : [];
}

/**
 * Whether values a schema allows can be read as `wanted`: every non-null type
 * the schema allows must be one the consumer can read (`integer` reads as
 * `number`; `null` is the absence consumers already handle). An unrestricted
 * schema promises nothing.
 */
export function servesType(node: unknown, wanted: PropertyType): boolean {
  const types = allowedTypes(node);
  if (types === null) return false;
  const readable = wanted === 'number' ? ['number', 'integer'] : [wanted];
  const nonNull = types.filter((t) => t !== 'null');
  return nonNull.length > 0 && nonNull.every((t) => readable.includes(t));
}

/**
 * What `schemas` (event → its current properties schema) fails to serve of
 * a contract: an event without a schema, a property the schema does not
 * declare, a property whose declared type the consumer cannot read.
 */
export function contractBreaks(contract: ConsumerContract, schemas: ReadonlyMap<string, JsonSchema>): ContractBreak[] {
  const out: ContractBreak[] = [];
  for (const read of contract.reads) {
    const schema = schemas.get(read.event);
    if (schema === undefined) {
      out.push({ consumer: contract.consumer, event: read.event, property: null, reason: 'event_not_in_registry', message: `no schema for "${read.event}" in the registry` });
      continue;
    }
    const declared = isObj(schema) && isObj(schema.properties) ? schema.properties : {};
    for (const [property, wanted] of Object.entries(read.properties)) {
      if (!(property in declared)) {
        out.push({ consumer: contract.consumer, event: read.event, property, reason: 'property_not_declared', message: `"${read.event}" does not declare "${property}"` });
      } else if (!servesType(declared[property], wanted)) {
        const types = allowedTypes(declared[property]);
        out.push({
          consumer: contract.consumer,
          event: read.event,
          property,
          reason: 'property_type_changed',
          message: `"${read.event}".${property} is ${types === null ? 'of any type' : types.join(' | ') || 'never valid'}, not readable as ${wanted}`,
        });
      }
    }
  }
  return out;
}

/**
 * What a proposed schema for one event would break, among the contracts that
 * read it and are served today: only breaks the change introduces count (a
 * contract already broken is its consumer's business, not this producer's).
 */
export function breaksOfChange(contracts: readonly ConsumerContract[], current: ReadonlyMap<string, JsonSchema>, event: string, proposed: JsonSchema): ContractBreak[] {
  const next = new Map(current);
  next.set(event, proposed);
  const key = (b: ContractBreak) => `${b.consumer}\u0000${b.event}\u0000${b.property ?? ''}\u0000${b.reason}`;
  const out: ContractBreak[] = [];
  for (const contract of contracts) {
    if (!contract.reads.some((r) => r.event === event)) continue;
    const before = new Set(contractBreaks(contract, current).map(key));
    out.push(...contractBreaks(contract, next).filter((b) => b.event === event && !before.has(key(b))));
  }
  return out;
}
