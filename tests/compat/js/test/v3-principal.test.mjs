// A user's real-name (principal) authentication administered through the v3
// ManagementClient (authing-node-sdk@4.0.1, `v3-wire.md` "Users"):
// `getUserPrincipalAuthenticationInfo` (a page of at most one entry, the number masked) and
// `resetUserPrincipalAuthenticationInfo` (the user may authenticate again, through the v2
// AuthenticationClient, the only SDK that authenticates). Another pool's user is refused;
// resets are audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newEmailUser } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const P = 'principalV3';
const mc = v3(P);
const PERSON = { type: 'P', name: '张三', idCard: '11010519491231002X', bankCard: '6222021234567890' };

async function info(userId, userIdType) {
  return data(await mc.getUserPrincipalAuthenticationInfo({ userId, ...(userIdType ? { userIdType } : {}) }));
}

test('getUserPrincipalAuthenticationInfo: empty before, one masked entry once the user authenticated (by id or email)', async () => {
  const { client: c, user, email } = await newEmailUser(P);
  assert.deepEqual(await info(user.id), { totalCount: 0, list: [] });

  await c.principal.authenticate(PERSON);
  const page = await info(user.id);
  assert.equal(page.totalCount, 1);
  const [e] = page.list;
  assert.equal(e.authenticated, true);
  assert.equal(e.principalType, 'P');
  assert.equal(e.principalName, '张三');
  assert.equal(e.principalCode, '110105********002X');
  assert.ok(!Number.isNaN(Date.parse(e.authenticatedAt)), e.authenticatedAt);
  assert.deepEqual(await info(email, 'email'), page);
});

test('resetUserPrincipalAuthenticationInfo: the user can authenticate again; audited', async () => {
  const { client: c, user, email } = await newEmailUser(P);
  await c.principal.authenticate(PERSON);
  // Verified: a second authentication is refused until the reset.
  await assert.rejects(c.principal.authenticate(PERSON), e => e.code === 2231);

  const r = await mc.resetUserPrincipalAuthenticationInfo({ userId: email, options: { userIdType: 'email' } });
  assert.deepEqual(data(r), { success: true });
  assert.deepEqual(await info(user.id), { totalCount: 0, list: [] });
  assert.equal(await c.principal.detail(), null);

  assert.equal(await c.principal.authenticate(PERSON), true);
  assert.equal((await info(user.id)).totalCount, 1);

  // Resetting a user without an authentication leaves it without one.
  const { user: fresh } = await newEmailUser(P);
  assert.deepEqual(data(await mc.resetUserPrincipalAuthenticationInfo({ userId: fresh.id })), { success: true });

  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'user', operationType: 'delete', pagination: { page: 1, limit: 50 } }));
  assert.ok(logs.list.some(l => l.success && l.eventDetails.includes(user.id)), JSON.stringify(logs.list.slice(0, 3)));
});

test('another pool, unknown users and malformed requests are refused and change nothing', async () => {
  const { client: c, user } = await newEmailUser(P);
  await c.principal.authenticate(PERSON);
  const other = v3('principalOther');
  refused(await other.getUserPrincipalAuthenticationInfo({ userId: user.id }), { statusCode: 404 });
  refused(await other.resetUserPrincipalAuthenticationInfo({ userId: user.id }), { statusCode: 404 });
  assert.equal((await info(user.id)).totalCount, 1, 'still authenticated');

  refused(await mc.getUserPrincipalAuthenticationInfo({ userId: 'no-such-user' }), { statusCode: 404 });
  refused(await mc.getUserPrincipalAuthenticationInfo({ userId: user.id, userIdType: 'nonsense' }));
  refused(await mc.resetUserPrincipalAuthenticationInfo({ userId: '' }));
  refused(await mc.resetUserPrincipalAuthenticationInfo({ userId: user.id, options: { userIdType: 'nonsense' } }));
  assert.equal((await info(user.id)).totalCount, 1, 'still authenticated');
});
