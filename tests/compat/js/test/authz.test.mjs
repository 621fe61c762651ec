// Authorization views of the current user: listAuthorizedResources, hasRole,
// listDepartments, listOrgs, listApplications, against the directory fixture (seeded in
// pool "main" for dir-user@example.com).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, pool, fixtures, newEmailUser } from './helpers.mjs';

const dir = fixtures.directory;

async function dirClient() {
  const c = client();
  await c.loginByEmail(dir.email, dir.password);
  return c;
}

const byCode = list => Object.fromEntries(list.map(r => [r.code, r]));

test("listAuthorizedResources('default'): resources from role, group, department and root", async () => {
  const c = await dirClient();
  const res = await c.listAuthorizedResources('default');
  assert.equal(res.totalCount, 4);
  assert.equal(res.list.length, 4);
  const m = byCode(res.list);
  assert.deepEqual(Object.keys(m).sort(), ['api_orders', 'books:1', 'menu_a', 'menu_b']);
  assert.equal(m['books:1'].type, 'DATA');
  assert.deepEqual(m['books:1'].actions, ['books:read']);
  assert.equal(m.api_orders.type, 'API');
  assert.deepEqual(m.api_orders.actions, ['orders:list']);
  assert.equal(m.api_orders.apiIdentifier, 'https://api.example.com/orders');
  assert.equal(m.menu_a.type, 'MENU');
  assert.equal(m.menu_b.type, 'MENU');
});

test("listAuthorizedResources('default', {resourceType: 'MENU'})", async () => {
  const c = await dirClient();
  const res = await c.listAuthorizedResources('default', { resourceType: 'MENU' });
  assert.equal(res.totalCount, 2);
  assert.deepEqual(res.list.map(r => r.code).sort(), ['menu_a', 'menu_b']);
  for (const r of res.list) assert.equal(r.type, 'MENU');
});

test('hasRole: direct, through a group/department, and missing', async () => {
  const c = await dirClient();
  assert.equal(await c.hasRole('reader'), true);
  assert.equal(await c.hasRole('dept-role'), true);
  assert.equal(await c.hasRole('nope'), false);
  assert.equal(await c.hasRole('reader', 'default'), true);
});

test('listDepartments(): Engineering under Acme, main department', async () => {
  const c = await dirClient();
  const deps = await c.listDepartments();
  assert.equal(deps.totalCount, 1);
  const d = deps.list[0];
  assert.equal(d.department.name, 'Engineering');
  assert.equal(d.department.code, 'eng');
  assert.deepEqual(d.department.namePath, ['Acme', 'Engineering']);
  assert.equal(d.isMainDepartment, true);
  assert.equal(d.department.root, false);
  assert.equal(typeof d.department.id, 'string');
  assert.ok(Array.isArray(d.department.path));
  assert.equal(d.department.path.length, 2);
  assert.equal(typeof d.joinedAt, 'string');
});

test('listOrgs(): [[Acme, Engineering]]', async () => {
  const c = await dirClient();
  const orgs = await c.listOrgs();
  assert.ok(Array.isArray(orgs));
  assert.equal(orgs.length, 1);
  assert.ok(Array.isArray(orgs[0]));
  assert.deepEqual(orgs[0].map(n => n.name), ['Acme', 'Engineering']);
  assert.equal(orgs[0][0].code, 'acme');
  assert.equal(orgs[0][1].code, 'eng');
});

test('listApplications(): the pool app, not the one that denies the user', async () => {
  const c = await dirClient();
  const res = await c.listApplications({ page: 1, limit: 10 });
  assert.equal(typeof res.totalCount, 'number');
  assert.ok(Array.isArray(res.list));
  const ids = res.list.map(a => a.id);
  assert.ok(ids.includes(pool().appId), `the pool app ${pool().appId} is listed: ${ids}`);
  assert.ok(!res.list.some(a => a.name === dir.deniedAppName), 'Denied App is not listed');
  const app = res.list.find(a => a.id === pool().appId);
  for (const k of ['id', 'name', 'createdAt', 'updatedAt', 'protocol']) {
    assert.ok(k in app, `application field ${k}`);
  }
  assert.equal(res.totalCount, res.list.length);
});

test('a user without any grants: empty views', async () => {
  const { client: c } = await newEmailUser();
  const res = await c.listAuthorizedResources('default');
  assert.deepEqual(res, { list: [], totalCount: 0 });
  assert.equal(await c.hasRole('reader'), false);
  const deps = await c.listDepartments();
  assert.equal(deps.totalCount, 0);
  assert.deepEqual(deps.list, []);
  assert.deepEqual(await c.listOrgs(), []);
  const apps = await c.listApplications();
  assert.ok(apps.list.some(a => a.id === pool().appId));
});
