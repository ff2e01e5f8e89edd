/** Sandbox replays write to a schema of their own; its name and creation live with the tables (db/sandbox.ts). */
export { createSandbox, sandboxSchema } from '../../db/sandbox';
