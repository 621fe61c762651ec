// Multi-tenant administrators, cooperators (协作管理员) and tenant enterprise certification
// through the v3 ManagementClient (authing-node-sdk@4.0.1, `v3-wire.md` "Tenants"):
// - a multi-tenant administrator is a pool user made admin of several tenants at once: it is
//   an admin in those tenants' member lists and in its own tenant list (AuthenticationClient
//   `getTenantList`), and is told by email when asked;
// - a cooperator holds policies of the pool (by code): its policies, the menu they allow,
//   the `external` filter (no department of the pool), a deleted policy no longer held;
// - a certification is submitted, read masked, resubmitted and reviewed under its state
//   machine; the personal numbers never come back whole;
// - unknown users, tenants and policies, the other pool's users and tenants, bad enums,
//   bad formats and missing fields are refused and write nothing; changes are audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnPhone, mailboxSeq, mgmt, pool, rand as hex, rememberSecrets, uniqueEmail, waitMail, waitSms } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3TenantAdm';
const mc = v3(P);
const v2 = mgmt(P);
const other = v3('v3TenantAdmOther');
const PASSWORD = 'Passw0rd!adm';
// Letters only: a notice's text must hold no digit run the harness would take for a code.
const rand = n => hex(n).replace(/[0-9]/g, d => 'ghijklmnop'[d]);

async function newTenant(mcx = mc, name = `租户-${rand(6)}`) {
  const appId = pool(mcx === mc ? P : 'v3TenantAdmOther').appId;
  return data(await mcx.createTenant({ name, appIds: [appId] }));
}

async function newUser(mcx = mc, extra = {}) {
  const email = uniqueEmail('adm');
  const u = data(await mcx.createUser({ email, password: PASSWORD, name: `Name ${rand(5)}`, ...extra }));
  return { ...u, email };
}

async function adminsOf(tenantId) {
  return data(await mc.listTenantAdmin({ tenantId, page: '1', limit: '50' })).list.map(m => m.userId);
}

async function isMember(tenantId, userId) {
  return (await mc.getTenantUser({ tenantId, linkUserId: userId })).statusCode === 200;
}

test('createMultipleTenantAdmin: admin of every tenant named, in their member lists and its own tenant list; listed, got, notified', async () => {
  const [t1, t2] = [await newTenant(mc, `甲-${rand(5)}`), await newTenant(mc, `乙-${rand(5)}`)];
  const u = await newUser();
  const since = await mailboxSeq();
  const r = await mc.createMultipleTenantAdmin({
    tenantIds: [t1.tenantId, t2.tenantId], userId: u.userId, apiAuthorized: true, sendEmailNotification: true,
  });
  assert.equal(r.statusCode, 200, JSON.stringify(r));

  // The effect: an administrator of both tenants, as the tenant admin calls see it.
  for (const t of [t1, t2]) {
    assert.deepEqual(await adminsOf(t.tenantId), [u.userId]);
    const member = data(await mc.getTenantUser({ tenantId: t.tenantId, linkUserId: u.userId }));
    assert.equal(member.isTenantAdmin, true);
  }
  // … and as the user sees it through the AuthenticationClient.
  const auth = v3Auth(P);
  auth.setAccessToken(data(await auth.signInByEmailPassword({ email: u.email, password: PASSWORD })).access_token);
  const mine = data(await auth.getTenantList()).map(t => t.tenantId).sort();
  assert.deepEqual(mine, [t1.tenantId, t2.tenantId].sort());

  // The notice names both tenants.
  const mail = await waitMail(u.email, since);
  assert.match(mail.subject, /Administrative rights/);
  assert.ok(mail.text.includes(t1.name) && mail.text.includes(t2.name), mail.text);

  // Listed by keyword, got by id, with the tenants administered.
  const listed = data(await mc.listMultipleTenantAdmin({ keywords: u.email, page: '1', limit: '10' }));
  assert.equal(listed.totalCount, 1);
  const dto = listed.list[0];
  assert.equal(dto.userId, u.userId);
  assert.equal(dto.email, u.email);
  assert.equal(dto.name, u.name);
  assert.equal(dto.apiAuthorized, true);
  assert.equal(typeof dto.lastLogin, 'string');
  assert.deepEqual(dto.tenantIds.sort(), [t1.tenantId, t2.tenantId].sort());
  const got = data(await mc.getMultipleTenantAdmin({ userId: u.userId }));
  assert.equal(got.totalCount, 1);
  assert.equal(got.list[0].userId, u.userId);

  // Granting again adds a tenant and sets apiAuthorized; it takes nothing away.
  const t3 = await newTenant();
  assert.equal((await mc.createMultipleTenantAdmin({ tenantIds: [t3.tenantId], userId: u.userId, apiAuthorized: false })).statusCode, 200);
  assert.deepEqual(await adminsOf(t1.tenantId), [u.userId], 'the first grant stays');
  const again = data(await mc.getMultipleTenantAdmin({ userId: u.userId })).list[0];
  assert.equal(again.apiAuthorized, false);
  assert.equal(again.tenantIds.length, 3);

  // A user of the pool who holds no grant: an empty page.
  const plain = await newUser();
  assert.deepEqual(data(await mc.getMultipleTenantAdmin({ userId: plain.userId })), { totalCount: 0, list: [] });
  assert.equal(data(await mc.listMultipleTenantAdmin({ keywords: plain.email })).totalCount, 0);

  // Recorded in the admin audit log as a tenant change.
  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'tenant', operationType: 'create', pagination: { page: 1, limit: 50 } }));
  assert.ok(logs.list.some(l => l.eventDetails.includes(u.userId) && l.eventDetails.includes(t1.tenantId)), 'audited');
});

test('createMultipleTenantAdmin refusals write nothing: unknown tenant, unknown or foreign user, missing fields, a channel the user lacks', async () => {
  const t = await newTenant();
  const u = await newUser();
  const nothingWritten = async () => {
    assert.equal(await isMember(t.tenantId, u.userId), false, 'no membership written');
    assert.equal(data(await mc.getMultipleTenantAdmin({ userId: u.userId })).totalCount, 0, 'no grant written');
  };
  // One unknown tenant refuses the whole call, the known one included.
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId, 'no-such-tenant'], userId: u.userId }), { statusCode: 404 });
  await nothingWritten();
  // Another pool's tenant is unknown here.
  const foreignTenant = await newTenant(other);
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId, foreignTenant.tenantId], userId: u.userId }), { statusCode: 404 });
  await nothingWritten();
  // Unknown user, another pool's user.
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId], userId: 'no-such-user' }), { statusCode: 404 });
  const foreign = await newUser(other);
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId], userId: foreign.userId }), { statusCode: 404 });
  assert.equal(await isMember(t.tenantId, foreign.userId), false);
  refused(await mc.getMultipleTenantAdmin({ userId: foreign.userId }), { statusCode: 404 });
  // Missing or malformed fields.
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [], userId: u.userId }), { statusCode: 400 });
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId] }), { statusCode: 400 });
  refused(await mc.createMultipleTenantAdmin({ tenantIds: t.tenantId, userId: u.userId }), { statusCode: 400 });
  refused(await mc.createMultipleTenantAdmin({ tenantIds: Array.from({ length: 101 }, (_, i) => `t${i}`), userId: u.userId }), { statusCode: 400 });
  // An SMS notice for a user without a phone.
  refused(await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId], userId: u.userId, sendPhoneNotification: true }));
  await nothingWritten();
  // With a phone, the notice goes by SMS (the gateway's scene, no code).
  const phone = cnPhone();
  const withPhone = await newUser(mc, { phone });
  const since = await mailboxSeq();
  assert.equal((await mc.createMultipleTenantAdmin({ tenantIds: [t.tenantId], userId: withPhone.userId, sendPhoneNotification: true })).statusCode, 200);
  const sms = await waitSms(phone, undefined, since);
  assert.equal(sms.scene, 'ADMIN_GRANT_NOTICE');
  assert.equal(sms.code, '');
  // English when asked.
  const en = v3(P, { lang: 'en-US' });
  const r = refused(await en.createMultipleTenantAdmin({ tenantIds: ['no-such-tenant'], userId: u.userId }), { statusCode: 404 });
  assert.doesNotMatch(r.message, /[\u4e00-\u9fff]/);
});

test('createTenantCooperator: the policies held, the menu they allow, external, replaced whole, a deleted policy no longer held', async () => {
  const code = p => `${p}_${rand(8)}`;
  const [c1, c2, c3] = [code('users'), code('apps'), code('audit')];
  await v2.policies.create({ code: c1, statements: [
    { resource: 'menu:users', effect: 'ALLOW', actions: ['users:read'] },
    { resource: 'menu:apps', effect: 'ALLOW', actions: ['apps:read'] },
  ] });
  await v2.policies.create({ code: c2, statements: [
    { resource: 'menu:apps', effect: 'DENY', actions: ['apps:read'] },
    { resource: 'menu:roles', effect: 'ALLOW', actions: ['roles:read'] },
  ] });
  await v2.policies.create({ code: c3, statements: [{ resource: 'menu:audit', effect: 'ALLOW', actions: ['audit:read'] }] });
  const u = await newUser();
  const since = await mailboxSeq();
  const r = await mc.createTenantCooperator({ userId: u.userId, policies: [c1, c2], sendEmailNotification: true });
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  const mail = await waitMail(u.email, since);
  assert.ok(mail.text.includes(c1) && mail.text.includes(c2), mail.text);

  const held = data(await mc.getTenantCooperator({ userId: u.userId }));
  assert.deepEqual(held.authorizedPoliciesCode, [c1, c2]);
  assert.equal(held.list.length, 2);
  const menu = data(await mc.getTenantCooperatorMenu({ userId: u.userId }));
  assert.deepEqual(menu.list, ['menu:users', 'menu:roles'], 'ALLOW resources less the DENY one');
  assert.deepEqual(menu.authorizedPoliciesCode, [c1, c2]);

  // Listed: external while in no department; internal once in one.
  const listed = data(await mc.listTenantCooperators({ keywords: u.email, page: '1', limit: '10' }));
  assert.equal(listed.totalCount, 1);
  assert.equal(listed.list[0].userId, u.userId);
  assert.equal(listed.list[0].external, true);
  assert.equal(listed.list[0].type, 'cooperator');
  assert.equal(listed.list[0].user.email, u.email);
  assert.equal(data(await mc.listTenantCooperators({ keywords: u.email, external: true })).totalCount, 1);
  assert.equal(data(await mc.listTenantCooperators({ keywords: u.email, external: false })).totalCount, 0);
  const orgCode = code('corp');
  const org = data(await mc.createOrganization({ organizationName: `Corp ${orgCode}`, organizationCode: orgCode }));
  data(await mc.addDepartmentMembers({ organizationCode: orgCode, departmentId: org.departmentId, userIds: [u.userId] }));
  assert.equal(data(await mc.listTenantCooperators({ keywords: u.email, external: true })).totalCount, 0);
  const internal = data(await mc.listTenantCooperators({ keywords: u.email, external: false }));
  assert.equal(internal.totalCount, 1);
  assert.equal(internal.list[0].external, false);

  // Granting again replaces the set.
  assert.equal((await mc.createTenantCooperator({ userId: u.userId, policies: [c3] })).statusCode, 200);
  assert.deepEqual(data(await mc.getTenantCooperator({ userId: u.userId })).authorizedPoliciesCode, [c3]);
  assert.deepEqual(data(await mc.getTenantCooperatorMenu({ userId: u.userId })).list, ['menu:audit']);
  // A deleted policy is no longer held.
  await v2.policies.delete(c3);
  assert.deepEqual(data(await mc.getTenantCooperator({ userId: u.userId })).authorizedPoliciesCode, []);
  assert.deepEqual(data(await mc.getTenantCooperatorMenu({ userId: u.userId })).list, []);

  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'cooperator', pagination: { page: 1, limit: 50 } }));
  assert.ok(logs.list.some(l => l.eventDetails.includes(u.userId) && l.success), 'audited');
});

test('createTenantCooperator refusals write nothing: unknown policy, unknown or foreign user, missing policies', async () => {
  const c = `pol_${rand(8)}`;
  await v2.policies.create({ code: c, statements: [{ resource: 'menu:x', effect: 'ALLOW', actions: ['x:read'] }] });
  const u = await newUser();
  const notCooperator = async () => {
    refused(await mc.getTenantCooperator({ userId: u.userId }), { statusCode: 404 });
    assert.equal(data(await mc.listTenantCooperators({ keywords: u.email })).totalCount, 0);
  };
  refused(await mc.createTenantCooperator({ userId: u.userId, policies: [c, 'no-such-policy'] }), { statusCode: 404 });
  await notCooperator();
  refused(await mc.createTenantCooperator({ userId: u.userId, policies: [] }), { statusCode: 400 });
  refused(await mc.createTenantCooperator({ userId: u.userId }), { statusCode: 400 });
  refused(await mc.createTenantCooperator({ userId: u.userId, policies: [c], sendPhoneNotification: true }));
  await notCooperator();
  refused(await mc.createTenantCooperator({ userId: 'no-such-user', policies: [c] }), { statusCode: 404 });
  const foreign = await newUser(other);
  refused(await mc.createTenantCooperator({ userId: foreign.userId, policies: [c] }), { statusCode: 404 });
  // The other pool cannot see this pool's cooperators either.
  assert.equal((await mc.createTenantCooperator({ userId: u.userId, policies: [c] })).statusCode, 200);
  refused(await other.getTenantCooperator({ userId: u.userId }), { statusCode: 404 });
  refused(await other.getTenantCooperatorMenu({ userId: u.userId }), { statusCode: 404 });
  assert.equal(data(await other.listTenantCooperators({ keywords: u.email })).totalCount, 0);
});

const ID1 = '11010519491231002X';
const ID2 = '440304198512124569';
const CARD1 = '6222021234567890123';
const CARD2 = '6217001234567890';
rememberSecrets(ID1, ID2, CARD1, CARD2);

function form(tenantId, extra = {}) {
  return {
    tenantId,
    businessName: 'Acme Ltd',
    businessLicense: 'https://files.example.com/licence.png',
    businessRegistrationName: '阿克米有限公司',
    unifiedSocialCredit: '91350100M000100Y43',
    legalRepresentativeName: '张三',
    nationalIdentificationNumber: ID1,
    personalBankCardNumber: CARD1,
    bankReservedPhone: '13800138000',
    ...extra,
  };
}

test('enterprise certification: submit, read masked, review, resubmit, refuse with a reason; only a certification under review is reviewed', async () => {
  const t = await newTenant();
  const get = async () => data(await mc.getTenantEnterpriseCertification({ tenantId: t.tenantId }));
  assert.deepEqual(await get(), { enterpriseCertificationStatus: 'not_submit' });
  // Nothing to review yet.
  refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'pass', reviewReason: '' }), { statusCode: 404 });
  refused(await mc.updateTenantEnterpriseCertification(form(t.tenantId)), { statusCode: 404 });

  assert.deepEqual(data(await mc.createTenantEnterpriseCertification(form(t.tenantId))), { success: true });
  const c = await get();
  assert.equal(c.enterpriseCertificationStatus, 'reviewing');
  assert.equal(c.businessName, 'Acme Ltd');
  assert.equal(c.businessRegistrationName, '阿克米有限公司');
  assert.equal(c.unifiedSocialCredit, '91350100M000100Y43');
  assert.equal(c.legalRepresentativeName, '张三');
  assert.equal(c.nationalIdentificationNumber, '110105********002X');
  assert.equal(c.personalBankCardNumber, '***************0123');
  assert.equal(c.bankReservedPhone, '138****8000');
  assert.ok(Date.parse(c.updatedAt) > 0);
  assert.ok(!JSON.stringify(c).includes(ID1) && !JSON.stringify(c).includes(CARD1), 'never whole');
  // A second submission is a duplicate: resubmit instead.
  refused(await mc.createTenantEnterpriseCertification(form(t.tenantId)), { statusCode: 409 });

  // `reviewing` and `not_submit` are not decisions; a refusal needs its reason.
  refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'reviewing', reviewReason: 'x' }), { statusCode: 400 });
  refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'not_submit', reviewReason: 'x' }), { statusCode: 400 });
  refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'approved', reviewReason: 'x' }), { statusCode: 400 });
  refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: '-1', reviewReason: ' ' }), { statusCode: 400 });
  assert.equal((await get()).enterpriseCertificationStatus, 'reviewing', 'nothing decided');

  assert.deepEqual(data(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'pass', reviewReason: 'ok' })), { success: true });
  assert.equal((await get()).enterpriseCertificationStatus, 'pass');
  // Decided: not under review any more.
  const again = refused(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: '-1', reviewReason: 'late' }), { statusCode: 409 });
  assert.match(again.message, /审核/);
  assert.equal((await get()).enterpriseCertificationStatus, 'pass');

  // A resubmission goes back under review, its reason cleared, the new numbers masked.
  data(await mc.updateTenantEnterpriseCertification(form(t.tenantId, { nationalIdentificationNumber: ID2, personalBankCardNumber: CARD2, businessName: 'Acme Group' })));
  const re = await get();
  assert.equal(re.enterpriseCertificationStatus, 'reviewing');
  assert.equal(re.reviewReason, null);
  assert.equal(re.businessName, 'Acme Group');
  assert.equal(re.nationalIdentificationNumber, '440304********4569');
  assert.equal(re.personalBankCardNumber, '************7890');
  data(await mc.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: '-1', reviewReason: '营业执照不清晰' }));
  const refusedCert = await get();
  assert.equal(refusedCert.enterpriseCertificationStatus, '-1');
  assert.equal(refusedCert.reviewReason, '营业执照不清晰');

  // Audited (approval and rejection), naming the tenant and never a number.
  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'tenant', pagination: { page: 1, limit: 100 } }));
  const mine = logs.list.filter(l => l.eventDetails.includes(t.tenantId));
  const ops = mine.filter(l => l.success).map(l => l.operationType);
  for (const op of ['create', 'update', 'approval', 'reject']) assert.ok(ops.includes(op), `${op} audited: ${ops}`);
  for (const l of mine) {
    for (const secret of [ID1, ID2, CARD1, CARD2, '13800138000']) assert.ok(!l.operationParam.includes(secret), l.operationParam);
  }
});

test('enterprise certification refusals write nothing: formats, lengths, missing fields, unknown or foreign tenant', async () => {
  const t = await newTenant();
  const notSubmitted = async () => assert.deepEqual(
    data(await mc.getTenantEnterpriseCertification({ tenantId: t.tenantId })), { enterpriseCertificationStatus: 'not_submit' });
  const bad = [
    { nationalIdentificationNumber: '110105194912310021' }, // wrong check character
    { nationalIdentificationNumber: '1101051949123100' }, // 16 characters
    { personalBankCardNumber: '6222-0212-3456-7890' },
    { personalBankCardNumber: '62220' },
    { bankReservedPhone: 'call me' },
    { unifiedSocialCredit: 'not-a-credit-code!' },
    { businessName: 'x'.repeat(201) },
    { businessName: '' },
    { legalRepresentativeName: undefined },
  ];
  for (const extra of bad) {
    refused(await mc.createTenantEnterpriseCertification(form(t.tenantId, extra)), { statusCode: 400 });
  }
  await notSubmitted();
  refused(await mc.createTenantEnterpriseCertification(form('no-such-tenant')), { statusCode: 404 });
  refused(await mc.createTenantEnterpriseCertification(form('')), { statusCode: 400 });
  refused(await mc.getTenantEnterpriseCertification({ tenantId: 'no-such-tenant' }), { statusCode: 404 });
  // Another pool cannot submit, read or review this pool's tenant.
  refused(await other.createTenantEnterpriseCertification(form(t.tenantId)), { statusCode: 404 });
  await notSubmitted();
  data(await mc.createTenantEnterpriseCertification(form(t.tenantId)));
  refused(await other.getTenantEnterpriseCertification({ tenantId: t.tenantId }), { statusCode: 404 });
  refused(await other.reviewTenantEnterpriseCertification({ tenantId: t.tenantId, enterpriseCertificationStatus: 'pass', reviewReason: '' }), { statusCode: 404 });
  refused(await other.updateTenantEnterpriseCertification(form(t.tenantId, { businessName: 'Hijack' })), { statusCode: 404 });
  const c = data(await mc.getTenantEnterpriseCertification({ tenantId: t.tenantId }));
  assert.equal(c.enterpriseCertificationStatus, 'reviewing');
  assert.equal(c.businessName, 'Acme Ltd');
  // A deleted tenant takes its certification along.
  data(await mc.deleteTenant({ tenantId: t.tenantId }));
  refused(await mc.getTenantEnterpriseCertification({ tenantId: t.tenantId }), { statusCode: 404 });
});
