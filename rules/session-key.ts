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
