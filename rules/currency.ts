import { ISO_4217_CODES } from './currency-codes';
import type { PlanViolation } from './tracking-plan';

/** Amount fields of the Segment e-commerce spec that a `currency` property prices. */
export const AMOUNT_FIELDS = ['revenue', 'value', 'price', 'total', 'subtotal', 'tax', 'shipping', 'discount'] as const;

export interface CurrencyOutcome {
  /** Whether the event has a currency at all (only then is the step recorded in lineage). */
  applies: boolean;
  /** The properties with `currency` upper-cased; the input object when nothing changed. */
  properties: Record<string, unknown>;
  violations: PlanViolation[];
}

/**
 * Normalizes and checks the money of an event's properties. Pure.
 * - `currency` is trimmed and upper-cased ("eur " → "EUR");
 * - it must then be an ISO 4217 code (`invalid_currency`);
 * - amounts beside it must be finite numbers: "12.50" as text is an `invalid_amount`.
 * An absent or null `currency` leaves the event alone.
 */
export function normalizeCurrency(properties: Record<string, unknown>): CurrencyOutcome {
  const raw = properties.currency;
  if (!Object.hasOwn(properties, 'currency') || raw === null || raw === undefined) return { applies: false, properties, violations: [] };
  const violations: PlanViolation[] = [];
  let out = properties;
  if (typeof raw === 'string') {
    const code = raw.trim().toUpperCase();
    if (code !== raw) out = { ...properties, currency: code };
    if (!ISO_4217_CODES.has(code)) {
      violations.push({ kind: 'invalid_currency', path: 'properties.currency', detail: code.slice(0, 16), message: `"${raw}" is not an ISO 4217 currency code` });
    }
  } else {
    violations.push({ kind: 'invalid_currency', path: 'properties.currency', detail: typeof raw, message: `currency must be an ISO 4217 code as a string, not ${JSON.stringify(raw)?.slice(0, 40)}` });
  }
  for (const field of AMOUNT_FIELDS) {
    if (!Object.hasOwn(properties, field)) continue;
    const amount = properties[field];
    if (amount === null || (typeof amount === 'number' && Number.isFinite(amount))) continue;
    violations.push({
      kind: 'invalid_amount',
      path: `properties.${field}`,
      detail: field,
      message: `${field} is priced in ${typeof raw === 'string' ? raw.trim().toUpperCase() : 'a currency'} and must be a number, not ${JSON.stringify(amount)?.slice(0, 40)}`,
    });
  }
  return { applies: true, properties: out, violations };
}
