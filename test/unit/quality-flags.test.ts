import { describe, expect, it } from 'vitest';
import { qualityFlags, type QualityHour } from '../../rules/quality-flags';

const fine: QualityHour = {
  volume: 120,
  nullUserIdShare: 0.4,
  nullAnonymousIdShare: 0,
  schemaViolations: 0,
  unplannedEvents: 0,
  unplannedProperties: 0,
  namingViolations: 0,
  currencyViolations: 0,
  blocked: 0,
  expectedVolume: 118.5,
  volumeAnomaly: null,
};

describe('quality flags: why an hour is worth a look', () => {
  it.each<[string, Partial<QualityHour>, string[]]>([
    ['a fine hour', {}, []],
    ['a drop', { volume: 10, volumeAnomaly: 'drop' }, ['volume_drop']],
    ['a spike', { volume: 900, volumeAnomaly: 'spike' }, ['volume_spike']],
    ['no expectation yet (new event)', { expectedVolume: null }, []],
    ['most events without any id', { nullUserIdShare: 0.9, nullAnonymousIdShare: 0.6 }, ['no_identity']],
    ['only userId missing (anonymous traffic)', { nullUserIdShare: 1, nullAnonymousIdShare: 0 }, []],
    ['no volume, null shares unknown', { volume: 0, nullUserIdShare: null, nullAnonymousIdShare: null, blocked: 3 }, ['blocked']],
    ['schema violations', { schemaViolations: 1 }, ['schema_violations']],
    ['a property mostly missing', { propertyNullShares: { coupon: 0.8, plan: 0.1 } }, ['property_nulls']],
    ['a property missing in under half', { propertyNullShares: { coupon: 0.49 } }, []],
    ['too few events to judge a property', { volume: 9, propertyNullShares: { coupon: 0.9 } }, []],
    ['no property figures', { propertyNullShares: null }, []],
    ['unplanned properties only', { unplannedProperties: 4 }, ['unplanned']],
    ['naming and currency', { namingViolations: 2, currencyViolations: 1 }, ['naming', 'currency']],
    ['everything at once', { volume: 1, volumeAnomaly: 'drop', nullUserIdShare: 1, nullAnonymousIdShare: 1, schemaViolations: 1, unplannedEvents: 1, namingViolations: 1, currencyViolations: 1, blocked: 1 }, ['volume_drop', 'no_identity', 'schema_violations', 'unplanned', 'naming', 'currency', 'blocked']],
  ])('%s', (_name, change, kinds) => {
    expect(qualityFlags({ ...fine, ...change }).map((f) => f.kind)).toEqual(kinds);
  });

  it('names the emptiest properties first, three at most', () => {
    const [flag] = qualityFlags({ ...fine, propertyNullShares: { a: 0.5, b: 0.9, c: 0.75, d: 0.6, e: 0.2 } });
    expect(flag?.why).toBe('missing or null: properties.b in 90 %, properties.c in 75 %, properties.d in 60 % and 1 more of the events');
  });

  it('says why with the figures behind it', () => {
    const [drop] = qualityFlags({ ...fine, volume: 10, expectedVolume: 118.46, volumeAnomaly: 'drop' });
    expect(drop?.why).toBe('10 events where about 118.5 were expected (the median of this hour on the 7 days before): under half');
    expect(qualityFlags({ ...fine, schemaViolations: 1 })[0]?.why).toBe('1 event broke the event\'s registered schema');
    expect(qualityFlags({ ...fine, nullUserIdShare: 0.75, nullAnonymousIdShare: 0.5 })[0]?.why).toBe('75 % without userId and 50 % without anonymousId');
  });
});
