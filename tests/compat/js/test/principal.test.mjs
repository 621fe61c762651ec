// Real-name (principal) authentication through the v2 SDK (authing-js-sdk@4.23.55,
// `v2-wire.md` §5 `principal` and §6.11 `mc.principal`):
// - the user authenticates a person ('P'); the harness's mock provider
//   (`tests/compat/src/principal_mock.rs`) verifies exactly its known pairs;
// - the detail comes back with the number masked (first 6, last 4), to the user and to the
//   administrator; a verified user cannot authenticate again;
// - a wrong check character is refused before the provider is asked; a provider refusal and
//   an unreachable provider store nothing; attempts are bounded per user per day;
// - an administrator authenticates an enterprise ('E') for a user, replacing what it had,
//   and is audited; another pool's administrator does not see the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, fixtures, mgmt, newEmailUser, pool, rand, rejectsWith, rememberSecrets } from './helpers.mjs';
import { data, v3 } from './v3-helpers.mjs';

const P = 'principal';
const mc = mgmt(P);
// The mock provider's known pairs.
const PERSON = { type: 'P', name: '张三', idCard: '11010519491231002X', bankCard: '6222021234567890' };
const ENTERPRISE = {
  type: 'E', enterpriseName: 'Tessera 测试企业', enterpriseCode: '91350100M000100Y43', legalPersonName: '李四',
};
const ID_MASKED = '110105********002X';
// The harness checks that none of them reaches the server's log.
rememberSecrets(PERSON.idCard, PERSON.bankCard, ENTERPRISE.enterpriseCode);
const CODE_MASKED = '913501********0Y43';

/** The questions the mock provider was asked for a pool. */
async function providerCalls(poolName = P) {
  const r = await fetch(`${fixtures.wechatMockUrl}/principal/calls?userPoolId=${pool(poolName).userPoolId}`);
  assert.equal(r.status, 200);
  return r.json();
}

test('a user authenticates as a person: verified by the provider, read back masked by the user and the administrator', async () => {
  const { client: c, user } = await newEmailUser(P);
  assert.equal(await c.principal.detail(), null, 'nothing before');
  const before = (await providerCalls()).length;

  assert.equal(await c.principal.authenticate(PERSON), true);
  const calls = await providerCalls();
  assert.equal(calls.length, before + 1, 'the provider was asked once');
  assert.deepEqual(calls.at(-1), { type: 'P', name: '张三', userPoolId: pool(P).userPoolId });

  const d = await c.principal.detail();
  assert.equal(d.userId, user.id);
  assert.equal(d.userPoolId, pool(P).userPoolId);
  assert.equal(d.principalType, 'P');
  assert.equal(d.principalName, '张三');
  assert.equal(d.principalCode, ID_MASKED);
  assert.ok(!Number.isNaN(Date.parse(d.authenticationTime)), d.authenticationTime);

  // The administrator reads the same, masked.
  const a = await mc.principal.detail(user.id);
  assert.equal(a.principalCode, ID_MASKED);
  assert.equal(a.principalName, '张三');
  assert.equal(a.principalType, 'P');

  // Verified: no second authentication (nor a provider question) until an administrator resets.
  const e = await rejectsWith(c.principal.authenticate(PERSON), 2231);
  assert.match(e.message, /管理员重置/);
  assert.equal((await providerCalls()).length, before + 1, 'the provider was not asked again');
});

test('a wrong check character or a malformed code is refused before the provider is asked', async () => {
  const { client: c } = await newEmailUser(P);
  const name = `无效-${rand(6)}`;
  const bad = [
    { ...PERSON, name, idCard: '110105194912310021' }, // wrong GB 11643 check character
    { ...PERSON, name, idCard: '1101051949123100' }, // too short
    { ...ENTERPRISE, enterpriseName: name, enterpriseCode: '91350100M000100Y44' }, // wrong GB 32100 check
    { ...ENTERPRISE, enterpriseName: name, enterpriseCode: '91350100O000100Y43' }, // O is not in the alphabet
    { type: 'X', name, idCard: PERSON.idCard, bankCard: '' }, // unknown type (sent as 'E' fields by the SDK)
    { ...PERSON, name: 'x'.repeat(101) }, // name too long
  ];
  for (const input of bad) {
    const e = await rejectsWith(c.principal.authenticate(input), 2231, JSON.stringify(input).slice(0, 80));
    assert.match(e.message, /参数|缺少/, e.message);
  }
  assert.equal((await providerCalls()).filter(x => x.name === name).length, 0, 'the provider was never asked');
  assert.equal(await c.principal.detail(), null, 'nothing stored');
});

test('a provider refusal and an unreachable provider store nothing; the error says so in both languages', async () => {
  const { client: c, token } = await newEmailUser(P);
  const e = await rejectsWith(c.principal.authenticate({ ...PERSON, name: '王五' }), 2231);
  assert.match(e.message, /未通过/);
  const down = await rejectsWith(c.principal.authenticate({ ...PERSON, name: `down-${rand(4)}` }), 2231);
  assert.match(down.message, /暂不可用/);
  assert.equal(await c.principal.detail(), null);

  const en = client(P, { lang: 'en-US' });
  en.setToken(token);
  const eEn = await rejectsWith(en.principal.authenticate({ ...PERSON, name: '王五' }), 2231);
  assert.match(eEn.message, /not verified/);

  // Not logged in: refused.
  await rejectsWith(client(P).principal.authenticate(PERSON), 2020);
});

test('attempts are bounded per user per day: the sixth is refused without asking the provider, even with the right pair', async () => {
  const { client: c } = await newEmailUser(P);
  const before = (await providerCalls()).length;
  for (let i = 0; i < 5; i++) {
    await rejectsWith(c.principal.authenticate({ ...PERSON, name: `错误-${rand(4)}` }), 2231, `attempt ${i}`);
  }
  assert.equal((await providerCalls()).length, before + 5);
  const e = await rejectsWith(c.principal.authenticate(PERSON), 2100);
  assert.match(e.message, /次数过多/);
  assert.equal((await providerCalls()).length, before + 5, 'the sixth never reached the provider');
  assert.equal(await c.principal.detail(), null);

  // The budget is the user's: another user of the pool still authenticates.
  const { client: other } = await newEmailUser(P);
  assert.equal(await other.principal.authenticate(PERSON), true);
});

test('an administrator authenticates an enterprise for a user, replacing its person; audited; another pool refused', async () => {
  const { client: c, user } = await newEmailUser(P);
  await c.principal.authenticate(PERSON);
  assert.equal(await mc.principal.authenticate(user.id, ENTERPRISE), true);

  const d = await c.principal.detail();
  assert.equal(d.principalType, 'E');
  assert.equal(d.principalName, 'Tessera 测试企业');
  assert.equal(d.principalCode, CODE_MASKED);
  assert.deepEqual(await mc.principal.detail(user.id), d);

  // The administrator's refusals: a provider refusal changes nothing, an unknown user is 2004.
  await rejectsWith(mc.principal.authenticate(user.id, { ...ENTERPRISE, enterpriseName: '别的企业' }), 2231);
  assert.equal((await c.principal.detail()).principalType, 'E');
  await rejectsWith(mc.principal.detail('no-such-user'), 2004);

  // Another pool's administrator does not find the user.
  await rejectsWith(mgmt('principalOther').principal.detail(user.id), 2004);
  await rejectsWith(mgmt('principalOther').principal.authenticate(user.id, ENTERPRISE), 2004);

  // Audited: the administrator's authentication (done and refused), never the number.
  const logs = data(await v3(P).getAdminAuditLogs({ resourceType: 'user', pagination: { page: 1, limit: 100 } }));
  const mine = logs.list.filter(l => l.eventDetails.includes(user.id));
  assert.ok(mine.some(l => l.success && l.operationType === 'update'), JSON.stringify(mine));
  assert.ok(mine.some(l => !l.success), 'the refusal is recorded');
  for (const l of mine) {
    for (const n of [ENTERPRISE.enterpriseCode, PERSON.idCard]) assert.ok(!JSON.stringify(l).includes(n));
  }
});
