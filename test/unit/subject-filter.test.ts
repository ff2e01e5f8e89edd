import { describe, expect, it } from 'vitest';
import { subjectMatches } from '../../rules/subject-filter';

describe('subjectMatches (which consumers count for a subject)', () => {
  it.each([
    { filter: 'braid.raw.>', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.shop.>', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.other.>', subject: 'braid.raw.shop.web', match: false },
    { filter: 'braid.raw.*.web', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.*.web', subject: 'braid.raw.shop.mobile', match: false },
    { filter: 'braid.raw.shop.web', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.shop', subject: 'braid.raw.shop.web', match: false },
    { filter: 'braid.raw.shop.web.>', subject: 'braid.raw.shop.web', match: false },
    { filter: '>', subject: 'braid', match: true },
    { filter: '*', subject: 'braid.raw', match: false },
    { filter: 'braid.*.*.*', subject: 'braid.raw.shop.web', match: true },
    { filter: 'braid.raw.*', subject: 'braid.raw.shop.web', match: false },
    { filter: 'braid.raw.shop.web', subject: 'braid.raw.shop.webx', match: false },
  ])('$filter vs $subject → $match', ({ filter, subject, match }) => {
    expect(subjectMatches(filter, subject)).toBe(match);
  });
});
