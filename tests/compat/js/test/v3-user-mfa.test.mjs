// Per-user MFA rules through the v3 ManagementClient (`setUsersMfaStatus`, `getUserMfaStatus`,
// `v3-wire.md` "Users"): a rule turning OTP on stops that user's v2 login at the MFA step
// (1635) while another user with the same authenticator logs in directly; a rule turning OTP
// off lets that user past the pool's OTP step while the others stop; an empty list removes the
// rules; malformed rules are refused and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, newEmailUser, rejectsWith, PASSWORD } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';
import { base32Decode, stepNow, totpAt } from './totp.mjs';

const P = 'v3UserMfa';
const mc = v3(P);

/** A registered user with a confirmed TOTP authenticator. */
async function totpUser() {
  const u = await newEmailUser(P, { prefix: 'umfa' });
  const c = client(P);
  c.setToken(u.token);
  const assoc = await c.mfa.assosicateMfaAuthenticator({ authenticatorType: 'totp' });
  const secret = base32Decode(assoc.secret);
  await c.mfa.confirmAssosicateMfaAuthenticator({
    authenticatorType: 'totp',
    totp: totpAt(secret, stepNow() - 1),
  });
  return { ...u, secret };
}

async function logsInDirectly(u) {
  const r = await client(P).loginByEmail(u.email, PASSWORD);
  assert.ok(r.token, 'a token without a second factor');
  assert.equal(r.id, u.user.id);
}

async function stopsAtMfa(u) {
  const e = await rejectsWith(client(P).loginByEmail(u.email, PASSWORD), 1635);
  assert.equal(typeof e.data?.mfaToken, 'string', JSON.stringify(e));
  assert.deepEqual(e.data.applicationMfa.map(a => a.mfaPolicy), ['OTP']);
  return e.data;
}

function setRules(userId, applicationMfa) {
  return mc.setUsersMfaStatus({ userId, mfaTriggerData: { mfaToken: '', applicationMfa } });
}

async function rulesOf(userId) {
  return data(await mc.getUserMfaStatus({ userId })).applicationMfa;
}

let ann;
let bob;

test('a rule turning OTP on stops that user at the MFA step, not another', async () => {
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, []);
  ann = await totpUser();
  bob = await totpUser();
  await logsInDirectly(ann);
  assert.deepEqual(await rulesOf(ann.user.id), []);

  data(await setRules(ann.user.id, [{ mfaPolicy: 'OTP', status: 1, sort: 0 }]));
  assert.deepEqual(await rulesOf(ann.user.id), [{ mfaPolicy: 'OTP', status: 1, sort: 0 }]);
  const d = await stopsAtMfa(ann);
  await logsInDirectly(bob);
  // The ticket completes ann's login with her second factor.
  const u = await client(P).mfa.verifyTotpMfa({ totp: totpAt(ann.secret, stepNow()), mfaToken: d.mfaToken });
  assert.equal(u.id, ann.user.id);
  assert.ok(u.token);
  // By another user id type too: bob's email names him.
  data(await mc.setUsersMfaStatus({
    userId: bob.email, userIdType: 'email',
    mfaTriggerData: { mfaToken: '', applicationMfa: [{ mfaPolicy: 'OTP', status: 1, sort: 3 }] },
  }));
  await stopsAtMfa(bob);
  data(await setRules(bob.user.id, []));
  assert.deepEqual(await rulesOf(bob.user.id), []);
  await logsInDirectly(bob);
});

test('a rule turning OTP off lets that user past the pool\'s OTP step', async () => {
  data(await mc.updateGlobalMfaSettings({ enabledFactors: ['OTP'] }));
  try {
    await stopsAtMfa(bob);
    data(await setRules(bob.user.id, [{ mfaPolicy: 'OTP', status: 0, sort: 0 }]));
    await logsInDirectly(bob);
    await stopsAtMfa(ann);
    // Removing the rules puts bob back under the pool's.
    data(await setRules(bob.user.id, []));
    await stopsAtMfa(bob);
  } finally {
    data(await mc.updateGlobalMfaSettings({ enabledFactors: [] }));
  }
  // Pool off again: ann's own rule still asks her; removing it lets her in.
  await stopsAtMfa(ann);
  data(await setRules(ann.user.id, []));
  await logsInDirectly(ann);
});

test('malformed rules are refused and change nothing', async () => {
  data(await setRules(ann.user.id, [{ mfaPolicy: 'OTP', status: 1, sort: 0 }]));
  const before = await rulesOf(ann.user.id);
  refused(await setRules(ann.user.id, [{ mfaPolicy: 'FACE', status: 1, sort: 0 }]), { statusCode: 400 });
  refused(await setRules(ann.user.id, [{ mfaPolicy: 'PIGEON', status: 1, sort: 0 }]), { statusCode: 400 });
  refused(await setRules(ann.user.id, [{ mfaPolicy: 'SMS', status: 2, sort: 0 }]), { statusCode: 400 });
  refused(await setRules(ann.user.id, [
    { mfaPolicy: 'SMS', status: 1, sort: 0 }, { mfaPolicy: 'SMS', status: 0, sort: 1 },
  ]), { statusCode: 400 });
  refused(await mc.setUsersMfaStatus({ userId: ann.user.id }), { statusCode: 400 });
  refused(await mc.setUsersMfaStatus({ userId: ann.user.id, mfaTriggerData: { mfaToken: '' } }), { statusCode: 400 });
  const en = refused(await v3(P, { lang: 'en-US' }).setUsersMfaStatus({ userId: ann.user.id }), { statusCode: 400 });
  assert.doesNotMatch(en.message, /[\u3400-\u9fff]/);
  refused(await setRules('no-such-user', []), { statusCode: 404 });
  assert.deepEqual(await rulesOf(ann.user.id), before);
  await stopsAtMfa(ann);
  data(await setRules(ann.user.id, []));
});
