/**
 * Accumulates each session's events across fetches for a bounded linger, so
 * one signal carries many events even when a fetch holds one event per
 * session. A group is due when it is old enough, large enough, or heavy
 * enough. Pure: time is passed in.
 */
export interface BatcherLimits {
  lingerMs: number;
  maxEvents: number;
  maxBytes: number;
}

export interface Group<T> {
  key: string;
  items: T[];
  bytes: number;
  firstAtMs: number;
}

export class SessionBatcher<T> {
  private readonly groups = new Map<string, Group<T>>();
  /** Groups that reached a bound: handed out by the next takeDue, whatever their age. */
  private sealed: Group<T>[] = [];
  private itemCount = 0;

  constructor(private readonly limits: BatcherLimits) {}

  add(key: string, item: T, bytes: number, nowMs: number): void {
    let group = this.groups.get(key);
    if (!group) {
      group = { key, items: [], bytes: 0, firstAtMs: nowMs };
      this.groups.set(key, group);
    }
    group.items.push(item);
    group.bytes += bytes;
    this.itemCount += 1;
    if (group.items.length >= this.limits.maxEvents || group.bytes >= this.limits.maxBytes) {
      this.groups.delete(key);
      this.sealed.push(group);
    }
  }

  /**
   * Removes and returns the groups that are due at `nowMs`: the sealed ones
   * (full), then those that have lingered long enough, oldest first. Groups of
   * one key come out in the order they filled, so a session's events stay in order.
   */
  takeDue(nowMs: number): Group<T>[] {
    const due = this.sealed;
    this.sealed = [];
    for (const group of this.groups.values()) {
      if (nowMs - group.firstAtMs >= this.limits.lingerMs) due.push(group);
    }
    for (const group of due) this.remove(group);
    return due;
  }

  takeAll(): Group<T>[] {
    const all = [...this.sealed, ...this.groups.values()];
    this.sealed = [];
    for (const group of all) this.remove(group);
    return all;
  }

  /** Milliseconds until the oldest group is due (0 when one is full), or null when empty. */
  nextDueInMs(nowMs: number): number | null {
    if (this.sealed.length > 0) return 0;
    let soonest: number | null = null;
    for (const group of this.groups.values()) {
      const wait = Math.max(0, group.firstAtMs + this.limits.lingerMs - nowMs);
      soonest = soonest === null ? wait : Math.min(soonest, wait);
    }
    return soonest;
  }

  get size(): number {
    return this.itemCount;
  }

  private remove(group: Group<T>): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    this.itemCount -= group.items.length;
  }
}
