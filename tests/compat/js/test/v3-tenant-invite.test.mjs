// Tenant invitations through the v3 ManagementClient (`generateInviteTenantUserLink`,
// `listInviteTennatUserRecords`, `sendInviteTenantUserEmail`, `v3-wire.md` "Tenants"): links
// for valid addresses with the others in errMsgs; the records listed by keyword; the
// invitation email (in the harness's SMTP sink) carries a link to the hosted invitation page,
// where the invitee signs in with their password and becomes a tenant member, once; the
// other invitee's password does not accept it; bad input is refused and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TESSERA_URL, mailboxSeq, newEmailUser, pool, rand, waitMail, PASSWORD } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const P = 'v3Invite';
const mc = v3(P);
const appId = () => pool(P).appId;

let tenant;

async function newTenant() {
  return data(await mc.createTenant({ name: `邀请-${rand(6)}`, appIds: [appId()] }));
}

async function isMember(tenantId, userId) {
  const r = await mc.getTenantUser({ tenantId, linkUserId: userId });
  return r.statusCode === 200;
}

/** The hosted page of a link; `{status, html}`. */
async function openLink(link) {
  const r = await fetch(link);
  return { status: r.status, html: await r.text(), headers: r.headers };
}

/** Submits the page's form with a password. */
async function acceptWith(link, password, lang = 'zh-CN') {
  const u = new URL(link);
  const r = await fetch(`${u.origin}/tenant-invitation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
    body: new URLSearchParams({
      userpool_id: u.searchParams.get('userpool_id'),
      token: u.searchParams.get('token'),
      password,
    }).toString(),
  });
  return { status: r.status, html: await r.text() };
}

async function records(keywords) {
  return data(await mc.listInviteTennatUserRecords({ keywords, page: '1', limit: '10' }));
}

test('generateInviteTenantUserLink: a link per valid address, the others in errMsgs; the link admits its address once', async () => {
  tenant = await newTenant();
  const ann = await newEmailUser(P, { prefix: 'inv-ann' });
  const bob = await newEmailUser(P, { prefix: 'inv-bob' });
  const d = data(await mc.generateInviteTenantUserLink({
    validityTerm: '7', emails: [ann.email, 'not an address', bob.email], appId: appId(), tenantId: tenant.tenantId,
  }));
  assert.equal(d.list.length, 2);
  assert.deepEqual(d.errMsgs.map(e => e.email), ['not an address']);
  assert.ok(d.errMsgs[0].message.length > 0);
  const [a, b] = d.list;
  assert.equal(a.inviteAccount, ann.email);
  assert.equal(a.verifiedStatus, 'pending');
  assert.equal(typeof a.recordId, 'number');
  assert.equal(b.recordId, a.recordId + 1);
  assert.ok(a.inviteLink.startsWith(`${TESSERA_URL}/tenant-invitation?userpool_id=${pool(P).userPoolId}&token=`), a.inviteLink);
  assert.ok(!Number.isNaN(Date.parse(a.createdAt)));
  assert.equal(a.activatedAt, null);

  // Listed by keyword; the link is not kept, so the list has none.
  const listed = await records(ann.email.slice(0, 12));
  assert.equal(listed.totalCount, 1);
  assert.equal(listed.list[0].inviteAccount, ann.email);
  assert.equal(listed.list[0].inviteLink, '');

  // The page shows the tenant and the address, sends no referrer and is not cached.
  const shown = await openLink(a.inviteLink);
  assert.equal(shown.status, 200);
  assert.ok(shown.html.includes(tenant.name), 'tenant name shown');
  assert.ok(shown.html.includes(ann.email), 'invited address shown');
  assert.equal(shown.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(shown.headers.get('cache-control'), 'no-store');

  // Bob's password is not ann's: refused, not a member.
  const wrong = await acceptWith(a.inviteLink, 'wrong-password');
  assert.equal(wrong.status, 400);
  assert.equal(await isMember(tenant.tenantId, ann.user.id), false);

  const ok = await acceptWith(a.inviteLink, PASSWORD, 'en-US');
  assert.equal(ok.status, 200, ok.html);
  assert.ok(ok.html.includes('You have joined the tenant'));
  assert.equal(await isMember(tenant.tenantId, ann.user.id), true);
  assert.equal(await isMember(tenant.tenantId, bob.user.id), false);
  const after = await records(ann.email.slice(0, 12));
  assert.equal(after.list[0].verifiedStatus, 'activated');
  assert.ok(!Number.isNaN(Date.parse(after.list[0].activatedAt)));

  // Used: the page says so and a second accept does nothing.
  assert.equal((await openLink(a.inviteLink)).status, 410);
  assert.equal((await acceptWith(a.inviteLink, PASSWORD)).status, 410);
  // A made-up token.
  const u = new URL(a.inviteLink);
  u.searchParams.set('token', `x${rand(40)}`);
  assert.equal((await openLink(u.toString())).status, 400);
});

test('sendInviteTenantUserEmail: the email carries the link that makes the invitee a member', async () => {
  const carl = await newEmailUser(P, { prefix: 'inv-carl' });
  const since = await mailboxSeq();
  data(await mc.sendInviteTenantUserEmail({
    validityTerm: '3', emails: [carl.email], appId: appId(), tenantId: tenant.tenantId,
  }));
  const mail = await waitMail(carl.email, since);
  assert.match(mail.subject, /Invitation to join a tenant/);
  assert.ok(mail.text.includes(tenant.name), mail.text);
  assert.ok(mail.text.includes('3 天') && mail.text.includes('3 days'), mail.text);
  const link = mail.text.match(/https?:\/\/\S+\/tenant-invitation\?\S+/)[0];
  const listed = await records(carl.email.slice(0, 12));
  assert.equal(listed.totalCount, 1);
  assert.equal(listed.list[0].verifiedStatus, 'pending');
  assert.equal((await openLink(link)).status, 200);
  const ok = await acceptWith(link, PASSWORD);
  assert.equal(ok.status, 200, ok.html);
  assert.ok(ok.html.includes('您已加入租户'));
  assert.equal(await isMember(tenant.tenantId, carl.user.id), true);
});

test('bad input is refused with a message and writes nothing', async () => {
  const base = { validityTerm: '7', emails: [`nobody-${rand(6)}@example.com`], appId: appId(), tenantId: tenant.tenantId };
  const before = (await records('@')).totalCount;
  for (const [change, statusCode] of [
    [{ validityTerm: '0' }, 400],
    [{ validityTerm: '31' }, 400],
    [{ validityTerm: 'PERMANENT' }, 400],
    [{ validityTerm: undefined }, 400],
    [{ appId: undefined }, 400],
    [{ appId: 'no-such-app' }, 404],
    [{ tenantId: undefined }, 400],
    [{ tenantId: 'no-such-tenant' }, 404],
    [{ emails: [] }, 400],
    [{ emails: undefined }, 400],
  ]) {
    const body = { ...base, ...change };
    refused(await mc.generateInviteTenantUserLink(body), { statusCode });
    refused(await mc.sendInviteTenantUserEmail(body), { statusCode });
  }
  // An application the tenant does not use.
  const app = data(await mc.createApplication({ appName: `other-${rand(4)}`, appIdentifier: `other-${rand(8)}`, appType: 'web' }));
  refused(await mc.generateInviteTenantUserLink({ ...base, appId: app.appId }), { statusCode: 400 });
  // The email call sends to every address or to none.
  refused(await mc.sendInviteTenantUserEmail({ ...base, emails: [...base.emails, 'nope'] }), { statusCode: 400 });
  const en = refused(await v3(P, { lang: 'en-US' }).generateInviteTenantUserLink({ ...base, validityTerm: '0' }), { statusCode: 400 });
  assert.doesNotMatch(en.message, /[\u3400-\u9fff]/);
  assert.equal((await records('@')).totalCount, before);
  refused(await mc.listInviteTennatUserRecords({ keywords: '', page: 'x', limit: '10' }), { statusCode: 400 });
});
