// mc.mfa through the official ManagementClient: bound factors, TOTP import, unbinding,
// with bad input and cross-pool isolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, rejectsWith, newEmailUser } from './helpers.mjs';

const mc = () => mgmt('mgmtApps');
const NOBODY = '000000000000000000000000';

test('getStatus → importTotp → getStatus → unAssociateMfa', async () => {
  const { user } = await newEmailUser('mgmtApps');
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: false, FACE: false });

  const r = await mc().mfa.importTotp(user.id, 'JBSWY3DPEHPK3PXP', '654321');
  assert.equal(r.userId, user.id);
  assert.equal(r.secret, 'JBSWY3DPEHPK3PXP');
  assert.equal(r.recoveryCode, '654321');
  assert.equal(r.enable, true);
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: true, FACE: false });

  // A second import replaces the secret rather than adding a factor.
  const again = await mc().mfa.importTotp(user.id, 'GEZDGNBVGY3TQOJQ', '111111');
  assert.equal(again.secret, 'GEZDGNBVGY3TQOJQ');
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: true, FACE: false });

  assert.equal(await mc().mfa.unAssociateMfa(user.id, 'FACE'), true, 'nothing bound: no change');
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: true, FACE: false });
  assert.equal(await mc().mfa.unAssociateMfa(user.id, 'OTP'), true);
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: false, FACE: false });
});

test('bad input: unknown user, unknown type, missing secret', async () => {
  const { user } = await newEmailUser('mgmtApps');
  await rejectsWith(mc().mfa.getStatus(NOBODY), 2004);
  await rejectsWith(mc().mfa.unAssociateMfa(NOBODY, 'OTP'), 2004);
  await rejectsWith(mc().mfa.importTotp(NOBODY, 'JBSWY3DPEHPK3PXP', '1'), 2004);
  // SMS and EMAIL are factor types now (self-service enrollment); an unknown one is refused.
  await rejectsWith(mc().mfa.unAssociateMfa(user.id, 'NOPE'), 2231);
  await rejectsWith(
    mc().makeRestRequest({
      method: 'POST',
      url: `${mc().options.host}/api/v2/mfa/totp/import`,
      data: { userId: user.id, secret: 42 }
    }),
    2231,
    'secret not a string'
  );
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: false, FACE: false });
});

test('cross-pool isolation: another pool\'s token cannot read or change MFA', async () => {
  const { user } = await newEmailUser('mgmtApps');
  await mc().mfa.importTotp(user.id, 'JBSWY3DPEHPK3PXP', '654321');
  const o = mgmt('mgmtOther');
  await rejectsWith(o.mfa.getStatus(user.id), 2004);
  await rejectsWith(o.mfa.unAssociateMfa(user.id, 'OTP'), 2004);
  await rejectsWith(o.mfa.importTotp(user.id, 'AAAAAAAAAAAAAAAA', '0'), 2004);
  assert.deepEqual(await mc().mfa.getStatus(user.id), { OTP: true, FACE: false });
});
