import type { EventType } from '../contracts/envelope';
import { compareSchemaVersions, parseSchemaVersion, type SchemaVersion } from './schema-version';
import type { JsonSchema, SchemaValidator } from './schema-validation';

import { GROUP_KEY, IDENTIFY_KEY } from '../contracts/schemas';

export type SchemaTarget = 'properties' | 'traits';

/** What a key's schema describes: `traits` for identify and group, `properties` for track events. */
export function schemaTargetOf(key: string): SchemaTarget {
  return key === IDENTIFY_KEY || key === GROUP_KEY ? 'traits' : 'properties';
}

/** The registry key an event is checked under, or null when no schema can apply (page, screen, alias). */
export function registryKeyOf(event: { type: EventType; event?: string }): string | null {
  if (event.type === 'track') return event.event ?? null;
  if (event.type === 'identify') return IDENTIFY_KEY;
  if (event.type === 'group') return GROUP_KEY;
  return null;
}

/** One version of one key's schema, compiled. */
export interface RegisteredSchema {
  key: string;
  version: string;
  schema: JsonSchema;
  validate: SchemaValidator;
}

/**
 * A project's schema registry as of one moment: plain data handed to the
 * pure decode step, so ingest, replays, backfills and `schema check` all
 * judge an event the same way.
 */
export interface RegistrySnapshot {
  /** Whether any track event is planned: only then is an unknown track event unplanned. */
  readonly hasTrackPlan: boolean;
  /** The current (highest) version of a key. */
  current(key: string): RegisteredSchema | undefined;
  /** A given version of a key. */
  find(key: string, version: string): RegisteredSchema | undefined;
  /** Every key with a schema. */
  keys(): readonly string[];
}

export const EMPTY_REGISTRY: RegistrySnapshot = {
  hasTrackPlan: false,
  current: () => undefined,
  find: () => undefined,
  keys: () => [],
};

/** Builds a snapshot from every version of every key of one project. Pure. */
export function buildRegistrySnapshot(entries: readonly RegisteredSchema[]): RegistrySnapshot {
  if (entries.length === 0) return EMPTY_REGISTRY;
  const byKey = new Map<string, { current: RegisteredSchema; currentVersion: SchemaVersion; versions: Map<string, RegisteredSchema> }>();
  for (const entry of entries) {
    const version = parseSchemaVersion(entry.version);
    if (!version) continue;
    const slot = byKey.get(entry.key);
    if (!slot) {
      byKey.set(entry.key, { current: entry, currentVersion: version, versions: new Map([[entry.version, entry]]) });
      continue;
    }
    slot.versions.set(entry.version, entry);
    if (compareSchemaVersions(version, slot.currentVersion) > 0) {
      slot.current = entry;
      slot.currentVersion = version;
    }
  }
  const keys = [...byKey.keys()].sort();
  return {
    hasTrackPlan: keys.some((k) => schemaTargetOf(k) === 'properties'),
    current: (key) => byKey.get(key)?.current,
    find: (key, version) => byKey.get(key)?.versions.get(version),
    keys: () => keys,
  };
}
