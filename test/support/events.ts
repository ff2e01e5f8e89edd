import { randomBytes } from 'node:crypto';

let counter = 0;

/** A unique messageId for tests. */
export function msgId(label = 'm'): string {
  counter += 1;
  return `${label}-${randomBytes(4).toString('hex')}-${counter}`;
}

type Fields = Record<string, unknown>;

export function track(fields: Fields = {}): Fields {
  return { type: 'track', messageId: msgId('track'), anonymousId: 'anon-1', event: 'Button Clicked', properties: {}, ...fields };
}

export function page(fields: Fields = {}): Fields {
  return { type: 'page', messageId: msgId('page'), anonymousId: 'anon-1', name: 'Home', ...fields };
}

export function identify(fields: Fields = {}): Fields {
  return { type: 'identify', messageId: msgId('identify'), anonymousId: 'anon-1', userId: 'user-1', traits: {}, ...fields };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
