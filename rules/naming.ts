import type { NamingConvention } from '../contracts/naming';

const RULES: Record<NamingConvention, { pattern: RegExp; example: string }> = {
  // "Order Completed", "Product List Viewed", "Checkout Step 2 Completed"
  object_action_title: { pattern: /^[A-Z0-9][A-Za-z0-9]*( [A-Z0-9][A-Za-z0-9]*)+$/, example: 'Order Completed' },
  snake_case: { pattern: /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, example: 'order_completed' },
  any: { pattern: /^[\s\S]+$/, example: 'anything' },
};

export type NamingCheck = { ok: true } | { ok: false; rule: NamingConvention; message: string };

/** Whether a track event's name follows the project's convention. Pure. */
export function checkEventName(name: string, convention: NamingConvention): NamingCheck {
  const rule = RULES[convention];
  if (rule.pattern.test(name)) return { ok: true };
  return { ok: false, rule: convention, message: `"${name}" does not follow ${convention} (e.g. "${rule.example}")` };
}
