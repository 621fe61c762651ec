// The v3 AuthenticationClient's "my" resources, permission checks and account linking
// (authing-node-sdk@4.0.1): what the user reads about themselves agrees with what the
// v3/v2 ManagementClient set and reads about the same user, and permission checks are
// answered by the one resolver in the application's own namespace (code = appId).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rand, uniqueEmail, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Mine';
const PASSWORD = 'Passw0rd!mine';
const mc = v3(P);
const v2 = mgmt(P);
const code = (p = 'c') => `${p}_${rand(10)}`;

async function signedIn() {
  const email = uniqueEmail('mine');
  const user = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const auth = v3Auth(P);
  auth.setAccessToken(data(await auth.signInByEmailPassword({ email, password: PASSWORD })).access_token);
  return { auth, user, email };
}

test('getLoginHistory, getLoggedInApps, getAccessibleApps: the sign-in shows up, for this user only', async () => {
  const { auth, user } = await signedIn();
  const appId = pool(P).appId;
  const h = data(await auth.getLoginHistory({}));
  assert.ok(h.totalCount >= 1);
  assert.equal(h.list[0].userId, user.userId);
  assert.equal(h.list[0].appId, appId);
  assert.equal(h.list[0].success, true);
  assert.ok(Date.parse(h.list[0].loginAt) > 0);
  const mgmtView = data(await mc.getUserLoginHistory({ userId: user.userId }));
  assert.equal(h.totalCount, mgmtView.totalCount, 'the same history as the management side');
  assert.equal(data(await auth.getLoginHistory({ appId: 'no-such-app' })).totalCount, 0);
  assert.equal(data(await auth.getLoginHistory({ success: false })).totalCount, 0);
  assert.equal(data(await auth.getLoginHistory({ page: 1, limit: 1 })).list.length, 1);
  refused(await auth.getLoginHistory({ limit: 100000 }));

  const loggedIn = data(await auth.getLoggedInApps());
  assert.deepEqual(loggedIn.map(a => a.appId), [appId]);
  assert.equal(loggedIn[0].active, true);
  const accessible = data(await auth.getAccessibleApps());
  const mine = accessible.find(a => a.appId === appId);
  assert.ok(mine, 'the application is accessible');
  assert.equal(mine.active, true);
  const mgmtAccessible = data(await mc.getUserAccessibleApps({ userId: user.userId })).map(a => a.appId).sort();
  assert.deepEqual(accessible.map(a => a.appId).sort(), mgmtAccessible);

  // A fresh user who never signed in to it has no login there.
  const other = data(await mc.createUser({ email: uniqueEmail('never'), password: PASSWORD }));
  const otherHist = data(await mc.getUserLoginHistory({ userId: other.userId }));
  assert.equal(otherHist.totalCount, 0);
});

test('getRoleList (namespace filter), getGroupList, getDepartmentList (paging, sort), getTenantList follow the ManagementClient', async () => {
  const { auth, user } = await signedIn();
  const ns = code('ns');
  data(await mc.createNamespace({ code: ns, name: 'Mine NS' }));
  const r1 = code('r1');
  const r2 = code('r2');
  data(await mc.createRole({ code: r1 }));
  data(await mc.createRole({ code: r2, namespace: ns }));
  for (const [c, n] of [[r1, undefined], [r2, ns]]) {
    data(await mc.assignRole({ code: c, namespace: n, targets: [{ targetType: 'USER', targetIdentifier: user.userId }] }));
  }
  const all = data(await auth.getRoleList({}));
  assert.deepEqual(all.map(r => r.code).sort(), [r1, r2].sort());
  const inNs = data(await auth.getRoleList({ namespace: ns }));
  assert.deepEqual(inNs.map(r => r.code), [r2]);
  assert.equal(inNs[0].namespaceName, 'Mine NS');

  const g = code('g');
  data(await mc.createGroup({ code: g, name: 'Mine G', description: '', type: 'static' }));
  data(await mc.addGroupMembers({ code: g, userIds: [user.userId] }));
  const groups = data(await auth.getGroupList());
  assert.deepEqual(groups.map(x => x.code), [g]);
  assert.equal(groups[0].name, 'Mine G');

  const org = await v2.org.create(code('Org'), '', code('org'));
  const a = await v2.org.addNode(org.id, org.rootNode.id, { name: 'Alpha', code: code('a') });
  const b = await v2.org.addNode(org.id, org.rootNode.id, { name: 'Beta', code: code('b') });
  await v2.org.addMembers(a.id, [user.userId]);
  await v2.org.addMembers(b.id, [user.userId]);
  const byName = data(await auth.getDepartmentList({ sortBy: 'DepartmentName', orderBy: 'Asc' }));
  assert.equal(byName.totalCount, 2);
  assert.deepEqual(byName.list.map(d => d.name), ['Alpha', 'Beta']);
  assert.deepEqual(byName.list[0].departmentIdPath, [org.rootNode.id, a.id]);
  const desc = data(await auth.getDepartmentList({ sortBy: 'DepartmentName', orderBy: 'Desc', page: 1, limit: 1 }));
  assert.equal(desc.totalCount, 2);
  assert.deepEqual(desc.list.map(d => d.name), ['Beta']);
  const mgmtDeps = data(await mc.getUserDepartments({ userId: user.userId }));
  assert.equal(mgmtDeps.totalCount, byName.totalCount);

  const tenant = data(await mc.createTenant({ name: `租户-${rand(6)}`, appIds: [pool(P).appId] }));
  data(await mc.addTenantUsers({ tenantId: tenant.tenantId, linkUserIds: [user.userId] }));
  const tenants = data(await auth.getTenantList());
  assert.deepEqual(tenants.map(t => t.tenantId), [tenant.tenantId]);
  assert.ok(Date.parse(tenants[0].joinAt) > 0);

  // Another user sees none of it.
  const other = await signedIn();
  assert.deepEqual(data(await other.auth.getRoleList({})), []);
  assert.deepEqual(data(await other.auth.getGroupList()), []);
  assert.equal(data(await other.auth.getDepartmentList({})).totalCount, 0);
  assert.deepEqual(data(await other.auth.getTenantList()), []);
});

test('getAuthorizedResources and the permission checks: one resolver, the application namespace', async () => {
  const { auth, user } = await signedIn();
  const appNs = pool(P).appId;
  // The application's namespace may exist already (another run of this test).
  await mc.createNamespace({ code: appNs, name: 'App' });
  const doc = code('doc');
  const tree = code('tree');
  data(await mc.createResource({ namespace: appNs, code: doc, type: 'DATA', actions: [{ name: 'read' }, { name: 'write' }] }));
  data(await mc.createResource({ namespace: appNs, code: `${tree}/a`, type: 'DATA', actions: [{ name: 'read' }] }));
  const role = code('role');
  data(await mc.createRole({ code: role, namespace: appNs }));
  data(await mc.assignRole({ code: role, namespace: appNs, targets: [{ targetType: 'USER', targetIdentifier: user.userId }] }));
  data(await mc.authorizeResources({ namespace: appNs, list: [
    { targetType: 'USER', targetIdentifiers: [user.userId], resources: [{ code: `${doc}:1`, actions: ['read'], resourceType: 'DATA' }] },
    { targetType: 'ROLE', targetIdentifiers: [role], resources: [{ code: `${doc}:2`, actions: ['read', 'write'], resourceType: 'DATA' }, { code: `${tree}/a`, actions: ['read'], resourceType: 'DATA' }] },
  ] }));
  // A grant in another namespace does not count for the application.
  const otherNs = code('ns');
  data(await mc.createNamespace({ code: otherNs }));
  data(await mc.createResource({ namespace: otherNs, code: doc, type: 'DATA', actions: [{ name: 'write' }] }));
  data(await mc.authorizeResources({ namespace: otherNs, list: [
    { targetType: 'USER', targetIdentifiers: [user.userId], resources: [{ code: `${doc}:1`, actions: ['write'], resourceType: 'DATA' }] },
  ] }));

  const mine = data(await auth.getAuthorizedResources({ namespace: appNs }));
  const mgmtView = data(await mc.getUserAuthorizedResources({ userId: user.userId, namespace: appNs }));
  assert.deepEqual(mine, mgmtView, 'the same answer as the management side');
  assert.deepEqual(mine.list.map(r => r.resourceCode).sort(), [`${doc}:1`, `${doc}:2`, `${tree}/a`].sort());

  const check = async (fn, resources, action) =>
    data(await auth[fn]({ resources, action })).checkResultList.map(r => [r.resource, r.enabled]);
  assert.deepEqual(await check('checkPermissionByStringResource', [`${doc}:1`, `${doc}:2`, `${doc}:3`], 'write'),
    [[`${doc}:1`, false], [`${doc}:2`, true], [`${doc}:3`, false]]);
  assert.deepEqual(await check('checkPermissionByArrayResource', [`${doc}:1`], 'read'), [[`${doc}:1`, true]]);
  assert.deepEqual(await check('checkPermissionByTreeResource', [`${tree}/a/b/c`, `${tree}/b`], 'read'),
    [[`${tree}/a/b/c`, true], [`${tree}/b`, false]]);
  const one = data(await auth.checkPermissionByStringResource({ resources: [`${doc}:2`], action: 'read' })).checkResultList[0];
  assert.equal(one.namespaceCode, appNs);
  assert.equal(one.action, 'read');
  // Agrees with the management side's isActionAllowed.
  for (const [res, act] of [[`${doc}:1`, 'write'], [`${doc}:2`, 'write'], [`${doc}:1`, 'read']]) {
    const viaMgmt = data(await mc.isActionAllowed({ userId: user.userId, namespace: appNs, resource: res, action: act })).allowed;
    const viaUser = (await check('checkPermissionByStringResource', [res], act))[0][1];
    assert.equal(viaUser, viaMgmt, `${res} ${act}`);
  }
  refused(await auth.checkPermissionByStringResource({ resources: [], action: 'read' }));
  refused(await auth.checkPermissionByStringResource({ resources: ['x'] }));

  const perms = data(await auth.getUserAuthResourcePermissionList({ resources: [`${doc}:2`, 'nothing'] })).permissionList;
  assert.deepEqual(perms.map(p => [p.resource, p.actions]), [[`${doc}:2`, ['read', 'write']], ['nothing', []]]);
  const list = data(await auth.getUserAuthorizedResourcesList()).userPermissionList;
  assert.equal(list.length, 1);
  assert.equal(list[0].userId, user.userId);
  assert.equal(list[0].namespaceCode, appNs);
  assert.deepEqual(list[0].resourceList.map(r => r.resourceCode).sort(), mine.list.map(r => r.resourceCode).sort());
  const st = data(await auth.getUserAuthResourceStruct({ resource: `${doc}:1` }));
  assert.equal(st.namespaceCode, appNs);
  assert.deepEqual(st.strResourceAuthAction, { value: `${doc}:1`, actions: ['read'] });

  // Without a session nothing is answered.
  refused(await v3Auth(P).checkPermissionByStringResource({ resources: [`${doc}:1`], action: 'read' }));
  refused(await v3Auth(P).getUserAuthorizedResourcesList());
});

test('getIdentities, unlinkExtIdp, getApplicationEnabledExtIdps; a refusal is worded in the request language', async () => {
  const { auth } = await signedIn();
  assert.deepEqual(data(await auth.getIdentities()), []);
  refused(await auth.unlinkExtIdp({ extIdpId: 'no-such-idp' }), { statusCode: 404 });
  refused(await v3Auth(P).unlinkExtIdp({ extIdpId: 'x' }));

  const idp = data(await mc.createExtIdp({ type: 'github', name: `GH ${rand(4)}` }));
  const identifier = code('gh');
  data(await mc.createExtIdpConn({
    extIdpId: idp.id, type: 'github', identifier, displayName: 'GitHub',
    fields: { clientId: 'id', clientSecret: 'secret' },
  }));
  const enabled = data(await auth.getApplicationEnabledExtIdps());
  const mineConn = enabled.find(e => e.identifier === identifier);
  assert.ok(mineConn, JSON.stringify(enabled));
  assert.equal(mineConn.extIdpId, idp.id);
  assert.equal(mineConn.extIdpType, 'social');
  assert.equal(mineConn.name, 'GitHub');

  const r = await fetch(`${TESSERA_URL}/api/v3/get-my-role-list`, { headers: { 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' } });
  assert.ok(r.status < 500);
  const body = await r.json();
  assert.notEqual(body.statusCode, 200);
  assert.match(body.message, /^[\x20-\x7e]+$/);
  const zh = await (await fetch(`${TESSERA_URL}/api/v3/get-my-role-list`, { headers: { 'x-authing-app-id': pool(P).appId } })).json();
  assert.match(zh.message, /[\u4e00-\u9fff]/);
});
