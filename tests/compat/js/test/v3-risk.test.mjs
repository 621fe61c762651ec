// v3 risk lists through authing-node-sdk@4.0.1, and their effect: a blacklisted address or
// user is refused at the v2 login and registration (the same core rule serves the OIDC
// password grant and the hosted pages: crates/tessera-cli/tests/risk.rs). The harness trusts
// 127.0.0.1 as a proxy, so the SDK's clientIp option names the end user's address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, pool, uniqueEmail, uniqueUsername } from './helpers.mjs';
import { v3, data, refused, raw, signed } from './v3-helpers.mjs';

const P = 'v3Risk';
const mc = v3(P);
const future = () => Date.now() + 60 * 60 * 1000;

test('an IP blacklist forbids login and registration from that address only', async () => {
  const auth = client(P);
  const email = uniqueEmail('risk');
  await auth.registerByEmail(email, 'passw0rd!');
  const ip = '198.51.100.23';
  const r = await mc.add({ ips: `${ip}, 198.51.100.0/30`, ipType: 'BLACK', addType: 'MANUAL',
    removeType: 'SCHEDULE', limitList: ['FORBID_LOGIN', 'FORBID_REGISTER'], expireAt: String(future()) });
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  const listed = data(await mc.findIpList({ ipType: 'BLACK', page: 1, limit: 10 }));
  assert.deepEqual(listed.list.map(e => e.ip).sort(), ['198.51.100.0/30', ip].sort());
  await assert.rejects(auth.loginByEmail(email, 'passw0rd!', { clientIp: ip }), e => e.code === 1001);
  await assert.rejects(auth.registerByEmail(uniqueEmail('risk2'), 'passw0rd!', null, { clientIp: ip }), e => e.code === 1001);
  // Inside the /30 range too; another address is not concerned.
  await assert.rejects(auth.loginByEmail(email, 'passw0rd!', { clientIp: '198.51.100.2' }), e => e.code === 1001);
  const ok = await auth.loginByEmail(email, 'passw0rd!', { clientIp: '192.0.2.200' });
  assert.equal(ok.email, email);
  // The SDK's deleteById sends the literal {id}: refused, nothing deleted.
  refused(await mc.deleteById(), { statusCode: 400 });
  assert.equal(data(await mc.findIpList({ ipType: 'BLACK' })).totalCount, 2);
  // Deleting by the real id (a client that substitutes it) lifts the refusal.
  for (const e of listed.list) {
    const p = pool(P);
    const path = `/api/v3/ip-list/${e.id}`;
    const headers = signed('DELETE', path, {}, { key: p.userPoolId, secret: p.secret });
    data(await raw(path, { method: 'DELETE', headers }) ?? {});
  }
  assert.equal(data(await mc.findIpList({ ipType: 'BLACK' })).totalCount, 0);
  const back = await auth.loginByEmail(email, 'passw0rd!', { clientIp: ip });
  assert.equal(back.email, email);
});

test('a user blacklist forbids that user\'s login whatever the password', async () => {
  const auth = client(P);
  const username = uniqueUsername('bad');
  const u = await auth.registerByUsername(username, 'passw0rd!');
  const r = await mc.addUser({ userIds: [u.id], userListType: 'BLACK', addType: 'MANUAL',
    removeType: 'MANUAL', limitList: ['FORBID_LOGIN'], expireAt: 0 });
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  await assert.rejects(auth.loginByUsername(username, 'passw0rd!'), e => e.code === 1001);
  await assert.rejects(auth.loginByUsername(username, 'wrong-pass'), e => e.code === 1001);
  const list = data(await mc.findUserList({ userListType: 'BLACK' }));
  const entry = list.list.find(e => e.userId === u.id);
  assert.ok(entry);
  assert.deepEqual(entry.limitList, ['FORBID_LOGIN']);
  refused(await mc.deleteUserListById(), { statusCode: 400 });
  const p = pool(P);
  const path = `/api/v3/user-list/${entry.id}`;
  data(await raw(path, { method: 'DELETE', headers: signed('DELETE', path, {}, { key: p.userPoolId, secret: p.secret }) }));
  const back = await auth.loginByUsername(username, 'passw0rd!');
  assert.equal(back.username, username);
});

test('a policy blacklists an address after repeated wrong passwords', async () => {
  const auth = client(P);
  const email = uniqueEmail('pol');
  await auth.registerByEmail(email, 'passw0rd!');
  const r = await mc.addRiskListPolicy({ optObject: 'IP', ipRange: 'ALL', userRange: 'ALL',
    ipCond: 'NO_LIMIT', userCond: 'NO_LIMIT', timeRange: 10, countThr: 3,
    eventStateType: 'password_wrong', removeType: 'SCHEDULE', action: 'ADD_IP_BLACK_LIST',
    limitList: ['FORBID_LOGIN'] });
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  const policies = data(await mc.findRiskListPolicy({ optObject: 'IP' }));
  assert.equal(policies.totalCount, 1);
  assert.equal(policies.list[0].countThr, 3);
  const ip = '203.0.113.77';
  for (let i = 0; i < 3; i++) {
    await assert.rejects(auth.loginByEmail(email, 'wrong-pass', { clientIp: ip }));
  }
  await assert.rejects(auth.loginByEmail(email, 'passw0rd!', { clientIp: ip }), e => e.code === 1001);
  const auto = data(await mc.findIpList({ ipType: 'BLACK' }));
  assert.ok(auto.list.some(e => e.ip === ip && e.addType === 'SCHEDULE'));
  refused(await mc.deleteRiskListPolicyById(), { statusCode: 400 });
  const p = pool(P);
  const path = `/api/v3/risk-list-policy/${policies.list[0].id}`;
  data(await raw(path, { method: 'DELETE', headers: signed('DELETE', path, {}, { key: p.userPoolId, secret: p.secret }) }));
  assert.equal(data(await mc.findRiskListPolicy({ optObject: 'IP' })).totalCount, 0);
});

test('bad input: unknown enums, bad addresses, past expiry, unknown users write nothing', async () => {
  const base = { ipType: 'BLACK', addType: 'MANUAL', removeType: 'MANUAL', limitList: ['FORBID_LOGIN'], expireAt: '0' };
  refused(await mc.add({ ...base, ips: '10.0.0.1, not-an-ip' }), { statusCode: 400 });
  refused(await mc.add({ ...base, ips: '10.0.0.2', ipType: 'GREY' }), { statusCode: 400 });
  refused(await mc.add({ ...base, ips: '10.0.0.3', limitList: ['FORBID_DANCING'] }), { statusCode: 400 });
  refused(await mc.add({ ...base, ips: '10.0.0.4', removeType: 'SCHEDULE', expireAt: String(Date.now() - 1000) }), { statusCode: 400 });
  assert.ok(!data(await mc.findIpList({ ipType: 'BLACK', limit: 50 })).list.some(e => e.ip.startsWith('10.0.0.')));
  refused(await mc.addUser({ userIds: ['nobody'], userListType: 'BLACK', addType: 'MANUAL', removeType: 'MANUAL', limitList: ['FORBID_LOGIN'], expireAt: 0 }), { statusCode: 404 });
  refused(await mc.findIpList({ ipType: 'BLACK', page: 1, limit: 100000 }), { statusCode: 400 });
  refused(await mc.findIpList({}), { statusCode: 400 });
  // Another pool's entries are neither listed nor deletable here.
  const other = v3('v3Sign');
  await other.add({ ...base, ips: '192.0.2.99' });
  const theirs = data(await other.findIpList({ ipType: 'BLACK' })).list.find(e => e.ip === '192.0.2.99');
  assert.ok(theirs);
  assert.ok(!data(await mc.findIpList({ ipType: 'BLACK', limit: 50 })).list.some(e => e.id === theirs.id));
  const p = pool(P);
  const path = `/api/v3/ip-list/${theirs.id}`;
  refused(await raw(path, { method: 'DELETE', headers: signed('DELETE', path, {}, { key: p.userPoolId, secret: p.secret }) }), { statusCode: 404 });
});
