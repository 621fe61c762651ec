// Seed 003's examples, verbatim apart from the package name (`@genauth/nodejs` is the same
// code as authing-node-sdk with x-genauth-* headers, v3-wire.md §8; the GenAuth header family
// is proven by v3-sign.test.mjs) and the keys and host of a seeded pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'authing-node-sdk';
import { TESSERA_URL, pool } from './helpers.mjs';

const p = pool('v3Sign');

test('初始化 and 获取用户列表: listUsers({page: 1, limit: 10})', async () => {
  const managementClient = new ManagementClient({
    accessKeyId: p.userPoolId,
    accessKeySecret: p.secret,
    host: TESSERA_URL,
  });
  const { data } = await managementClient.listUsers({
    page: 1,
    limit: 10,
  });
  assert.equal(typeof data.totalCount, 'number');
  assert.ok(Array.isArray(data.list));
  assert.ok(data.list.length <= 10);
});

test('私有化部署 with lang en-US: messages come in English', async () => {
  const managementClient = new ManagementClient({
    accessKeyId: p.accessKeyId,
    accessKeySecret: p.accessKeySecret,
    host: TESSERA_URL,
    lang: 'en-US',
  });
  const r = await managementClient.getUser({ userId: 'nobody' });
  assert.equal(r.statusCode, 404);
  assert.match(r.message, /^[\x20-\x7e]+$/);
});
