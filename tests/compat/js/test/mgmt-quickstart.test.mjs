// Seed 000's ManagementClient quick start, verbatim: list users, create a role, close
// registration — then the AuthenticationClient's registration is refused. Pool "mgmtQuick"
// is used only here, so closing its registration affects no other file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'authing-js-sdk';
import { client, pool, rejectsWith, uniqueEmail, PASSWORD, TESSERA_URL } from './helpers.mjs';

test('seed 000 quick start through the official ManagementClient', async () => {
  const p = pool('mgmtQuick');
  const managementClient = new ManagementClient({
    userPoolId: p.userPoolId,
    secret: p.secret,
    host: TESSERA_URL
  });

  // 1. 获取用户目录列表
  const { list, totalCount } = await managementClient.users.list();
  assert.ok(Array.isArray(list));
  assert.equal(typeof totalCount, 'number');

  // 2. 创建角色
  const code = `code_${Date.now()}`;
  const role = await managementClient.roles.create(code, '角色名称');
  assert.equal(role.code, code);
  assert.equal(role.description, '角色名称');

  // 3. 修改用户池配置
  const userpool = await managementClient.userpool.update({
    registerDisabled: true // 关闭用户池注册
  });
  assert.equal(userpool.registerDisabled, true);
  try {
    await rejectsWith(client('mgmtQuick').registerByEmail(uniqueEmail('qs'), PASSWORD), 2031);
  } finally {
    await managementClient.userpool.update({ registerDisabled: false });
  }
  await client('mgmtQuick').registerByEmail(uniqueEmail('qs'), PASSWORD);
});

test('refreshUserpoolSecret: the old secret and every token bought with it stop working', async () => {
  const p = pool('mgmtQuick');
  const before = new ManagementClient({ userPoolId: p.userPoolId, secret: p.secret, host: TESSERA_URL });
  await before.users.list();
  const { refreshUserpoolSecret: secret } = await before.makeGraphqlRequest({
    query: 'mutation refreshUserpoolSecret { refreshUserpoolSecret }'
  });
  assert.equal(typeof secret, 'string');
  assert.notEqual(secret, p.secret);
  // The cached token of the old secret is dead, and the old secret buys no new one.
  await rejectsWith(before.users.list(), 2206);
  const stale = new ManagementClient({ userPoolId: p.userPoolId, secret: p.secret, host: TESSERA_URL });
  await rejectsWith(stale.users.list(), 1001);
  const after = new ManagementClient({ userPoolId: p.userPoolId, secret, host: TESSERA_URL });
  assert.equal(typeof (await after.users.list()).totalCount, 'number');
  assert.equal((await after.userpool.detail()).secret, secret);
});
