import { expiryText } from './expiry-text.js';

describe('expiryText', () => {
  const now = new Date('2027-01-02T00:30:00Z');

  it.each([
    ['2027-01-09T00:30:00Z', '9 January 2027 at 00:30 UTC (in 7 days)'],
    ['2027-01-02T05:30:00Z', '2 January 2027 at 05:30 UTC (in 5 hours)'],
    ['2027-01-02T00:50:00Z', '2 January 2027 at 00:50 UTC (in 20 minutes)'],
    ['2027-01-01T00:30:00Z', '1 January 2027 at 00:30 UTC (yesterday)'],
  ])('states %s in UTC with its distance', (at, text) => {
    expect(expiryText(new Date(at), now)).toBe(text);
  });
});
