// ManagementClient.acl against Tessera (pool "mgmtAcl"; "mgmtOther" for isolation):
// namespaces, resources, grants to USER/ROLE/GROUP/ORG targets, isAllowed through the one
// resolver (groups' roles, departments and their ancestors), authorized targets, application
// access policies and programmatic access accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, client, newEmailUser, rand, rejectsWith, uniqueUsername, PASSWORD } from './helpers.mjs';

const P = 'mgmtAcl';
const mc = mgmt(P);
const other = mgmt('mgmtOther');
const appId = pool(P).appId;

const code = (p = 'c') => `${p}_${rand(10)}`;
const ASSIGN_ROLE = `mutation assignRole($namespace: String, $roleCode: String, $roleCodes: [String], $userIds: [String!], $groupCodes: [String!], $nodeCodes: [String!]) {
  assignRole(namespace: $namespace, roleCode: $roleCode, roleCodes: $roleCodes, userIds: $userIds, groupCodes: $groupCodes, nodeCodes: $nodeCodes) { message code }
}`;

async function namespaceWithResource() {
  const ns = code('ns');
  await mc.acl.createNamespace(ns, `NS ${ns}`, 'test namespace');
  const resource = await mc.acl.createResource({
    namespace: ns,
    code: 'ec2',
    type: 'DATA',
    description: '服务器',
    actions: [
      { name: 'ec2:Start', description: '启动' },
      { name: 'ec2:Stop', description: '停止' }
    ]
  });
  return { ns, resource };
}

test('namespaces: create, list with exact total, update (code moves its resources), delete', async () => {
  const before = await mc.acl.listNamespaces(1, 100);
  const ns = code('ns');
  const created = await mc.acl.createNamespace(ns, '名称', '描述');
  assert.equal(created.code, ns);
  assert.equal(created.name, '名称');
  assert.equal(created.description, '描述');
  await rejectsWith(mc.acl.createNamespace(ns, 'again'), 2026);
  const after = await mc.acl.listNamespaces(1, 100);
  assert.equal(after.total, before.total + 1);
  assert.ok(after.list.some(n => n.code === ns));

  await mc.acl.createResource({ namespace: ns, code: 'doc', type: 'DATA', actions: [{ name: 'read', description: '' }] });
  const ns2 = code('ns');
  const updated = await mc.acl.updateNamespace(ns, { code: ns2, name: '新名称' });
  assert.equal(updated.code, ns2);
  assert.equal(updated.name, '新名称');
  assert.ok(await mc.acl.getResourceByCode({ namespace: ns2, code: 'doc' }));
  assert.equal(await mc.acl.getResourceByCode({ namespace: ns, code: 'doc' }), null);

  assert.equal(await mc.acl.deleteNamespace(ns2), true);
  assert.equal(await mc.acl.getResourceByCode({ namespace: ns2, code: 'doc' }), null);
  await rejectsWith(mc.acl.deleteNamespace(ns2), 404);
  await rejectsWith(mc.acl.listNamespaces(1, 1e9), 2231);
});

test('resources: create, list (namespace, type, pages), by id and code, update, delete', async () => {
  const { ns, resource } = await namespaceWithResource();
  assert.equal(resource.code, 'ec2');
  assert.equal(resource.type, 'DATA');
  assert.deepEqual(resource.actions.map(a => a.name), ['ec2:Start', 'ec2:Stop']);
  await mc.acl.createResource({ namespace: ns, code: 'menu1', type: 'MENU', actions: [{ name: 'show', description: '' }] });
  await mc.acl.createResource({ namespace: ns, code: 'api1', type: 'API', apiIdentifier: 'https://api.example.com/1', actions: [{ name: 'call', description: '' }] });
  await rejectsWith(
    mc.acl.createResource({ namespace: ns, code: 'ec2', type: 'DATA', actions: [{ name: 'x', description: '' }] }),
    2026
  );

  const all = await mc.acl.listResources({ namespace: ns, limit: 10 });
  assert.equal(all.totalCount, 3);
  assert.deepEqual(all.list.map(r => r.code).sort(), ['api1', 'ec2', 'menu1']);
  const p2 = await mc.acl.getResources({ namespace: ns, page: 2, limit: 2 });
  assert.equal(p2.totalCount, 3);
  assert.deepEqual(p2.list.map(r => r.code), [all.list[2].code], 'pages follow one stable order');
  const menus = await mc.acl.listResources({ namespace: ns, type: 'MENU' });
  assert.deepEqual(menus.list.map(r => r.code), ['menu1']);
  assert.equal(menus.totalCount, 1);

  const byId = await mc.acl.getResourceById(resource.id);
  assert.equal(byId.code, 'ec2');
  assert.equal((await mc.acl.getResourceByCode({ namespace: ns, code: 'api1' })).apiIdentifier, 'https://api.example.com/1');
  assert.equal(await mc.acl.getResourceById('ffffffffffffffffffffffff'), null);

  const updated = await mc.acl.updateResource('ec2', {
    namespace: ns,
    description: '云服务器',
    actions: [{ name: 'ec2:Start', description: '' }]
  });
  assert.equal(updated.description, '云服务器');
  assert.deepEqual(updated.actions.map(a => a.name), ['ec2:Start']);
  assert.equal(updated.type, 'DATA', 'absent fields are kept');
  await rejectsWith(mc.acl.updateResource('nope', { namespace: ns }), 404);

  // Deleting a resource removes the grants on it and on its instances.
  const u = await newEmailUser(P, { prefix: 'res' });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'ec2:1', opts: [{ targetType: 'USER', targetIdentifier: u.user.id, actions: ['ec2:Start'] }] });
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), true);
  assert.equal(await mc.acl.deleteResource('ec2', ns), true);
  assert.equal(await mc.acl.getResourceById(resource.id), null);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), false);
  await rejectsWith(mc.acl.deleteResource('ec2', ns), 404);
  await rejectsWith(mc.acl.listResources({ namespace: ns, limit: 1e9 }), 2231);
});

test('authorizeResource to USER, ROLE, GROUP and ORG; listAuthorizedResources; getAuthorizedTargets; revokeResource', async () => {
  const { ns } = await namespaceWithResource();
  const u = await newEmailUser(P, { prefix: 'az' });
  const role = await mc.roles.create(code('role'), '', ns);
  const group = await mc.groups.create(code('grp'), 'Group');
  const org = await mc.org.create(code('Org'), '', code('org'));
  const res = await mc.acl.authorizeResource({
    namespace: ns,
    resource: 'ec2:1',
    opts: [
      { targetType: 'USER', targetIdentifier: u.user.id, actions: ['ec2:Start'] },
      { targetType: 'ROLE', targetIdentifier: role.code, actions: ['ec2:Stop'] },
      { targetType: 'GROUP', targetIdentifier: group.code, actions: ['ec2:Start', 'ec2:Stop'] },
      { targetType: 'ORG', targetIdentifier: org.rootNode.id, actions: ['ec2:Reboot'] }
    ]
  });
  assert.equal(res.code, 200);

  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), true);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Stop', { namespace: ns }), false);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:2', 'ec2:Start', { namespace: ns }), false);

  const forUser = await mc.acl.listAuthorizedResources('USER', u.user.id, ns);
  assert.deepEqual(forUser.list.map(r => [r.code, r.actions]), [['ec2:1', ['ec2:Start']]]);
  const forRole = await mc.acl.listAuthorizedResources('ROLE', role.code, ns);
  assert.deepEqual(forRole.list.map(r => [r.code, r.actions]), [['ec2:1', ['ec2:Stop']]]);
  const forGroup = await mc.acl.listAuthorizedResources('GROUP', group.code, ns);
  assert.deepEqual(forGroup.list[0].actions, ['ec2:Start', 'ec2:Stop']);
  const forOrg = await mc.acl.listAuthorizedResources('ORG', org.rootNode.id, ns);
  assert.deepEqual(forOrg.list[0].actions, ['ec2:Reboot']);

  const holders = await mc.acl.getAuthorizedTargets({ namespace: ns, resource: 'ec2:1', resourceType: 'DATA' });
  assert.equal(holders.totalCount, 4);
  const byType = Object.fromEntries(holders.list.map(h => [h.targetType, h]));
  assert.equal(byType.USER.targetIdentifier, u.user.id);
  assert.equal(byType.ROLE.targetIdentifier, role.code);
  assert.equal(byType.GROUP.targetIdentifier, group.code);
  assert.equal(byType.ORG.targetIdentifier, org.rootNode.id);
  const roles = await mc.acl.getAuthorizedTargets({ namespace: ns, resource: 'ec2:1', resourceType: 'DATA', targetType: 'ROLE' });
  assert.deepEqual(roles.list.map(h => h.targetIdentifier), [role.code]);
  const both = await mc.acl.getAuthorizedTargets({
    namespace: ns, resource: 'ec2:1', resourceType: 'DATA', actions: { op: 'AND', list: ['ec2:Start', 'ec2:Stop'] }
  });
  assert.deepEqual(both.list.map(h => h.targetType), ['GROUP']);
  const any = await mc.acl.getAuthorizedTargets({
    namespace: ns, resource: 'ec2:1', resourceType: 'DATA', actions: { op: 'OR', list: ['ec2:Stop'] }
  });
  assert.deepEqual(any.list.map(h => h.targetType).sort(), ['GROUP', 'ROLE']);

  // authorizeResource replaces the target's actions.
  await mc.acl.authorizeResource({
    namespace: ns, resource: 'ec2:1', opts: [{ targetType: 'USER', targetIdentifier: u.user.id, actions: ['ec2:Stop'] }]
  });
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), false);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Stop', { namespace: ns }), true);

  assert.equal(
    await mc.acl.revokeResource({ namespace: ns, resource: 'ec2:1', opts: [{ targetType: 'USER', targetIdentifier: u.user.id }] }),
    true
  );
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Stop', { namespace: ns }), false);
  assert.equal((await mc.acl.getAuthorizedTargets({ namespace: ns, resource: 'ec2:1', resourceType: 'DATA' })).totalCount, 3);
});

test('authorizeResources / revokeResources / listAuthorizedResourcesBatch; one unknown target writes nothing', async () => {
  const { ns } = await namespaceWithResource();
  const u = await newEmailUser(P, { prefix: 'bt' });
  const role = await mc.roles.create(code('role'), '', ns);
  const group = await mc.groups.create(code('grp'), 'Group');
  const org = await mc.org.create(code('Org'), '', code('org'));
  const opts = [
    { targetType: 'USER', targetIdentifiers: [u.user.id], resources: [{ code: 'ec2:1', actions: ['ec2:Start'], resourceType: 'DATA' }] },
    { targetType: 'GROUP', targetIdentifiers: [group.code], resources: [{ code: 'ec2:1', actions: ['ec2:Stop'], resourceType: 'DATA' }] },
    { targetType: 'ROLE', targetIdentifiers: [role.code], resources: [{ code: 'ec2:1', actions: ['ec2:Update'], resourceType: 'DATA' }] },
    { targetType: 'ORG', targetIdentifiers: [org.rootNode.id], resources: [{ code: 'ec2:1', actions: ['ec2:View'], resourceType: 'DATA' }] }
  ];
  // One unknown group among the targets: nothing is granted.
  const bad = [...opts, { targetType: 'GROUP', targetIdentifiers: ['no_such_group'], resources: [{ code: 'ec2:2', actions: ['x'], resourceType: 'DATA' }] }];
  await rejectsWith(mc.acl.authorizeResources({ namespace: ns, opts: bad }), 404);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), false);

  assert.equal(await mc.acl.authorizeResources({ namespace: ns, opts }), true);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), true);

  const { list } = await mc.acl.listAuthorizedResourcesBatch({
    namespace: ns,
    targets: [
      { targetType: 'USER', targetIdentifier: u.user.id },
      { targetType: 'GROUP', targetIdentifier: group.code },
      { targetType: 'ROLE', targetIdentifier: role.code },
      { targetType: 'ORG', targetIdentifier: org.rootNode.id }
    ]
  });
  assert.equal(list.length, 4);
  assert.deepEqual(list.map(p => [p.list[0].code, p.list[0].actions]), [
    ['ec2:1', ['ec2:Start']],
    ['ec2:1', ['ec2:Stop']],
    ['ec2:1', ['ec2:Update']],
    ['ec2:1', ['ec2:View']]
  ]);

  assert.equal(await mc.acl.revokeResources({ namespace: ns, opts }), true);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), false);
  const after = await mc.acl.listAuthorizedResourcesBatch({
    namespace: ns,
    targets: [{ targetType: 'GROUP', targetIdentifier: group.code }]
  });
  assert.equal(after.list[0].totalCount, 0);
  await rejectsWith(
    mc.acl.listAuthorizedResourcesBatch({ namespace: ns, targets: [{ targetType: 'AK_SK', targetIdentifier: 'x' }] }),
    2231
  );
});

test('allow adds an action to what a user already has', async () => {
  const ns = code('ns');
  const u = await newEmailUser(P, { prefix: 'al' });
  assert.equal((await mc.acl.allow(u.user.id, 'books:1', 'books:read', ns)).code, 200);
  await mc.acl.allow(u.user.id, 'books:1', 'books:edit', ns);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'books:1', 'books:read', { namespace: ns }), true);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'books:1', 'books:edit', { namespace: ns }), true);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'books:1', 'books:delete', { namespace: ns }), false);
  // Without a namespace every namespace counts.
  assert.equal(await mc.acl.isAllowed(u.user.id, 'books:1', 'books:read'), true);
  await rejectsWith(mc.acl.allow('ffffffffffffffffffffffff', 'books:1', 'books:read', ns), 2004);
  await rejectsWith(mc.acl.isAllowed('ffffffffffffffffffffffff', 'books:1', 'books:read'), 2004);
});

test('inheritance: a resource only through a group\'s role and a department\'s role, then revoked', async () => {
  const ns = code('inh');
  const member = await newEmailUser(P, { prefix: 'member' });
  const colleague = await newEmailUser(P, { prefix: 'colleague' });
  const outsider = await newEmailUser(P, { prefix: 'outsider' });

  // Org: root → Engineering (eng) → Backend. member: Backend + the group; colleague:
  // Engineering only; outsider: the root only.
  const org = await mc.org.create(code('Corp'), '', code('corp'));
  const engCode = code('eng');
  const eng = await mc.org.addNode(org.id, org.rootNode.id, { name: 'Engineering', code: engCode });
  const backend = await mc.org.addNode(org.id, eng.id, { name: 'Backend', code: code('be') });
  await mc.org.addMembers(backend.id, [member.user.id]);
  await mc.org.addMembers(eng.id, [colleague.user.id]);
  await mc.org.addMembers(org.rootNode.id, [outsider.user.id]);

  const group = await mc.groups.create(code('grp'), 'Deployers');
  await mc.groups.addUsers(group.code, [member.user.id]);
  const deployer = await mc.roles.create(code('deployer'), '', ns);
  const engineer = await mc.roles.create(code('engineer'), '', ns);
  // The roles go to the group and to the department, never to a user.
  await mc.makeGraphqlRequest({ query: ASSIGN_ROLE, variables: { namespace: ns, roleCode: deployer.code, groupCodes: [group.code] } });
  await mc.makeGraphqlRequest({ query: ASSIGN_ROLE, variables: { namespace: ns, roleCode: engineer.code, nodeCodes: [engCode] } });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'pipeline:prod', opts: [{ targetType: 'ROLE', targetIdentifier: deployer.code, actions: ['deploy'] }] });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'repo:core', opts: [{ targetType: 'ROLE', targetIdentifier: engineer.code, actions: ['push'] }] });

  const allowed = (u, r, a) => mc.acl.isAllowed(u.user.id, r, a, { namespace: ns });
  assert.equal(await allowed(member, 'pipeline:prod', 'deploy'), true, "through the group's role");
  assert.equal(await allowed(colleague, 'pipeline:prod', 'deploy'), false);
  assert.equal(await allowed(outsider, 'pipeline:prod', 'deploy'), false);
  assert.equal(await allowed(member, 'repo:core', 'push'), true, "through the parent department's role");
  assert.equal(await allowed(colleague, 'repo:core', 'push'), true);
  assert.equal(await allowed(outsider, 'repo:core', 'push'), false, 'grants never flow up the tree');

  // The AuthenticationClient's own view agrees (the same resolver).
  const mine = await member.client.listAuthorizedResources(ns);
  assert.deepEqual(mine.list.map(r => r.code).sort(), ['pipeline:prod', 'repo:core']);
  const viaUser = await mc.acl.listAuthorizedResources('USER', member.user.id, ns);
  assert.equal(viaUser.totalCount, 2);
  const viaNode = await mc.org.listAuthorizedResourcesByNodeId(backend.id, ns);
  assert.deepEqual(viaNode.list.map(r => r.code), ['repo:core'], 'a node inherits its ancestors\' roles');
  const viaGroup = await mc.groups.listAuthorizedResources(group.code, ns);
  assert.deepEqual(viaGroup.list.map(r => r.code), ['pipeline:prod']);

  // Revoke: the grant goes, and so does the permission.
  await mc.acl.revokeResource({ namespace: ns, resource: 'pipeline:prod', opts: [{ targetType: 'ROLE', targetIdentifier: deployer.code }] });
  assert.equal(await allowed(member, 'pipeline:prod', 'deploy'), false);
  // Leaving the group (or the department) also ends what came through it.
  await mc.acl.authorizeResource({ namespace: ns, resource: 'pipeline:prod', opts: [{ targetType: 'ROLE', targetIdentifier: deployer.code, actions: ['deploy'] }] });
  assert.equal(await allowed(member, 'pipeline:prod', 'deploy'), true);
  await mc.groups.removeUsers(group.code, [member.user.id]);
  assert.equal(await allowed(member, 'pipeline:prod', 'deploy'), false);
  await mc.org.removeMembers(backend.id, [member.user.id]);
  assert.equal(await allowed(member, 'repo:core', 'push'), false);
});

test('application access policy: allow, deny, disable, enable, revoke, records, default strategy', async () => {
  const allowedUser = await newEmailUser(P, { prefix: 'appok' });
  const deniedUser = await newEmailUser(P, { prefix: 'appno' });
  const names = async u => (await u.client.listApplications()).list.map(a => a.id);

  let app = await mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'DENY_ALL' });
  assert.equal(app.permissionStrategy.defaultStrategy, 'DENY_ALL');
  assert.deepEqual(await names(allowedUser), []);

  const ok = await mc.acl.allowAccessApplication({ appId, targetType: 'USER', targetIdentifiers: [allowedUser.user.id] });
  assert.equal(ok.code, 200);
  await mc.acl.denyAccessApplication({ appId, targetType: 'USER', targetIdentifiers: [deniedUser.user.id] });
  assert.deepEqual(await names(allowedUser), [appId]);
  assert.deepEqual(await names(deniedUser), []);

  const records = await mc.acl.getApplicationAccessPolicies({ appId, page: 1, limit: 10 });
  const mineRecords = records.list.filter(r => [allowedUser.user.id, deniedUser.user.id].includes(r.targetIdentifier));
  assert.equal(mineRecords.length, 2);
  assert.deepEqual(mineRecords.map(r => [r.targetType, r.effect, r.enabled]).sort(), [
    ['USER', 'ALLOW', true],
    ['USER', 'DENY', true]
  ]);

  // A disabled rule does not count; enabled again it does.
  await mc.acl.disableApplicationAccessPolicy({ appId, targetType: 'USER', targetIdentifiers: [allowedUser.user.id] });
  assert.deepEqual(await names(allowedUser), []);
  await mc.acl.enableApplicationAccessPolicy({ appId, targetType: 'USER', targetIdentifiers: [allowedUser.user.id] });
  assert.deepEqual(await names(allowedUser), [appId]);

  // With the default back to ALLOW_ALL, only the deny rule keeps a user out; revoking it lets
  // them in.
  app = await mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'ALLOW_ALL' });
  assert.equal(app.permissionStrategy.defaultStrategy, 'ALLOW_ALL');
  assert.deepEqual(await names(deniedUser), []);
  await mc.acl.deleteApplicationAccessPolicy({ appId, targetType: 'USER', targetIdentifiers: [deniedUser.user.id] });
  assert.deepEqual(await names(deniedUser), [appId]);

  // Unknown targets and rules are errors and change nothing.
  await rejectsWith(mc.acl.allowAccessApplication({ appId, targetType: 'GROUP', targetIdentifiers: ['no_such_group'] }), 404);
  await rejectsWith(mc.acl.enableApplicationAccessPolicy({ appId, targetType: 'USER', targetIdentifiers: [deniedUser.user.id] }), 404);
  await rejectsWith(mc.acl.getApplicationAccessPolicies({ appId: 'ffffffffffffffffffffffff' }), 2011);
  await rejectsWith(mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'SOMETIMES' }), 2231);
});

test('the application access policy decides loginByUsername: DENY_ALL keeps out users without an allow rule, ALLOW_ALL + deny keeps out the denied', async () => {
  const loginAs = username => client(P).loginByUsername(username, PASSWORD);
  const register = async prefix => {
    const username = uniqueUsername(prefix);
    const user = await client(P).registerByUsername(username, PASSWORD);
    return { username, user };
  };
  const plain = await register('pol');
  const allowed = await register('polok');
  const denied = await register('polno');
  try {
    await mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'DENY_ALL' });
    await mc.acl.allowAccessApplication({ appId, targetType: 'USER', targetIdentifiers: [allowed.user.id] });
    await rejectsWith(loginAs(plain.username), 1001, 'DENY_ALL, no allow rule:');
    assert.equal((await loginAs(allowed.username)).id, allowed.user.id, 'DENY_ALL, allowed user');

    await mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'ALLOW_ALL' });
    await mc.acl.denyAccessApplication({ appId, targetType: 'USER', targetIdentifiers: [denied.user.id] });
    await rejectsWith(loginAs(denied.username), 1001, 'ALLOW_ALL, denied user:');
    assert.equal((await loginAs(plain.username)).id, plain.user.id, 'ALLOW_ALL, no rule');
  } finally {
    await mc.acl.updateDefaultApplicationAccessPolicy({ appId, defaultStrategy: 'ALLOW_ALL' });
    await mc.acl.deleteApplicationAccessPolicy({ appId, targetType: 'USER', targetIdentifiers: [allowed.user.id, denied.user.id] });
  }
});

test('programmatic access accounts: create, list, refresh secret, disable, enable, delete', async () => {
  const before = await mc.acl.programmaticAccessAccountList(appId, 1, 100);
  const acct = await mc.acl.createProgrammaticAccessAccount(appId, { tokenLifetime: 1200, remarks: 'ci' });
  assert.equal(acct.appId, appId);
  assert.equal(acct.tokenLifetime, 1200);
  assert.equal(acct.remarks, 'ci');
  assert.equal(acct.enabled, true);
  assert.ok(acct.secret.length >= 16);
  const list = await mc.acl.programmaticAccessAccountList(appId, 1, 100);
  assert.equal(list.totalCount, before.totalCount + 1);
  assert.ok(list.list.some(a => a.id === acct.id));

  const refreshed = await mc.acl.refreshProgrammaticAccessAccountSecret(acct.id);
  assert.notEqual(refreshed.secret, acct.secret);
  const chosen = await mc.acl.refreshProgrammaticAccessAccountSecret(acct.id, 'abcdefhijkmnprstwxyz234567823456');
  assert.equal(chosen.secret, 'abcdefhijkmnprstwxyz234567823456');
  assert.equal((await mc.acl.disableProgrammaticAccessAccount(acct.id)).enabled, false);
  assert.equal((await mc.acl.enableProgrammaticAccessAccount(acct.id)).enabled, true);
  await rejectsWith(mc.acl.refreshProgrammaticAccessAccountSecret(acct.id, 'short'), 2231);

  // Another pool cannot see or change it.
  await rejectsWith(other.acl.disableProgrammaticAccessAccount(acct.id), 404);
  await rejectsWith(other.acl.programmaticAccessAccountList(appId), 2011);

  assert.equal(await mc.acl.deleteProgrammaticAccessAccount(acct.id), true);
  await rejectsWith(mc.acl.deleteProgrammaticAccessAccount(acct.id), 404);
  assert.equal((await mc.acl.programmaticAccessAccountList(appId, 1, 100)).totalCount, before.totalCount);
  await rejectsWith(mc.acl.createProgrammaticAccessAccount(appId, { tokenLifetime: -5 }), 2231);
});

test('getPoliciesAssignmentsCondition: a policy with its statements and assignments by target type', async () => {
  const policyCode = code('pol');
  await mc.policies.create({
    code: policyCode,
    statements: [{ resource: 'books:*', actions: ['books:read'], effect: 'ALLOW', condition: [{ param: 'ip', operator: 'eq', value: '10.0.0.1' }] }]
  });
  const role = await mc.roles.create(code('role'));
  await mc.policies.addAssignments([policyCode], 'ROLE', [role.code]);
  const res = await mc.acl.getPoliciesAssignmentsCondition('default', policyCode, 'ROLE');
  assert.equal(res.policy.code, policyCode);
  assert.deepEqual(res.policy.statements[0].condition, [{ param: 'ip', operator: 'eq', value: '10.0.0.1' }]);
  assert.equal(res.totalCount, 1);
  assert.equal(res.list[0].targetIdentifier, role.code);
  const users = await mc.acl.getPoliciesAssignmentsCondition('default', policyCode, 'USER');
  assert.equal(users.totalCount, 0);
  await rejectsWith(mc.acl.getPoliciesAssignmentsCondition('default', code('nope'), 'ROLE'), 404);
});

test("cross-pool: another pool's token sees none of this pool's resources, users or namespaces", async () => {
  const { ns, resource } = await namespaceWithResource();
  const u = await newEmailUser(P, { prefix: 'iso' });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'ec2:1', opts: [{ targetType: 'USER', targetIdentifier: u.user.id, actions: ['ec2:Start'] }] });
  assert.equal(await other.acl.getResourceById(resource.id), null);
  assert.equal(await other.acl.getResourceByCode({ namespace: ns, code: 'ec2' }), null);
  await rejectsWith(other.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), 2004);
  await rejectsWith(
    other.acl.authorizeResource({ namespace: ns, resource: 'ec2:1', opts: [{ targetType: 'USER', targetIdentifier: u.user.id, actions: ['x'] }] }),
    2004
  );
  await rejectsWith(other.acl.deleteResource('ec2', ns), 404);
  // The namespace routes carry a pool id: only the token's own pool is served.
  await rejectsWith(
    other.makeRestRequest({ method: 'GET', url: `${other.options.host}/api/v2/resource-namespace/${pool(P).userPoolId}` }),
    1001
  );
  assert.equal(await mc.acl.isAllowed(u.user.id, 'ec2:1', 'ec2:Start', { namespace: ns }), true);
  assert.ok(await mc.acl.getResourceById(resource.id));
});
