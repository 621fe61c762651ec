// v3 audit logs through authing-node-sdk@4.0.1: an administrator's change through v3 or v2
// appears in getAdminAuditLogs (who, from where, what, success), and a user's registration
// and login through the v2 AuthenticationClient in getUserActionLogs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, mgmt, pool, uniqueEmail, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Audit';
const mc = v3(P);

test('admin changes through v3 and v2 are recorded, refused ones as not made', async () => {
  const start = Date.now() - 1000;
  const email = uniqueEmail('aud');
  const u = data(await mc.createUser({ email, password: 'passw0rd!' }));
  refused(await mc.createUser({ email }), { statusCode: 409 });
  await mgmt(P).users.create({ username: uniqueUsername('audv2') });
  data(await mc.deleteUsersBatch({ userIds: [u.userId] }));
  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'user', start, pagination: { page: 1, limit: 50 } }));
  const mine = logs.list.filter(r => r.eventDetails.includes(u.userId));
  const ops = mine.map(r => r.operationType).sort();
  assert.deepEqual(ops, ['create', 'delete'], JSON.stringify(logs.list));
  for (const r of mine) {
    assert.equal(r.success, true);
    assert.equal(r.clientIp, '127.0.0.1');
    assert.match(r.userAgent, /Node|axios|Authing/i);
    assert.equal(r.adminUserId, 'access-key');
    assert.doesNotMatch(JSON.stringify(r), /passw0rd/);
  }
  const failed = data(await mc.getAdminAuditLogs({ success: false, operationType: 'create', start, pagination: { page: 1, limit: 50 } }));
  assert.ok(failed.totalCount >= 1, 'the duplicate create is recorded as not made');
  assert.ok(failed.list.every(r => r.success === false && r.operationType === 'create'));
  const v2made = data(await mc.getAdminAuditLogs({ operationType: 'create', start, pagination: { page: 1, limit: 50 } }));
  assert.ok(v2made.list.some(r => r.adminUserId === 'management-token'), 'the v2 creation is there too');
});

test('user actions: a v2 registration and login are listed, filtered by user and event', async () => {
  const auth = client(P);
  const username = uniqueUsername('act');
  const user = await auth.registerByUsername(username, 'passw0rd!');
  await auth.loginByUsername(username, 'passw0rd!');
  const all = data(await mc.getUserActionLogs({ userId: user.id, pagination: { page: 1, limit: 10 } }));
  const events = all.list.map(a => a.eventType).sort();
  assert.deepEqual(events, ['login', 'register']);
  assert.ok(all.list.every(a => a.userId === user.id && a.userDisplayName === username));
  const logins = data(await mc.getUserActionLogs({ userId: user.id, eventType: 'login' }));
  assert.equal(logins.totalCount, 1);
  assert.equal(logins.list[0].appId, pool(P).appId);
});

test('bad input: unknown enum values, absurd pagination, reversed time range', async () => {
  refused(await mc.getAdminAuditLogs({ operationType: 'explode' }), { statusCode: 400 });
  refused(await mc.getAdminAuditLogs({ resourceType: 'planet' }), { statusCode: 400 });
  refused(await mc.getUserActionLogs({ eventType: 'dance' }), { statusCode: 400 });
  refused(await mc.getAdminAuditLogs({ pagination: { page: 1, limit: 1e9 } }), { statusCode: 400 });
  refused(await mc.getUserActionLogs({ start: 2000, end: 1000 }), { statusCode: 400 });
  // Another pool's records are not listed here.
  const other = v3('v3Sign');
  const theirs = data(await other.createUser({ username: uniqueUsername('other') }));
  const here = data(await mc.getAdminAuditLogs({ pagination: { page: 1, limit: 50 } }));
  assert.ok(!here.list.some(r => r.eventDetails.includes(theirs.userId)));
});
