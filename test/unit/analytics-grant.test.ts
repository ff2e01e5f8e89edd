import { describe, expect, it } from 'vitest';
import { analystRoleProblem } from '../../rules/analyst-role';

describe('analystRoleProblem', () => {
  it.each([
    ['analyst_acme', null],
    ['_team', null],
    ['a', null],
    ['x'.repeat(63), null],
    ['team_2026', null],
  ])('accepts %j', (name, problem) => {
    expect(analystRoleProblem(name)).toBe(problem);
  });

  it.each([
    ['', /1–63 characters/],
    ['x'.repeat(64), /1–63 characters/],
    ['Analyst', /lower-case/],
    ['2fast', /not starting with a digit/],
    ['team-a', /lower-case letters, digits and _/],
    ['team a', /lower-case letters, digits and _/],
    ['a"; DROP ROLE braid_analyst; --', /lower-case letters, digits and _/],
    ['pg_read_all_data', /reserved by Postgres/],
    ['braid_analyst', /group roles/],
    ['braid_operator', /group roles/],
    ['braid_ingest', /group roles/],
    ['public', /reserved role name/],
    ['current_user', /reserved role name/],
    ['session_user', /reserved role name/],
  ])('refuses %j', (name, problem) => {
    expect(analystRoleProblem(name)).toMatch(problem);
  });
});
