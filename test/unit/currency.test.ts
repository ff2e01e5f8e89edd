import { describe, expect, it } from 'vitest';
import { normalizeCurrency } from '../../rules/currency';
import { ISO_4217_CODES } from '../../rules/currency-codes';

describe('normalizeCurrency', () => {
  it.each([
    { label: 'no currency', props: { total: 1 }, applies: false, currency: undefined, violations: [] },
    { label: 'null currency', props: { currency: null, total: 'x' }, applies: false, currency: null, violations: [] },
    { label: 'an upper-case code', props: { currency: 'EUR', revenue: 10 }, applies: true, currency: 'EUR', violations: [] },
    { label: 'a lower-case code', props: { currency: 'eur', revenue: 10 }, applies: true, currency: 'EUR', violations: [] },
    { label: 'padding', props: { currency: ' usd ', value: 1.5 }, applies: true, currency: 'USD', violations: [] },
    { label: 'mixed case', props: { currency: 'JpY', price: 100 }, applies: true, currency: 'JPY', violations: [] },
    { label: 'a recently withdrawn code', props: { currency: 'hrk', total: 3 }, applies: true, currency: 'HRK', violations: [] },
    { label: 'an unknown code', props: { currency: 'XYZ', total: 1 }, applies: true, currency: 'XYZ', violations: ['invalid_currency:XYZ'] },
    { label: 'a symbol', props: { currency: '$', total: 1 }, applies: true, currency: '$', violations: ['invalid_currency:$'] },
    { label: 'a name', props: { currency: 'euro', total: 1 }, applies: true, currency: 'EURO', violations: ['invalid_currency:EURO'] },
    { label: 'the "no currency" code', props: { currency: 'XXX', total: 1 }, applies: true, currency: 'XXX', violations: ['invalid_currency:XXX'] },
    { label: 'an empty string', props: { currency: '', total: 1 }, applies: true, currency: '', violations: ['invalid_currency:'] },
    { label: 'a number', props: { currency: 978, total: 1 }, applies: true, currency: 978, violations: ['invalid_currency:number'] },
    { label: 'an amount as text', props: { currency: 'EUR', revenue: '12.50' }, applies: true, currency: 'EUR', violations: ['invalid_amount:revenue'] },
    { label: 'several bad amounts', props: { currency: 'EUR', price: null, tax: 'x', shipping: Infinity, discount: {} }, applies: true, currency: 'EUR', violations: ['invalid_amount:tax', 'invalid_amount:shipping', 'invalid_amount:discount'] },
    { label: 'a bad code and a bad amount', props: { currency: 'EU', total: [1] }, applies: true, currency: 'EU', violations: ['invalid_currency:EU', 'invalid_amount:total'] },
    { label: 'unrelated text fields stay unchecked', props: { currency: 'EUR', orderId: 'o-1', coupon: 'SAVE10' }, applies: true, currency: 'EUR', violations: [] },
  ])('$label', ({ props, applies, currency, violations }) => {
    const out = normalizeCurrency(props as Record<string, unknown>);
    expect(out.applies).toBe(applies);
    expect(out.properties.currency).toBe(currency);
    expect(out.violations.map((v) => `${v.kind}:${v.detail}`)).toEqual(violations);
  });

  it('never changes the input object, and returns it as is when nothing changes', () => {
    const input = { currency: 'eur', total: 1 };
    const out = normalizeCurrency(input);
    expect(input.currency).toBe('eur');
    expect(out.properties).toEqual({ currency: 'EUR', total: 1 });
    const same = { currency: 'EUR', total: 1 };
    expect(normalizeCurrency(same).properties).toBe(same);
  });

  it('knows the common codes and only three-letter upper-case codes', () => {
    for (const code of ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CNY', 'INR', 'BRL', 'XAF', 'XAU', 'VES', 'ZWG', 'SLE']) expect(ISO_4217_CODES.has(code)).toBe(true);
    for (const code of ISO_4217_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect(ISO_4217_CODES.has('XTS')).toBe(false);
  });
});
