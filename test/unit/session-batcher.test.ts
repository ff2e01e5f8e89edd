import { describe, expect, it } from 'vitest';
import { SessionBatcher, type BatcherLimits, type Group } from '../../ingest/session-batcher';

const LIMITS: BatcherLimits = { lingerMs: 250, maxEvents: 3, maxBytes: 1_000 };
const T0 = 1_000_000;

interface Add {
  key: string;
  item: string;
  bytes: number;
  at: number;
}

function batcherWith(adds: Add[], limits: BatcherLimits = LIMITS): SessionBatcher<string> {
  const batcher = new SessionBatcher<string>(limits);
  for (const a of adds) batcher.add(a.key, a.item, a.bytes, a.at);
  return batcher;
}

/** A readable summary of groups: key → items. */
const summary = (groups: Group<string>[]): Record<string, string[]> => Object.fromEntries(groups.map((g) => [g.key, g.items]));

describe('SessionBatcher', () => {
  describe('add and size', () => {
    it.each([
      { label: 'empty', adds: [] as Add[], size: 0 },
      { label: 'one item', adds: [{ key: 'a', item: 'a1', bytes: 10, at: T0 }], size: 1 },
      {
        label: 'items across keys',
        adds: [
          { key: 'a', item: 'a1', bytes: 10, at: T0 },
          { key: 'b', item: 'b1', bytes: 10, at: T0 },
          { key: 'a', item: 'a2', bytes: 10, at: T0 + 1 },
        ],
        size: 3,
      },
    ])('$label → size $size', ({ adds, size }) => {
      expect(batcherWith(adds).size).toBe(size);
    });

    it('groups items by key in arrival order, summing bytes, stamped with the first arrival', () => {
      const batcher = batcherWith([
        { key: 'a', item: 'a1', bytes: 10, at: T0 },
        { key: 'b', item: 'b1', bytes: 20, at: T0 + 5 },
        { key: 'a', item: 'a2', bytes: 30, at: T0 + 10 },
      ]);
      expect(batcher.takeAll()).toEqual([
        { key: 'a', items: ['a1', 'a2'], bytes: 40, firstAtMs: T0 },
        { key: 'b', items: ['b1'], bytes: 20, firstAtMs: T0 + 5 },
      ]);
    });
  });

  describe('takeDue: linger', () => {
    it.each([
      { label: 'just added', now: T0, due: {} },
      { label: '1 ms before the linger ends', now: T0 + 249, due: {} },
      { label: 'exactly at the linger', now: T0 + 250, due: { a: ['a1', 'a2'] } },
      { label: 'long after', now: T0 + 60_000, due: { a: ['a1', 'a2'], b: ['b1'] } },
      { label: 'b lingers from its own first arrival', now: T0 + 299, due: { a: ['a1', 'a2'] } },
      { label: 'b due at its own linger', now: T0 + 300, due: { a: ['a1', 'a2'], b: ['b1'] } },
      { label: 'clock went backwards', now: T0 - 10_000, due: {} },
    ])('$label', ({ now, due }) => {
      const batcher = batcherWith([
        { key: 'a', item: 'a1', bytes: 1, at: T0 },
        { key: 'b', item: 'b1', bytes: 1, at: T0 + 50 },
        { key: 'a', item: 'a2', bytes: 1, at: T0 + 240 },
      ]);
      expect(summary(batcher.takeDue(now))).toEqual(due);
    });

    it('a later item does not extend the group’s linger', () => {
      const batcher = batcherWith([
        { key: 'a', item: 'a1', bytes: 1, at: T0 },
        { key: 'a', item: 'a2', bytes: 1, at: T0 + 249 },
      ]);
      expect(summary(batcher.takeDue(T0 + 250))).toEqual({ a: ['a1', 'a2'] });
    });

    it('a taken group is gone: the next add starts a new group with a new linger', () => {
      const batcher = batcherWith([{ key: 'a', item: 'a1', bytes: 1, at: T0 }]);
      expect(batcher.takeDue(T0 + 250)).toHaveLength(1);
      expect(batcher.takeDue(T0 + 250)).toEqual([]);
      batcher.add('a', 'a2', 1, T0 + 300);
      expect(batcher.takeDue(T0 + 549)).toEqual([]);
      expect(batcher.takeDue(T0 + 550)).toEqual([{ key: 'a', items: ['a2'], bytes: 1, firstAtMs: T0 + 300 }]);
    });
  });

  describe('takeDue: max events and max bytes', () => {
    it.each([
      { label: 'below both limits', items: 2, bytesEach: 100, due: false },
      { label: 'max events reached', items: 3, bytesEach: 1, due: true },
      { label: 'max bytes reached exactly', items: 2, bytesEach: 500, due: true },
      { label: 'one byte below max bytes', items: 1, bytesEach: 999, due: false },
      { label: 'one item over max bytes', items: 1, bytesEach: 5_000, due: true },
      { label: 'zero-byte items below max events', items: 2, bytesEach: 0, due: false },
    ])('$label → due now: $due', ({ items, bytesEach, due }) => {
      const batcher = new SessionBatcher<string>(LIMITS);
      for (let i = 0; i < items; i += 1) batcher.add('a', `a${i}`, bytesEach, T0);
      const taken = batcher.takeDue(T0);
      expect(taken.length).toBe(due ? 1 : 0);
      expect(batcher.size).toBe(due ? 0 : items);
    });

    it('a full group is taken without touching groups that are not due', () => {
      const batcher = batcherWith([
        { key: 'full', item: 'f1', bytes: 1, at: T0 },
        { key: 'quiet', item: 'q1', bytes: 1, at: T0 },
        { key: 'full', item: 'f2', bytes: 1, at: T0 },
        { key: 'full', item: 'f3', bytes: 1, at: T0 },
        { key: 'heavy', item: 'h1', bytes: 1_000, at: T0 },
      ]);
      expect(summary(batcher.takeDue(T0 + 1))).toEqual({ full: ['f1', 'f2', 'f3'], heavy: ['h1'] });
      expect(batcher.size).toBe(1);
      expect(summary(batcher.takeAll())).toEqual({ quiet: ['q1'] });
    });

    it('a group never grows past max events: more items start the next group, in order, nothing lost', () => {
      const batcher = new SessionBatcher<number>({ lingerMs: 1_000, maxEvents: 2, maxBytes: 1_000_000 });
      for (let i = 0; i < 5; i += 1) batcher.add('k', i, 1, T0);
      expect(batcher.takeDue(T0)).toEqual([
        { key: 'k', items: [0, 1], bytes: 2, firstAtMs: T0 },
        { key: 'k', items: [2, 3], bytes: 2, firstAtMs: T0 },
      ]);
      expect(batcher.size).toBe(1);
      expect(batcher.nextDueInMs(T0)).toBe(1_000);
      expect(batcher.takeDue(T0 + 1_000)).toEqual([{ key: 'k', items: [4], bytes: 1, firstAtMs: T0 }]);
      expect(batcher.size).toBe(0);
    });

    it('a full group is due at once even before its linger ends', () => {
      const batcher = new SessionBatcher<number>({ lingerMs: 1_000, maxEvents: 2, maxBytes: 1_000_000 });
      batcher.add('k', 1, 1, T0);
      batcher.add('k', 2, 1, T0);
      expect(batcher.nextDueInMs(T0)).toBe(0);
    });
  });

  describe('takeAll', () => {
    it.each([
      { label: 'empty', adds: [] as Add[], expected: {} },
      {
        label: 'groups not yet due are taken too',
        adds: [
          { key: 'a', item: 'a1', bytes: 1, at: T0 },
          { key: 'b', item: 'b1', bytes: 1, at: T0 },
        ],
        expected: { a: ['a1'], b: ['b1'] },
      },
    ])('$label', ({ adds, expected }) => {
      const batcher = batcherWith(adds);
      expect(summary(batcher.takeAll())).toEqual(expected);
      expect(batcher.size).toBe(0);
      expect(batcher.takeAll()).toEqual([]);
      expect(batcher.nextDueInMs(T0)).toBeNull();
    });
  });

  describe('nextDueInMs', () => {
    it('is null when empty', () => {
      expect(new SessionBatcher<string>(LIMITS).nextDueInMs(T0)).toBeNull();
    });

    it.each([
      { label: 'right after the first add', now: T0, expected: 250 },
      { label: 'partway through', now: T0 + 100, expected: 150 },
      { label: 'at the oldest group’s linger', now: T0 + 250, expected: 0 },
      { label: 'overdue is 0, never negative', now: T0 + 10_000, expected: 0 },
      { label: 'before the first add (clock skew)', now: T0 - 50, expected: 300 },
    ])('$label → $expected', ({ now, expected }) => {
      const batcher = batcherWith([
        { key: 'old', item: 'o1', bytes: 1, at: T0 },
        { key: 'new', item: 'n1', bytes: 1, at: T0 + 200 },
      ]);
      expect(batcher.nextDueInMs(now)).toBe(expected);
    });

    it('follows the next oldest group once the oldest is taken', () => {
      const batcher = batcherWith([
        { key: 'old', item: 'o1', bytes: 1, at: T0 },
        { key: 'new', item: 'n1', bytes: 1, at: T0 + 200 },
      ]);
      batcher.takeDue(T0 + 250);
      expect(batcher.nextDueInMs(T0 + 250)).toBe(200);
    });

    it('agrees with takeDue on linger: when it says 0, takeDue returns the group', () => {
      const batcher = batcherWith([{ key: 'a', item: 'a1', bytes: 1, at: T0 }]);
      const wait = batcher.nextDueInMs(T0) as number;
      expect(batcher.takeDue(T0 + wait - 1)).toEqual([]);
      expect(batcher.nextDueInMs(T0 + wait)).toBe(0);
      expect(batcher.takeDue(T0 + wait)).toHaveLength(1);
    });
  });

  it('size stays consistent through a mix of adds and takes', () => {
    const batcher = new SessionBatcher<string>(LIMITS);
    batcher.add('a', 'a1', 1, T0);
    batcher.add('b', 'b1', 1, T0 + 100);
    batcher.add('a', 'a2', 1, T0 + 100);
    expect(batcher.size).toBe(3);
    batcher.takeDue(T0 + 250);
    expect(batcher.size).toBe(1);
    batcher.add('a', 'a3', 1, T0 + 260);
    expect(batcher.size).toBe(2);
    batcher.takeAll();
    expect(batcher.size).toBe(0);
  });
});
