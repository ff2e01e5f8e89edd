import { describe, expect, it } from 'vitest';
import { decidePush, type PushDecision, type StoredVersion } from '../../rules/schema-push';
import { compareSchemaVersions, nextSchemaVersion, parseSchemaVersion } from '../../rules/schema-version';

const v1 = { type: 'object', properties: { orderId: { type: 'string' }, total: { type: 'number' } }, required: ['orderId'] };
const stored: StoredVersion[] = [{ version: '1-0-0', schema: v1 }];
const withCoupon = { ...v1, properties: { ...v1.properties, coupon: { type: 'string' } } };
const totalOptionalWidened = { ...v1, properties: { ...v1.properties, total: { type: ['number', 'string'] } } };
const totalRemoved = { ...v1, properties: { orderId: { type: 'string' } } };

function refused(d: PushDecision) {
  if (d.kind !== 'refuse') throw new Error(`expected a refusal, got ${JSON.stringify(d)}`);
  return d;
}
function accepted(d: PushDecision) {
  if (d.kind !== 'accept') throw new Error(`expected an accepted push, got ${JSON.stringify(d)}`);
  return d;
}

describe('decidePush', () => {
  it.each([
    { label: 'not an object', schema: 'a string', message: /JSON Schema is an object/ },
    { label: 'an unknown type name', schema: { properties: { total: { type: 'numbr' } } }, message: /allowed values/ },
    { label: 'a misspelt keyword', schema: { requried: ['orderId'] }, message: /unknown keyword: "requried"/ },
    { label: 'a broken regex', schema: { properties: { code: { type: 'string', pattern: '([a-z' } } }, message: /Invalid regular expression/ },
    { label: 'an unresolvable $ref', schema: { properties: { a: { $ref: '#/definitions/missing' } } }, message: /can't resolve reference/ },
    { label: 'required is not a list', schema: { required: 'orderId' }, message: /must be array/ },
  ])('refuses an invalid JSON Schema ($label) with the schema error', ({ schema, message }) => {
    const d = refused(decidePush({ key: 'Order Completed', schema }, stored));
    expect(d).toMatchObject({ status: 400, code: 'invalid_schema' });
    expect(d.message).toMatch(message);
    expect(d.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]));
  });

  it.each([
    { label: 'a first version', schema: { type: 'string' }, stored: [] },
    { label: 'a new MODEL', schema: false, stored, newModel: true },
    { label: 'a revision', schema: { enum: ['x'] }, stored },
  ])('refuses a schema that makes every event invalid ($label) as incompatible', ({ schema, stored: s, newModel }) => {
    expect(refused(decidePush({ key: 'Order Completed', schema, newModel }, s))).toMatchObject({ status: 409, code: 'incompatible_schema' });
  });

  it('a first push is 1-0-0 (or the version given), with a summary', () => {
    expect(accepted(decidePush({ key: 'Order Completed', schema: v1 }, []))).toMatchObject({ version: '1-0-0', previousVersion: null, change: 'initial', summary: 'first version: 2 properties (1 required)' });
    expect(accepted(decidePush({ key: 'Order Completed', schema: v1, version: '3-1-0' }, []))).toMatchObject({ version: '3-1-0', change: 'initial' });
    expect(accepted(decidePush({ key: '$identify', schema: { properties: { email: { type: 'string' } } } }, []))).toMatchObject({ summary: 'first version: 1 trait' });
  });

  it('the same schema again changes nothing (CI may push on every build)', () => {
    expect(decidePush({ key: 'Order Completed', schema: structuredClone(v1) }, stored)).toEqual({ kind: 'unchanged', version: '1-0-0' });
    expect(decidePush({ key: 'Order Completed', schema: v1, version: '1-0-0' }, stored)).toEqual({ kind: 'unchanged', version: '1-0-0' });
  });

  it.each([
    { label: 'a new optional property', schema: withCoupon, version: '1-0-1', change: 'addition' },
    { label: 'a widened type', schema: totalOptionalWidened, version: '1-1-0', change: 'revision' },
    { label: 'a required property made optional', schema: { ...v1, required: [] }, version: '1-1-0', change: 'revision' },
  ])('accepts a compatible change ($label) as $version', ({ schema, version, change }) => {
    const d = accepted(decidePush({ key: 'Order Completed', schema }, stored));
    expect(d).toMatchObject({ version, previousVersion: '1-0-0', change });
    expect(d.summary.length).toBeGreaterThan(0);
    // Naming the right version explicitly is accepted as well.
    expect(accepted(decidePush({ key: 'Order Completed', schema, version }, stored)).version).toBe(version);
  });

  it.each([
    { label: 'a removed property', schema: totalRemoved, rule: 'property_removed' },
    { label: 'a new required property', schema: { ...withCoupon, required: ['orderId', 'coupon'] }, rule: 'required_added' },
    { label: 'a narrowed type', schema: { ...v1, properties: { ...v1.properties, total: { type: 'integer' } } }, rule: 'type_narrowed' },
  ])('refuses an incompatible change ($label) unless it is a new MODEL', ({ schema, rule }) => {
    const refusal = refused(decidePush({ key: 'Order Completed', schema }, stored));
    expect(refusal).toMatchObject({ status: 409, code: 'incompatible_schema' });
    expect(refusal.message).toContain('2-0-0');
    expect(refusal.details).toEqual([expect.objectContaining({ rule })]);
    // Declared as the next MODEL, either way, it is accepted.
    expect(accepted(decidePush({ key: 'Order Completed', schema, newModel: true }, stored))).toMatchObject({ version: '2-0-0', change: 'model' });
    expect(accepted(decidePush({ key: 'Order Completed', schema, version: '2-0-0' }, stored))).toMatchObject({ version: '2-0-0', change: 'model' });
    // …but a REVISION or ADDITION number does not make it compatible.
    expect(refused(decidePush({ key: 'Order Completed', schema, version: '1-1-0' }, stored)).code).toBe('incompatible_schema');
  });

  it.each([
    { label: 'a malformed version', request: { schema: withCoupon, version: '1.1.0' }, status: 400, code: 'invalid_version' },
    { label: 'MODEL 0', request: { schema: withCoupon, version: '0-1-0' }, status: 400, code: 'invalid_version' },
    { label: 'a skipped MODEL', request: { schema: totalRemoved, version: '3-0-0' }, status: 409, code: 'invalid_version' },
    { label: 'a MODEL that does not start at -0-0', request: { schema: totalRemoved, version: '2-1-0' }, status: 409, code: 'invalid_version' },
    { label: 'a REVISION number for an ADDITION', request: { schema: withCoupon, version: '1-1-0' }, status: 409, code: 'invalid_version' },
    { label: 'an existing version with another schema', request: { schema: withCoupon, version: '1-0-0' }, status: 409, code: 'version_exists' },
    { label: 'a new version with no change', request: { schema: v1, version: '1-0-1' }, status: 409, code: 'invalid_version' },
  ])('refuses $label', ({ request, status, code }) => {
    expect(refused(decidePush({ key: 'Order Completed', ...request }, stored))).toMatchObject({ status, code });
  });

  it('compares with the highest stored version, whatever order they come in', () => {
    const history: StoredVersion[] = [
      { version: '1-0-1', schema: withCoupon },
      { version: '2-0-0', schema: totalRemoved },
      { version: '1-0-0', schema: v1 },
    ];
    // Compared with 2-0-0 (no total), adding total back is an addition, and re-adding nothing is unchanged.
    expect(accepted(decidePush({ key: 'Order Completed', schema: v1 }, history))).toMatchObject({ version: '2-0-1', previousVersion: '2-0-0', change: 'addition' });
    expect(decidePush({ key: 'Order Completed', schema: totalRemoved }, history)).toEqual({ kind: 'unchanged', version: '2-0-0' });
  });
});

describe('schema versions', () => {
  it.each([
    { text: '1-0-0', parsed: { model: 1, revision: 0, addition: 0 } },
    { text: '12-3-45', parsed: { model: 12, revision: 3, addition: 45 } },
    { text: '0-0-1', parsed: null },
    { text: '1-00-0', parsed: null },
    { text: '1-0', parsed: null },
    { text: '1.0.0', parsed: null },
    { text: ' 1-0-0', parsed: null },
    { text: '-1-0-0', parsed: null },
    { text: '', parsed: null },
  ])('parse "$text"', ({ text, parsed }) => {
    expect(parseSchemaVersion(text)).toEqual(parsed);
  });

  it('orders and bumps', () => {
    const v = (t: string) => parseSchemaVersion(t)!;
    expect(compareSchemaVersions(v('1-10-0'), v('1-9-9'))).toBeGreaterThan(0);
    expect(compareSchemaVersions(v('2-0-0'), v('1-99-99'))).toBeGreaterThan(0);
    expect(nextSchemaVersion(v('1-2-3'), 'addition')).toEqual(v('1-2-4'));
    expect(nextSchemaVersion(v('1-2-3'), 'revision')).toEqual(v('1-3-0'));
    expect(nextSchemaVersion(v('1-2-3'), 'model')).toEqual(v('2-0-0'));
  });
});
