import { authHeader, seedMember, type Member } from './kit/auth.js';
import { gorulesClient } from './kit/gorules-client.js';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { until } from './kit/until.js';

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

describe('PUT /api/users/{userId} (updateUser, GoRules-exact)', () => {
  let t: TestApp;
  let org = 0;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A fresh organisation: its owner, an admin, a member, so tests do not share state. */
  async function organisation() {
    org += 1;
    const owner = await seedMember(t.dataSource, {
      email: `owner@org${org}.test`,
      organisationName: `Org ${org}`,
    });
    const add = (name: string, type: 'admin' | 'member' | 'owner' | 'author') =>
      seedMember(t.dataSource, {
        email: `${name}@org${org}.test`,
        organisationId: owner.organisationId,
        type,
      });
    return {
      owner,
      admin: await add('admin', 'admin'),
      member: await add('member', 'member'),
      add,
    };
  }

  /**
   * updateUser through the GoRules client (each answer checked against GoRules' schema); the body
   * is whatever the test sends, wrong values included.
   */
  const put = async (caller: Member, userId: string, body: object) => {
    const { response, data, error } = await gorulesClient(t.url, await authHeader(caller)).PUT(
      '/api/users/{userId}',
      { params: { path: { userId } }, body: body as never },
    );
    return { status: response.status, body: (data ?? error) as unknown, response };
  };

  const updated = async (caller: Member, userId: string, body: object) => {
    const res = await put(caller, userId, body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return res.body as Record<string, unknown>;
  };

  const refused = async (caller: Member, userId: string, body: object, status: number) => {
    const res = await put(caller, userId, body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status });
    return res.body as Problem;
  };

  const role = async (organisationId: string, name: string, description: string | null = null) =>
    (
      await t.dataSource.query<{ id: string }[]>(
        `INSERT INTO roles (organisation_id, name, description) VALUES ($1, $2, $3) RETURNING id`,
        [organisationId, name, description],
      )
    )[0].id;

  /** Backends of this database waiting for a row lock. */
  const waitingOnLocks = async () =>
    (
      await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    )[0].n;

  /** The audit entries of the organisation about its users, oldest first. */
  const auditOf = (organisationId: string) =>
    t.dataSource.query<
      { actor_id: string; type: string; action: string; ref_id: string; data: unknown }[]
    >(
      `SELECT actor_id, type, action, ref_id, data FROM audit_log
        WHERE organisation_id = $1 AND action LIKE 'user.%' ORDER BY created_at, id`,
      [organisationId],
    );

  it('changes names, type, status and roles, and answers the User', async () => {
    const { owner, member } = await organisation();
    const editors = await role(owner.organisationId, 'Editors', 'Edit rules');
    const viewers = await role(owner.organisationId, 'Viewers');
    const user = await updated(owner, member.userId, {
      firstName: '  Grace ',
      lastName: 'Hopper',
      type: 'author',
      status: 'disabled',
      roles: [viewers, editors],
    });
    expect(user).toMatchObject({
      id: member.userId,
      email: member.email,
      firstName: 'Grace',
      lastName: 'Hopper',
      type: 'author',
      status: 'disabled',
      isService: false,
      roles: [
        { id: editors, name: 'Editors', description: 'Edit rules' },
        { id: viewers, name: 'Viewers' },
      ],
    });
    expect(user.updatedAt).not.toBe(user.createdAt);

    // Left out: unchanged. roles replaces the set; an empty name clears it.
    const again = await updated(owner, member.userId, { roles: [viewers], firstName: '' });
    expect(again).toMatchObject({
      firstName: null,
      lastName: 'Hopper',
      type: 'author',
      roles: [{ id: viewers, name: 'Viewers' }],
    });

    // One entry per change, with the changed fields before and after, in the change's transaction.
    expect(await auditOf(owner.organisationId)).toEqual([
      {
        actor_id: owner.userId,
        type: 'user',
        action: 'user.updated',
        ref_id: member.userId,
        data: {
          before: {
            firstName: null,
            lastName: null,
            type: 'member',
            status: 'active',
            roles: [],
          },
          after: {
            firstName: 'Grace',
            lastName: 'Hopper',
            type: 'author',
            status: 'disabled',
            roles: [editors, viewers].sort(),
          },
        },
      },
      {
        actor_id: owner.userId,
        type: 'user',
        action: 'user.updated',
        ref_id: member.userId,
        data: {
          before: { firstName: 'Grace', roles: [editors, viewers].sort() },
          after: { firstName: null, roles: [viewers] },
        },
      },
    ]);
  });

  it('refuses role ids that are not roles of the organisation, naming them, and changes nothing', async () => {
    const { owner, member } = await organisation();
    const ours = await role(owner.organisationId, 'Ours');
    const other = await organisation();
    const theirs = await role(other.owner.organisationId, 'Theirs');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const problem = await refused(
      owner,
      member.userId,
      { roles: [ours, theirs, unknown], firstName: 'Changed' },
      400,
    );
    expect(problem.errors).toEqual([
      { path: 'roles[1]', message: `${theirs} is not a role of this organisation` },
      { path: 'roles[2]', message: `${unknown} is not a role of this organisation` },
    ]);
    const [row] = await t.dataSource.query<{ first_name: string | null }[]>(
      `SELECT first_name FROM users WHERE id = $1`,
      [member.userId],
    );
    expect(row.first_name).toBeNull();
    expect(await auditOf(owner.organisationId)).toEqual([]);
    const bad = await refused(owner, member.userId, { roles: ['not-a-uuid'] }, 400);
    expect(bad.errors?.[0].path).toMatch(/^roles/);
  });

  it('answers 404 for an unknown user and for a user of another organisation', async () => {
    const { owner } = await organisation();
    const other = await organisation();
    await refused(owner, '00000000-0000-4000-8000-000000000000', { firstName: 'X' }, 404);
    const problem = await refused(owner, other.member.userId, { firstName: 'X' }, 404);
    expect(problem.detail).toBe('This organisation has no user with that id');
    await refused(owner, 'not-a-uuid', { firstName: 'X' }, 400);
  });

  it('lets only owners and admins update; admins cannot touch owners nor make one', async () => {
    const { owner, admin, member, add } = await organisation();
    await refused(member, admin.userId, { firstName: 'X' }, 403);
    await updated(admin, member.userId, { type: 'admin' });
    expect((await refused(admin, owner.userId, { firstName: 'X' }, 403)).detail).toBe(
      'Only an owner can change an owner',
    );
    const other = await add('author', 'author');
    expect((await refused(admin, other.userId, { type: 'owner' }, 403)).detail).toBe(
      'Only an owner can make someone an owner',
    );
    await updated(owner, other.userId, { type: 'owner' });
  });

  it('refuses changing your own type, naming type', async () => {
    const { owner, admin } = await organisation();
    await seedMember(t.dataSource, {
      email: `second-owner@org${org}.test`,
      organisationId: owner.organisationId,
      type: 'owner',
    });
    for (const [caller, type] of [
      [owner, 'admin'],
      [admin, 'member'],
    ] as const) {
      const problem = await refused(caller, caller.userId, { type }, 400);
      expect(problem.errors).toEqual([
        { path: 'type', message: 'you cannot change your own type' },
      ]);
    }
    // Names are one's own to change.
    await updated(admin, admin.userId, { firstName: 'Me' });
  });

  it('refuses type invited on a member, and any type change of an invitee', async () => {
    const { owner, member } = await organisation();
    const problem = await refused(owner, member.userId, { type: 'invited' }, 400);
    expect(problem.errors?.[0].path).toBe('type');
    const invited = await gorulesClient(t.url, await authHeader(owner)).POST('/api/users', {
      body: { emails: [`invitee@org${org}.test`] },
    });
    expect(invited.response.status).toBe(200);
    const [{ id }] = await t.dataSource.query<{ id: string }[]>(
      `SELECT id FROM users WHERE email = $1`,
      [`invitee@org${org}.test`],
    );
    const invitee = await refused(owner, id, { type: 'member' }, 400);
    expect(invitee.errors).toEqual([
      { path: 'type', message: 'an invited user becomes a member by accepting the invitation' },
    ]);
  });

  it("never renames a person of another organisation, nor shows an invitee's names", async () => {
    const a = await organisation();
    const b = await organisation();
    // Someone who is a member of B, with the names they use there, is invited to A.
    const person = await b.add('person', 'member');
    await t.dataSource.query(
      `UPDATE users SET first_name = 'Pat', last_name = 'Adminson' WHERE id = $1`,
      [person.userId],
    );
    const clientA = gorulesClient(t.url, await authHeader(a.owner));
    expect(
      (await clientA.POST('/api/users', { body: { emails: [person.email] } })).response.status,
    ).toBe(200);

    // A sees neither name, in its users or its invitations.
    const users = await clientA.GET('/api/users', { params: { query: { search: 'person@' } } });
    expect(users.data!.results).toEqual([
      expect.objectContaining({ id: person.userId, firstName: null, lastName: null }),
    ]);
    // Nor find them by name: 'admin' is in the invitee's last name and in A's admin's address.
    const byPat = await clientA.GET('/api/users', { params: { query: { search: 'Pat' } } });
    expect(byPat.data!.paginate.total).toBe(0);
    const byAdmin = await clientA.GET('/api/users', { params: { query: { search: 'admin' } } });
    expect(byAdmin.data!.results.map((u) => u.id)).toEqual([a.admin.userId]);
    const invitations = await clientA.GET('/api/invitations', { params: { query: {} } });
    const listed = invitations.data!.results.find((i) => i.email === person.email)!;
    expect(listed.user).toMatchObject({ firstName: null, lastName: null });

    // A cannot rename the invitee, nor, once they have joined A too, the person B knows.
    const asInvitee = await refused(a.owner, person.userId, { firstName: 'Mallory' }, 400);
    expect(asInvitee.errors).toEqual([
      { path: 'firstName', message: 'an invitee sets their own name when they join' },
    ]);
    await t.dataSource.query(
      `UPDATE organisation_members SET type = 'member' WHERE organisation_id = $1 AND user_id = $2`,
      [a.owner.organisationId, person.userId],
    );
    const asMember = await refused(a.admin, person.userId, { lastName: 'X', firstName: 'Y' }, 400);
    expect(asMember.errors!.map((e) => e.path).sort()).toEqual(['firstName', 'lastName']);
    const [names] = await t.dataSource.query<{ first_name: string; last_name: string }[]>(
      `SELECT first_name, last_name FROM users WHERE id = $1`,
      [person.userId],
    );
    expect(names).toEqual({ first_name: 'Pat', last_name: 'Adminson' });

    // A member of A alone is A's to name.
    expect(await updated(a.owner, a.member.userId, { firstName: 'Mia' })).toMatchObject({
      firstName: 'Mia',
    });
  });

  it('never demotes, disables or locks the last active owner', async () => {
    const { owner, admin } = await organisation();
    const second = await seedMember(t.dataSource, {
      email: `second-owner@org${org}.test`,
      organisationId: owner.organisationId,
      type: 'owner',
    });
    // A disabled owner is no active owner: it does not count.
    await seedMember(t.dataSource, {
      email: `disabled-owner@org${org}.test`,
      organisationId: owner.organisationId,
      type: 'owner',
      status: 'disabled',
    });
    // With two active owners, either may be demoted; then the other is the last.
    await updated(owner, second.userId, { type: 'admin' });
    for (const body of [{ status: 'disabled' }, { status: 'locked' }]) {
      const problem = await refused(owner, owner.userId, body, 409);
      expect(problem.detail).toBe(
        'The last active owner of an organisation cannot be demoted, disabled or locked',
      );
    }
    // Re-promoted, the second owner may go again, and nothing else was changed meanwhile.
    await updated(owner, second.userId, { type: 'owner' });
    await updated(second, owner.userId, { status: 'locked' });
    await refused(second, second.userId, { status: 'disabled' }, 409);
    // Admins, whatever they send, never touch an owner.
    await refused(admin, second.userId, { status: 'disabled' }, 403);
  });

  it('settles two concurrent demotions of the two owners in the database: exactly one succeeds', async () => {
    for (let round = 0; round < 10; round += 1) {
      const { owner } = await organisation();
      const second = await seedMember(t.dataSource, {
        email: `second-owner@org${org}.test`,
        organisationId: owner.organisationId,
        type: 'owner',
      });
      // Both requests pass the token check while both are owners, then meet in the database:
      // the test holds the owners' rows until both wait on them, so the race happens every round.
      const holder = t.dataSource.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      let results: { status: number }[];
      try {
        await holder.query(
          `SELECT 1 FROM organisation_members WHERE organisation_id = $1 FOR UPDATE`,
          [owner.organisationId],
        );
        const both = Promise.all([
          put(owner, second.userId, { type: 'admin' }),
          put(second, owner.userId, { type: 'admin' }),
        ]);
        await until(async () => (await waitingOnLocks()) === 2, 10_000, 'both updates waiting', 10);
        await holder.rollbackTransaction();
        results = await both;
      } finally {
        await holder.release();
      }
      const [a, b] = results;
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const owners = await t.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM organisation_members
          WHERE organisation_id = $1 AND type = 'owner' AND status = 'active'`,
        [owner.organisationId],
      );
      expect(owners[0].n).toBe(1);
      expect(await auditOf(owner.organisationId)).toHaveLength(1);
    }
  });

  it("refuses a disabled or locked member's token from the next request on; re-enabling lets it in", async () => {
    const { owner, admin } = await organisation();
    const asAdmin = async () => {
      const { response, error } = await gorulesClient(t.url, await authHeader(admin)).GET(
        '/api/users',
      );
      return { status: response.status, body: error as { detail?: string } | undefined };
    };
    expect((await asAdmin()).status).toBe(200);
    for (const status of ['disabled', 'locked']) {
      await updated(owner, admin.userId, { status });
      const res = await asAdmin();
      expect(res.status).toBe(403);
      expect(res.body?.detail).toBe('You are not an active member of this organisation');
      await updated(owner, admin.userId, { status: 'active' });
      expect((await asAdmin()).status).toBe(200);
    }
  });

  it('answers an empty body with the User unchanged', async () => {
    const { owner, member } = await organisation();
    const user = await updated(owner, member.userId, {});
    expect(user).toMatchObject({ id: member.userId, type: 'member', status: 'active' });
    await refused(owner, member.userId, { status: 'gone' }, 400);
    await refused(owner, member.userId, { type: 'superuser' }, 400);
    await refused(owner, member.userId, { firstName: 'x'.repeat(101) }, 400);
    await refused(owner, member.userId, { email: 'new@x.test' }, 400);
    // Nothing changed, nothing refused was written: no audit entry.
    await updated(owner, member.userId, { type: 'member', firstName: '' });
    expect(await auditOf(owner.organisationId)).toEqual([]);
  });
});
