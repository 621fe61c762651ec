// Sync relations (上下游同步) made by SCIM provisioning (`/scim/v2`, RFC 7644), read and
// deleted through authing-node-sdk@4.0.1's ManagementClient: `getUserSyncRelations`,
// `deleteUserSyncRelations`, `getDepartmentSyncRelations`, `deleteDepartmentSyncRelations`,
// and `userIdType: 'sync_relation'` / `departmentIdType: 'sync_relation'`
// (`<provider>:<userIdInIdp>`). The upstream is plain `fetch` with the connection's bearer
// token (fixtures.scim); the user is read back through the v2 ManagementClient too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TESSERA_URL, fixtures, mgmt, rand } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const mc = v3('main');
const other = v3('principalV3');
const { token, organizationCode: org, provider } = fixtures.scim;

async function scim(method, path, body) {
  const r = await fetch(`${TESSERA_URL}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function provisionUser() {
  const ext = `00u${rand(10)}`;
  const userName = `scim_${rand(8)}`;
  const r = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    externalId: ext,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [{ value: `${userName}@example.com`, primary: true }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id, ext, userName };
}

test('getUserSyncRelations lists the SCIM link with the user as UserDto; getUser by sync_relation; v2 reads it', async () => {
  const u = await provisionUser();
  const list = data(await mc.getUserSyncRelations({ userId: u.id }));
  assert.equal(list.length, 1);
  assert.equal(list[0].provider, provider);
  assert.equal(list[0].userIdInIdp, u.ext);
  assert.equal(list[0].userInfoInIdp.userId, u.id);
  assert.equal(list[0].userInfoInIdp.username, u.userName);
  assert.equal(list[0].userInfoInIdp.givenName, 'Barbara');

  const byRelation = data(await mc.getUser({ userId: `${provider}:${u.ext}`, userIdType: 'sync_relation' }));
  assert.equal(byRelation.userId, u.id);
  assert.deepEqual(data(await mc.getUserSyncRelations({ userId: `${provider}:${u.ext}`, userIdType: 'sync_relation' })), list);

  const v2 = await mgmt('main').users.detail(u.id);
  assert.equal(v2.username, u.userName);
  assert.equal(v2.email, `${u.userName}@example.com`);

  // Unknown relations, malformed ids, another pool.
  refused(await mc.getUser({ userId: `${provider}:nope`, userIdType: 'sync_relation' }));
  refused(await mc.getUser({ userId: 'no-colon', userIdType: 'sync_relation' }));
  refused(await other.getUserSyncRelations({ userId: u.id }));
  refused(await other.getUser({ userId: `${provider}:${u.ext}`, userIdType: 'sync_relation' }));
});

test('deleteUserSyncRelations unlinks: the user stays, SCIM no longer finds it by externalId', async () => {
  const u = await provisionUser();
  refused(await other.deleteUserSyncRelations({ provider, userId: u.id }));
  refused(await mc.deleteUserSyncRelations({ provider: 'lark', userId: u.id }));
  assert.deepEqual(data(await mc.deleteUserSyncRelations({ provider, userId: u.id })), { success: true });
  assert.deepEqual(data(await mc.getUserSyncRelations({ userId: u.id })), []);
  refused(await mc.deleteUserSyncRelations({ provider, userId: u.id }));
  assert.equal(data(await mc.getUser({ userId: u.id })).userId, u.id, 'the user stays');
  const q = encodeURIComponent(`externalId eq "${u.ext}"`);
  assert.equal((await scim('GET', `/Users?filter=${q}`)).body.totalResults, 0);
  // The next write through the connection links it again, under the id it sends.
  const again = await scim('PATCH', `/Users/${u.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value: { externalId: u.ext } }],
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(data(await mc.getUserSyncRelations({ userId: u.id }))[0].userIdInIdp, u.ext);
  // Deleting the user through SCIM takes its relation.
  assert.equal((await scim('DELETE', `/Users/${u.id}`)).status, 204);
  refused(await mc.getUser({ userId: `${provider}:${u.ext}`, userIdType: 'sync_relation' }));
});

test('getDepartmentSyncRelations / deleteDepartmentSyncRelations for a SCIM group; departmentIdType sync_relation', async () => {
  const u = await provisionUser();
  const gx = `grp${rand(8)}`;
  const g = await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: `Team ${rand(6)}`,
    externalId: gx,
    members: [{ value: u.id }],
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  const list = data(await mc.getDepartmentSyncRelations({ organizationCode: org, departmentId: g.body.id }));
  assert.equal(list.length, 1);
  assert.equal(list[0].provider, provider);
  assert.equal(list[0].userIdInIdp, gx);
  assert.equal(list[0].userInfoInIdp.departmentId, g.body.id);
  assert.equal(list[0].userInfoInIdp.name, g.body.displayName);

  const dept = data(await mc.getDepartment({ organizationCode: org, departmentId: `${provider}:${gx}`, departmentIdType: 'sync_relation' }));
  assert.equal(dept.departmentId, g.body.id);
  const members = data(await mc.listDepartmentMembers({ organizationCode: org, departmentId: `${provider}:${gx}`, departmentIdType: 'sync_relation' }));
  assert.deepEqual(members.list.map(m => m.userId), [u.id]);
  refused(await mc.getDepartment({ organizationCode: org, departmentId: `${provider}:nope`, departmentIdType: 'sync_relation' }));
  refused(await other.getDepartmentSyncRelations({ organizationCode: org, departmentId: g.body.id }));
  assert.deepEqual(data(await mc.getDepartmentSyncRelations({ organizationCode: org })), [], 'the root has none');

  refused(await mc.deleteDepartmentSyncRelations({ provider: 'lark', organizationCode: org, departmentId: g.body.id }));
  assert.deepEqual(
    data(await mc.deleteDepartmentSyncRelations({ provider, organizationCode: org, departmentId: `${provider}:${gx}`, departmentIdType: 'sync_relation' })),
    { success: true });
  assert.deepEqual(data(await mc.getDepartmentSyncRelations({ organizationCode: org, departmentId: g.body.id })), []);
  assert.equal(data(await mc.getDepartment({ organizationCode: org, departmentId: g.body.id })).departmentId, g.body.id, 'the department stays');
  assert.equal((await scim('DELETE', `/Groups/${g.body.id}`)).status, 204);
});
