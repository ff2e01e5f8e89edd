import { describe, expect, it } from 'vitest';
import { NAMING_CONVENTIONS, type NamingConvention } from '../../contracts/naming';
import { checkEventName } from '../../rules/naming';

describe('NAMING_CONVENTIONS', () => {
  it('lists the contract’s conventions', () => {
    expect([...NAMING_CONVENTIONS]).toEqual(['object_action_title', 'snake_case', 'any']);
  });
});

describe('checkEventName', () => {
  describe('object_action_title', () => {
    it.each([
      { name: 'Order Completed' },
      { name: 'Product List Viewed' },
      { name: 'Checkout Step 2 Completed' },
      { name: 'Video Playback Started' },
      { name: 'ORDER COMPLETED' },
      { name: 'IOS Opened' },
      { name: '3D Model Rotated' },
      { name: 'A B' },
      { name: 'Page Viewed2' },
      { name: 'SKU Added' },
    ])('accepts "$name"', ({ name }) => {
      expect(checkEventName(name, 'object_action_title')).toEqual({ ok: true });
    });

    it.each([
      { label: 'one word', name: 'Purchase' },
      { label: 'lower-case action', name: 'Order completed' },
      { label: 'lower-case object', name: 'order Completed' },
      { label: 'snake_case', name: 'order_completed' },
      { label: 'camelCase', name: 'orderCompleted' },
      { label: 'kebab-case', name: 'Order-Completed' },
      { label: 'double space', name: 'Order  Completed' },
      { label: 'leading space', name: ' Order Completed' },
      { label: 'trailing space', name: 'Order Completed ' },
      { label: 'trailing newline', name: 'Order Completed\n' },
      { label: 'tab between words', name: 'Order\tCompleted' },
      { label: 'punctuation', name: 'Order Completed!' },
      { label: 'dot-separated', name: 'Order.Completed' },
      { label: 'accented capital', name: 'Émission Terminée' },
      { label: 'empty', name: '' },
      { label: 'blank', name: '   ' },
      { label: 'lower-case first letter in a middle word', name: 'Checkout step Completed' },
    ])('refuses $label: "$name"', ({ name }) => {
      expect(checkEventName(name, 'object_action_title')).toEqual({
        ok: false,
        rule: 'object_action_title',
        message: `"${name}" does not follow object_action_title (e.g. "Order Completed")`,
      });
    });
  });

  describe('snake_case', () => {
    it.each([
      { name: 'order_completed' },
      { name: 'order' },
      { name: 'checkout_step_2_completed' },
      { name: 'order2_completed' },
      { name: 'a' },
      { name: 'page_viewed_v2' },
    ])('accepts "$name"', ({ name }) => {
      expect(checkEventName(name, 'snake_case')).toEqual({ ok: true });
    });

    it.each([
      { label: 'title case', name: 'Order Completed' },
      { label: 'upper-case letter', name: 'Order_completed' },
      { label: 'all caps', name: 'ORDER_COMPLETED' },
      { label: 'double underscore', name: 'order__completed' },
      { label: 'leading underscore', name: '_order_completed' },
      { label: 'trailing underscore', name: 'order_completed_' },
      { label: 'leading digit', name: '2fa_enabled' },
      { label: 'hyphen', name: 'order-completed' },
      { label: 'space', name: 'order completed' },
      { label: 'dot', name: 'order.completed' },
      { label: 'camelCase', name: 'orderCompleted' },
      { label: 'trailing newline', name: 'order_completed\n' },
      { label: 'accented letter', name: 'commande_validée' },
      { label: 'empty', name: '' },
    ])('refuses $label: "$name"', ({ name }) => {
      expect(checkEventName(name, 'snake_case')).toEqual({
        ok: false,
        rule: 'snake_case',
        message: `"${name}" does not follow snake_case (e.g. "order_completed")`,
      });
    });
  });

  describe('any', () => {
    it.each([
      { name: 'Order Completed' },
      { name: 'order_completed' },
      { name: 'orderCompleted' },
      { name: ' ' },
      { name: '\n' },
      { name: 'ünïcödé 東京 😀' },
      { name: '!@#$%^&*()' },
      { name: 'x'.repeat(200) },
    ])('accepts "$name"', ({ name }) => {
      expect(checkEventName(name, 'any')).toEqual({ ok: true });
    });

    it('refuses only the empty name', () => {
      expect(checkEventName('', 'any')).toEqual({ ok: false, rule: 'any', message: '"" does not follow any (e.g. "anything")' });
    });
  });

  describe('the same name under each convention', () => {
    it.each([
      { name: 'Order Completed', object_action_title: true, snake_case: false, any: true },
      { name: 'order_completed', object_action_title: false, snake_case: true, any: true },
      { name: 'order', object_action_title: false, snake_case: true, any: true },
      { name: 'Order', object_action_title: false, snake_case: false, any: true },
      { name: 'orderCompleted', object_action_title: false, snake_case: false, any: true },
    ])('"$name"', (row) => {
      for (const convention of NAMING_CONVENTIONS) {
        expect({ convention, ok: checkEventName(row.name, convention).ok }).toEqual({ convention, ok: row[convention as NamingConvention] });
      }
    });
  });

  it('a message quotes the offending name verbatim', () => {
    const result = checkEventName('weird "quoted" name', 'snake_case');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message.startsWith('"weird "quoted" name" does not follow snake_case')).toBe(true);
  });
});
