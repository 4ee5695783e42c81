import { MAX_USER_AGENT_LENGTH } from '../src/audit/request-origin.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** Where an audit entry says a change came from: the client address and its User-Agent. */
describe('the origin an audit entry records', () => {
  let t: TestApp;
  let owner: Member;
  let client: GoRulesClient;
  let n = 0;

  /** Invites one new address with these headers; the entry of that invitation. */
  async function entryOfInvite(headers: Record<string, string>) {
    const email = `origin-${++n}@origin.test`;
    const invited = await client.POST('/api/users', { body: { emails: [email] }, headers });
    expect(invited.response.status).toBe(200);
    const { data } = await client.GET('/api/audit-logs', {
      params: { query: { action: 'invitation.created', perPage: 100 } },
    });
    const entry = data!.results.find((e) => e.refId === invited.data![0].userId);
    expect(entry).toBeDefined();
    const [row] = await t.dataSource.query<{ request_id: string }[]>(
      `SELECT request_id FROM audit_log WHERE id = $1`,
      [entry!.id],
    );
    return {
      ...entry!,
      requestId: row.request_id,
      sentRequestId: invited.response.headers.get('x-request-id'),
    };
  }

  async function start(env: Record<string, string>) {
    t = await createTestApp({ env });
    owner = await seedMember(t.dataSource, { email: 'owner@origin.test' });
    client = gorulesClient(t.url, await authHeader(owner));
  }

  describe('with TRUST_PROXY off (the default)', () => {
    beforeAll(() => start({}));
    afterAll(async () => {
      await t?.close();
    });

    it('is the peer address; X-Forwarded-For is not believed', async () => {
      const entry = await entryOfInvite({ 'X-Forwarded-For': '203.0.113.9' });
      expect(entry.ipAddress).toBe('127.0.0.1');
    });

    it('keeps the User-Agent, cut at its cap, and the request id', async () => {
      const long = 'A'.repeat(MAX_USER_AGENT_LENGTH + 100);
      const entry = await entryOfInvite({ 'User-Agent': long });
      expect(entry.userAgent).toBe(long.slice(0, MAX_USER_AGENT_LENGTH));
      expect(entry.userAgent).toHaveLength(512);
      expect(entry.requestId).toBe(entry.sentRequestId);
      const short = await entryOfInvite({ 'User-Agent': 'curl/8.0' });
      expect(short.userAgent).toBe('curl/8.0');
    });
  });

  describe('with TRUST_PROXY=loopback (behind a proxy on this host)', () => {
    beforeAll(() => start({ TRUST_PROXY: 'loopback' }));
    afterAll(async () => {
      await t?.close();
    });

    it('is the client address the trusted proxy forwarded', async () => {
      const entry = await entryOfInvite({ 'X-Forwarded-For': '203.0.113.9' });
      expect(entry.ipAddress).toBe('203.0.113.9');
    });

    it('is the first untrusted hop, not whatever the client claims before it', async () => {
      // The client said 198.51.100.7; the proxy at 203.0.113.9 (not trusted) passed it on.
      const entry = await entryOfInvite({ 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' });
      expect(entry.ipAddress).toBe('203.0.113.9');
    });
  });
});
