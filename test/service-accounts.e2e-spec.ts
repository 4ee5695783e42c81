import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient, type GoRulesClient } from './kit/gorules-client.js';
import { waitForMailQueueIdle } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

interface Problem {
  detail: string;
  errors?: { path: string; message: string }[];
}

describe('POST /api/users/service (createServiceAccount, GoRules-exact)', () => {
  let t: TestApp;
  let owner: Member;
  let client: GoRulesClient;

  beforeAll(async () => {
    // A real SMTP peer and the mail worker: a service account must never get an email.
    t = await createTestApp({ mailbox: true });
    owner = await seedMember(t.dataSource, {
      email: 'owner@service.test',
      organisationName: 'Service Org',
    });
    client = gorulesClient(t.url, await authHeader(owner));
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: { email: string; type?: 'admin' | 'member' }, as = client) =>
    as.POST('/api/users/service', { body });

  it('creates an active service account, a member unless asked for an admin', async () => {
    const member = await create({ email: '  CI-Bot@Service.test ' });
    expect(member.response.status).toBe(200);
    expect(member.data).toMatchObject({
      email: 'ci-bot@service.test',
      type: 'member',
      status: 'active',
      isService: true,
      firstName: null,
      lastName: null,
      roles: [],
    });
    const admin = await create({ email: 'deploy-bot@service.test', type: 'admin' });
    expect(admin.data).toMatchObject({ type: 'admin', isService: true });

    const [row] = await t.dataSource.query<{ is_service: boolean }[]>(
      `SELECT is_service FROM users WHERE id = $1`,
      [member.data!.id],
    );
    expect(row.is_service).toBe(true);

    const audit = await t.dataSource.query<unknown[]>(
      `SELECT actor_id, type, action, ref_id, data FROM audit_log
        WHERE organisation_id = $1 AND action = 'user.service_account_created' ORDER BY created_at`,
      [owner.organisationId],
    );
    expect(audit).toEqual([
      {
        actor_id: owner.userId,
        type: 'user',
        action: 'user.service_account_created',
        ref_id: member.data!.id,
        data: { email: 'ci-bot@service.test', type: 'member' },
      },
      {
        actor_id: owner.userId,
        type: 'user',
        action: 'user.service_account_created',
        ref_id: admin.data!.id,
        data: { email: 'deploy-bot@service.test', type: 'admin' },
      },
    ]);
  });

  it('is never invited: inviting its address is refused and nothing is created or emailed', async () => {
    const bot = await create({ email: 'never-invited@service.test' });
    expect(bot.response.status).toBe(200);
    const invite = await client.POST('/api/users', {
      body: { emails: ['someone@service.test', 'never-invited@service.test'] },
    });
    expect(invite.response.status).toBe(409);
    expect((invite.error as unknown as Problem).detail).toBe(
      'Service accounts cannot be invited: never-invited@service.test',
    );
    const invitations = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM invitations
        WHERE email IN ('someone@service.test', 'never-invited@service.test')`,
    );
    expect(invitations[0].n).toBe(0);
    // Nor sent one: there is no invitation of its to send.
    const resend = await client.POST('/api/users/{userId}/invitation', {
      params: { path: { userId: bot.data!.id } },
    });
    expect(resend.response.status).toBe(404);
    await waitForMailQueueIdle(t.dataSource);
    expect(t.mailbox!.messagesTo('never-invited@service.test')).toEqual([]);
  });

  it('needs an address no user has: a person, an invitee or another service account', async () => {
    await seedMember(t.dataSource, {
      email: 'person@elsewhere.test',
      organisationName: 'Elsewhere',
    });
    const invited = await client.POST('/api/users', { body: { emails: ['pending@service.test'] } });
    expect(invited.response.status).toBe(200);
    await create({ email: 'twice@service.test' });
    for (const email of ['person@elsewhere.test', 'PENDING@service.test', 'twice@service.test']) {
      const taken = await create({ email });
      expect(taken.response.status).toBe(409);
      expect((taken.error as unknown as Problem).detail).toBe(
        `${email.toLowerCase()} belongs to a user already; a service account needs an address of its own`,
      );
    }
    // The invitee stays an invitee, not a service account.
    const [row] = await t.dataSource.query<{ is_service: boolean }[]>(
      `SELECT is_service FROM users WHERE email = 'pending@service.test'`,
    );
    expect(row.is_service).toBe(false);
  });

  it('refuses bad bodies with a 400 naming the field', async () => {
    const cases: [object, string][] = [
      [{}, 'email'],
      [{ email: 'not-an-address' }, 'email'],
      [{ email: `${'a'.repeat(250)}@x.test` }, 'email'],
      [{ email: 'ok@service.test', type: 'owner' }, 'type'],
      [{ email: 'ok@service.test', type: 'invited' }, 'type'],
    ];
    for (const [body, field] of cases) {
      const res = await client.POST('/api/users/service', { body: body as never });
      expect(res.response.status).toBe(400);
      expect((res.error as unknown as Problem).errors?.map((e) => e.path)).toContain(field);
    }
  });

  it('keeps a service account an admin or a member', async () => {
    const bot = await create({ email: 'typed-bot@service.test' });
    const update = (type: 'admin' | 'owner' | 'author') =>
      client.PUT('/api/users/{userId}', {
        params: { path: { userId: bot.data!.id } },
        body: { type },
      });
    expect((await update('admin')).data).toMatchObject({ type: 'admin', isService: true });
    for (const type of ['owner', 'author'] as const) {
      const refused = await update(type);
      expect(refused.response.status).toBe(400);
      expect((refused.error as unknown as Problem).errors).toEqual([
        { path: 'type', message: 'a service account is an admin or a member' },
      ]);
    }
  });

  it('lets only owners and admins create one', async () => {
    const member = await seedMember(t.dataSource, {
      email: 'member@service.test',
      organisationId: owner.organisationId,
      type: 'member',
    });
    const refused = await create(
      { email: 'by-member@service.test' },
      gorulesClient(t.url, await authHeader(member)),
    );
    expect(refused.response.status).toBe(403);
    const admin = await seedMember(t.dataSource, {
      email: 'admin@service.test',
      organisationId: owner.organisationId,
      type: 'admin',
    });
    const made = await create(
      { email: 'by-admin@service.test' },
      gorulesClient(t.url, await authHeader(admin)),
    );
    expect(made.response.status).toBe(200);
    expect((await create({ email: 'x@service.test' }, gorulesClient(t.url))).response.status).toBe(
      401,
    );
  });
});
