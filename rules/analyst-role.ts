/** braid's group roles (migrations create them); analysts get roles of their own that are members of braid_analyst. */
export const GROUP_ROLES = ['braid_analyst', 'braid_operator', 'braid_ingest'];
const RESERVED_ROLE_NAMES = ['public', 'none', 'current_user', 'current_role', 'session_user'];

/** Why `name` cannot be an analyst role, or null when it can: a plain lower-case Postgres identifier of braid's choosing. */
export function analystRoleProblem(name: string): string | null {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) return 'a role name is 1–63 characters: lower-case letters, digits and _, not starting with a digit';
  if (name.startsWith('pg_')) return 'role names starting with pg_ are reserved by Postgres';
  if (GROUP_ROLES.includes(name)) return `${name} is one of braid's group roles; grant projects to a role of its own (it becomes a member of braid_analyst)`;
  if (RESERVED_ROLE_NAMES.includes(name)) return `${name} is a reserved role name`;
  return null;
}
