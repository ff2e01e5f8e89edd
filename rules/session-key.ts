import type { SessionHosting } from '../contracts/hosting';
import { isLinkableId } from './identifiers';

export interface DeviceIds {
  anonymousId?: string;
  userId?: string;
}

/**
 * The device an event came from: its anonymousId when that is a real id, else
 * its userId, else whatever id it carried (so placeholder ids still land in a
 * workflow, just not one shared with real devices). Pure.
 */
export function deviceKey(ids: DeviceIds): string {
  if (isLinkableId(ids.anonymousId)) return `a:${ids.anonymousId}`;
  if (isLinkableId(ids.userId)) return `u:${ids.userId}`;
  if (ids.anonymousId !== undefined && ids.anonymousId.trim() !== '') return `a:${ids.anonymousId}`;
  return `u:${ids.userId ?? ''}`;
}

/** `session:<projectId>:<channel>:<anonymousId or userId>`: the actor that owns one device session. */
export function sessionWorkflowId(projectId: string, channel: string, key: string): string {
  return `session:${projectId}:${channel}:${key.slice(2)}`;
}


export interface DeviceRoute {
  projectId: string;
  channel: string;
  deviceKey: string;
  /** The project's `sessionHosts`. */
  hosts: number;
  hosting: SessionHosting;
}

/**
 * The workflow that hosts a device's actor: `sessions:<projectId>:<n>` with n
 * picked by a stable hash of channel and device key, or `device:<projectId>:<channel>:<id>`
 * when each device has its own workflow. Pure.
 */
export function hostWorkflowId(route: DeviceRoute): string {
  if (route.hosting === 'per-device') return `device:${route.projectId}:${route.channel}:${route.deviceKey.slice(2)}`;
  return `sessions:${route.projectId}:${hostIndex(route.channel, route.deviceKey, route.hosts)}`;
}

/** 0 ≤ n < hosts, the same on every process and release: FNV-1a over `<channel>\n<deviceKey>`. */
export function hostIndex(channel: string, key: string, hosts: number): number {
  const count = Number.isInteger(hosts) && hosts > 0 ? hosts : 1;
  let hash = 0x811c9dc5;
  const text = `${channel}\n${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** The project a host or device workflow id belongs to, or null for other ids. */
export function hostedProjectOf(workflowId: string): string | null {
  const match = /^(?:sessions|device):([^:]+):/.exec(workflowId);
  return match ? (match[1] as string) : null;
}
