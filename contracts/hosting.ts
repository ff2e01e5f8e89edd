/** How device actors map onto workflows (BRAID_SESSION_HOSTING): many devices per host workflow, or one workflow per device. */
export const SESSION_HOSTINGS = ['hosted', 'per-device'] as const;
export type SessionHosting = (typeof SESSION_HOSTINGS)[number];

/** Host workflows per project when the project does not say (see README, "Session hosts"). */
export const DEFAULT_SESSION_HOSTS = 4;
