/**
 * Schema versions as MODEL-REVISION-ADDITION ("1-0-0", "2-1-3"), after
 * SchemaVer: a new MODEL may reject events the previous one accepted; a
 * REVISION loosens existing rules; an ADDITION plans something new (an
 * optional property, an enum value) or changes annotations only. Pure.
 */
export interface SchemaVersion {
  model: number;
  revision: number;
  addition: number;
}

export type ChangeKind = 'model' | 'revision' | 'addition';

export const SCHEMA_VERSION_PATTERN = /^([1-9]\d{0,5})-(0|[1-9]\d{0,5})-(0|[1-9]\d{0,5})$/;

export function parseSchemaVersion(text: string): SchemaVersion | null {
  const m = SCHEMA_VERSION_PATTERN.exec(text);
  if (!m) return null;
  return { model: Number(m[1]), revision: Number(m[2]), addition: Number(m[3]) };
}

export function formatSchemaVersion(v: SchemaVersion): string {
  return `${v.model}-${v.revision}-${v.addition}`;
}

export function compareSchemaVersions(a: SchemaVersion, b: SchemaVersion): number {
  return a.model - b.model || a.revision - b.revision || a.addition - b.addition;
}

/** The version after `v` for a change of this kind. */
export function nextSchemaVersion(v: SchemaVersion, kind: ChangeKind): SchemaVersion {
  if (kind === 'model') return { model: v.model + 1, revision: 0, addition: 0 };
  if (kind === 'revision') return { model: v.model, revision: v.revision + 1, addition: 0 };
  return { model: v.model, revision: v.revision, addition: v.addition + 1 };
}

export const FIRST_SCHEMA_VERSION: SchemaVersion = { model: 1, revision: 0, addition: 0 };
