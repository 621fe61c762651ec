// The pool's tenant and login-page configuration through authing-node-sdk@4.0.1's
// ManagementClient (`userpollTenantConfig`, `updateUserPoolTenantConfig`,
// `updateTenantQrCodeState`, `changeUserpoolTenanExtIdpConnState`, `listTenantApplications`,
// `updateLoginPageConfig`, `changeExtIdpConnAssociationState`, `extIdpConnStateByApps`), and
// what each setting governs: joining a tenant by invitation (`enableJoinTenant`), QR-code
// login for a tenant, the connections a tenant's login may use (the pool's offer to its
// tenants and each tenant's association), and the hosted login page's links. A login is a
// tenant's when the request names it in `x-authing-tenant-id` (v3-wire.md §3), added to the
// official AuthenticationClient's requests by an axios interceptor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TESSERA_URL, newEmailUser, pool, rand, PASSWORD } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3TenantCfg';
const OTHER = 'v3Invite';
const mc = v3(P);
const en = v3(P, { lang: 'en-US' });
const APPID = `wx-tc-${rand(6)}`;
const SECRET = 'wx-app-secret';
const CB = 'https://rp.example/tenant-cb';

/** The official AuthenticationClient, its requests naming `tenantId` when given. */
function authFor(tenantId) {
  const ac = v3Auth(P);
  if (tenantId) {
    ac.httpClient.axios.interceptors.request.use(cfg => {
      cfg.headers['x-authing-tenant-id'] = tenantId;
      return cfg;
    });
  }
  return ac;
}

async function newTenant(name = `租户-${rand(6)}`) {
  return data(await mc.createTenant({ name, appIds: [pool(P).appId] }));
}

/** A WeChat mini-program connection (the harness's mock accepts any `wx-…` code). */
async function wechatConn(extra = {}) {
  const idp = data(await mc.createExtIdp({ type: 'wechat', name: `WeChat ${rand(4)}`, ...extra }));
  const identifier = `wxtc-${rand(8)}`;
  const conn = data(await mc.createExtIdpConn({
    extIdpId: idp.id,
    type: 'wechat:miniprogram:default',
    identifier,
    displayName: `Mini ${identifier}`,
    fields: { appId: APPID, appSecret: SECRET },
    ...extra,
  }));
  return { idp, conn, identifier };
}

function wechatLogin(ac, identifier) {
  return ac.signInByMobile({
    extIdpConnidentifier: identifier,
    connection: 'wechat_mini_program_code',
    wechatMiniProgramCodePayload: { code: `wx-${rand(8)}`, encryptedData: '', iv: '' },
  });
}

test('defaults, round trip of the tenant configuration, and patches that keep each other\'s keys', async () => {
  const c = data(await mc.userpollTenantConfig());
  assert.equal(c.userPoolId, pool(P).userPoolId);
  assert.equal(c.enableJoinTenant, true, 'invitations worked before the setting existed');
  assert.equal(c.enableCreateTenant, false);
  assert.deepEqual(c.joinTenantScenes, []);
  assert.ok(c.loginConfig.enabledBasicLoginMethods.includes('SELF_BUILT_APP_QRCODE'));

  data(await mc.updateUserPoolTenantConfig({ update: {
    enableCreateTenant: true,
    createTenantScenes: ['console', 'guard'],
    ssoPageCustomizationSettings: { hideSocialLogin: true },
    config: { global: { title: 'Tenants' } },
  } }));
  // Another patch of other keys keeps the first one's.
  assert.deepEqual(data(await mc.updateUserPoolTenantConfig({ update: { enableVerifyDomain: true, verifyDomainScenes: ['join'] } })), { success: true });
  const after = data(await mc.userpollTenantConfig());
  assert.equal(after.enableCreateTenant, true);
  assert.deepEqual(after.createTenantScenes, ['console', 'guard']);
  assert.deepEqual(after.ssoPageCustomizationSettings, { hideSocialLogin: true });
  assert.deepEqual(after.config, { global: { title: 'Tenants' } });
  assert.equal(after.enableVerifyDomain, true);
  assert.deepEqual(after.verifyDomainScenes, ['join']);

  // Another pool's configuration is its own.
  const theirs = data(await v3(OTHER).userpollTenantConfig());
  assert.equal(theirs.userPoolId, pool(OTHER).userPoolId);
  assert.equal(theirs.enableCreateTenant, false);
  assert.deepEqual(theirs.createTenantScenes, []);
});

test('bad input is refused in the caller\'s language and changes nothing', async () => {
  const before = data(await mc.userpollTenantConfig());
  for (const body of [
    {},
    { update: 'x' },
    { update: { unknown: true } },
    { update: { enableJoinTenant: 'no' } },
    { update: { joinTenantScenes: 'console' } },
    { update: { joinTenantScenes: [1] } },
    { update: { ssoPageCustomizationSettings: { hideRegister: 'yes' } } },
    { update: { ssoPageCustomizationSettings: { showEverything: true } } },
    { update: { tabMethodsSortConfig: [] } },
    { update: { enableCreateTenant: false, config: 'x' } },
  ]) {
    refused(await mc.updateUserPoolTenantConfig(body), { statusCode: 400 });
    refused(await mc.updateLoginPageConfig(body), { statusCode: 400 });
  }
  refused(await mc.updateTenantQrCodeState({ enabled: 'yes' }), { statusCode: 400 });
  refused(await mc.updateTenantQrCodeState({}), { statusCode: 400 });
  refused(await en.updateUserPoolTenantConfig({ update: { enableJoinTenant: 'no' } }), { statusCode: 400, message: /enableJoinTenant/ });
  refused(await en.changeUserpoolTenanExtIdpConnState({ connIds: [], enabled: false }), { statusCode: 400, message: /connIds/ });
  refused(await mc.changeUserpoolTenanExtIdpConnState({ connIds: ['nope'], enabled: false }), { statusCode: 404 });
  refused(await mc.changeUserpoolTenanExtIdpConnState({ connIds: 'x', enabled: false }), { statusCode: 400 });
  refused(await mc.changeExtIdpConnAssociationState({ id: 'nope', association: false }), { statusCode: 400 });
  const t = await newTenant();
  refused(await mc.changeExtIdpConnAssociationState({ id: 'nope', association: false, tenantId: t.tenantId }), { statusCode: 404 });
  refused(await en.changeExtIdpConnAssociationState({ id: 'nope', association: false, tenantId: 'no-such-tenant' }), { statusCode: 404, message: /[A-Za-z]/ });
  refused(await mc.extIdpConnStateByApps({}), { statusCode: 400 });
  refused(await mc.extIdpConnStateByApps({ id: 'nope' }), { statusCode: 404 });
  assert.deepEqual(data(await mc.userpollTenantConfig()), before, 'nothing written');
});

test('the tenants\' QR-code state: off, a QR-code login for a tenant is refused while the pool\'s own still works', async () => {
  const t = await newTenant();
  const forTenant = authFor(t.tenantId);
  assert.ok(data(await forTenant.geneQrCode({ type: 'MOBILE_APP' })).qrcodeId);
  data(await mc.updateTenantQrCodeState({ enabled: false }));
  try {
    const c = data(await mc.userpollTenantConfig());
    assert.ok(!c.loginConfig.enabledBasicLoginMethods.includes('SELF_BUILT_APP_QRCODE'));
    refused(await forTenant.geneQrCode({ type: 'MOBILE_APP' }), { statusCode: 403, apiCode: 1001, message: /扫码登录/ });
    refused(await authFor(t.tenantId).exchangeTokenSetWithQrCodeTicket({ ticket: 'x', client_id: pool(P).appId, client_secret: pool(P).appSecret }), { statusCode: 403 });
    // The pool's own logins are not a tenant's.
    assert.ok(data(await authFor(null).geneQrCode({ type: 'MOBILE_APP' })).qrcodeId);
    // A tenant of another pool is not one of this pool.
    const theirs = data(await v3(OTHER).createTenant({ name: `别人-${rand(4)}`, appIds: [pool(OTHER).appId] }));
    refused(await authFor(theirs.tenantId).geneQrCode({ type: 'MOBILE_APP' }), { statusCode: 404 });
  } finally {
    data(await mc.updateTenantQrCodeState({ enabled: true }));
  }
  assert.ok(data(await forTenant.geneQrCode({ type: 'MOBILE_APP' })).qrcodeId);
  assert.ok(data(await mc.userpollTenantConfig()).loginConfig.enabledBasicLoginMethods.includes('SELF_BUILT_APP_QRCODE'));
});

test('connections in a tenant\'s login: the pool\'s offer, the tenant\'s association, a tenant\'s own connection; extIdpConnStateByApps lists what serves', async () => {
  const { idp, conn, identifier } = await wechatConn();
  const [a, b] = [await newTenant(), await newTenant()];
  const asA = authFor(a.tenantId);
  const asB = authFor(b.tenantId);
  assert.ok(data(await wechatLogin(asA, identifier)).access_token);
  const offered = c => c.loginConfig.enabledExtIdpConns.map(x => x.extIdpConnId);
  assert.ok(offered(data(await mc.userpollTenantConfig())).includes(conn.id));
  const listed = async (q) => data(await mc.extIdpConnStateByApps({ id: idp.id, ...q })).list.map(x => x.id);
  assert.deepEqual(await listed({ tenantId: a.tenantId }), [conn.id]);
  const one = data(await mc.extIdpConnStateByApps({ id: idp.id, tenantId: a.tenantId })).list[0];
  assert.deepEqual(one, { id: conn.id, name: conn.displayName, logo: '', tenantId: a.tenantId, type: 'wechat:miniprogram:default' });

  // Withdrawn from the pool's tenants: no tenant logs in through it, the pool still does.
  data(await mc.changeUserpoolTenanExtIdpConnState({ connIds: [conn.id], enabled: false }));
  try {
    refused(await wechatLogin(asA, identifier), { apiCode: 1001, message: /身份源未配置/ });
    refused(await wechatLogin(asB, identifier), { apiCode: 1001 });
    assert.ok(data(await wechatLogin(authFor(null), identifier)).access_token);
    assert.ok(!offered(data(await mc.userpollTenantConfig())).includes(conn.id));
    assert.deepEqual(await listed({ tenantId: a.tenantId }), []);
    assert.deepEqual(await listed({}), [conn.id], 'without a tenant the connection serves');
  } finally {
    data(await mc.changeUserpoolTenanExtIdpConnState({ connIds: [conn.id], enabled: true }));
  }

  // Tenant A dissociates it: A's logins through it are refused, B's are not.
  data(await mc.changeExtIdpConnAssociationState({ id: conn.id, association: false, tenantId: a.tenantId }));
  refused(await wechatLogin(asA, identifier), { apiCode: 1001 });
  assert.ok(data(await wechatLogin(asB, identifier)).access_token);
  assert.deepEqual(await listed({ tenantId: a.tenantId }), []);
  assert.deepEqual(await listed({ tenantId: b.tenantId }), [conn.id]);
  // The SDK's tenantId option names the tenant too.
  data(await v3(P, { tenantId: a.tenantId }).changeExtIdpConnAssociationState({ id: conn.id, association: true }));
  assert.ok(data(await wechatLogin(asA, identifier)).access_token);

  // Switched off in the pool's application: extIdpConnStateByApps with that appId lists none.
  data(await mc.changeExtIdpConnState({ id: conn.id, enabled: false, appId: pool(P).appId }));
  assert.deepEqual(await listed({ appId: pool(P).appId }), []);
  data(await mc.changeExtIdpConnState({ id: conn.id, enabled: true, appId: pool(P).appId }));
  assert.deepEqual(await listed({ appId: pool(P).appId, type: 'social' }), [conn.id]);
  assert.deepEqual(await listed({ appId: pool(P).appId, type: 'enterprise' }), []);

  // A connection of tenant B's own provider serves B's logins only.
  const own = await wechatConn({ tenantId: b.tenantId });
  assert.ok(data(await wechatLogin(asB, own.identifier)).access_token);
  refused(await wechatLogin(asA, own.identifier), { apiCode: 1001 });

  // Another pool cannot touch this pool's tenants or connections.
  const other = v3(OTHER);
  refused(await other.changeExtIdpConnAssociationState({ id: conn.id, association: false, tenantId: a.tenantId }), { statusCode: 404 });
  refused(await other.changeUserpoolTenanExtIdpConnState({ connIds: [conn.id], enabled: false }), { statusCode: 404 });
  refused(await other.extIdpConnStateByApps({ id: idp.id }), { statusCode: 404 });
  assert.ok(data(await wechatLogin(asA, identifier)).access_token, 'nothing changed');
});

test('enableJoinTenant off: an invitation cannot be accepted and nobody joins; on again, it can', async () => {
  const t = await newTenant();
  const ann = await newEmailUser(P, { prefix: 'tc-ann' });
  const [inv] = data(await mc.generateInviteTenantUserLink({
    validityTerm: '7', emails: [ann.email], appId: pool(P).appId, tenantId: t.tenantId,
  })).list;
  const accept = async (lang = 'zh-CN') => {
    const u = new URL(inv.inviteLink);
    const r = await fetch(`${u.origin}/tenant-invitation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
      body: new URLSearchParams({ userpool_id: u.searchParams.get('userpool_id'), token: u.searchParams.get('token'), password: PASSWORD }).toString(),
    });
    return { status: r.status, html: await r.text() };
  };
  const isMember = async () => (await mc.getTenantUser({ tenantId: t.tenantId, linkUserId: ann.user.id })).statusCode === 200;
  data(await mc.updateUserPoolTenantConfig({ update: { enableJoinTenant: false } }));
  try {
    assert.equal(data(await mc.userpollTenantConfig()).enableJoinTenant, false);
    const off = await accept('en-US');
    assert.notEqual(off.status, 200, off.html);
    assert.ok(off.html.includes('Joining a tenant is switched off'), off.html);
    assert.equal(await isMember(), false);
  } finally {
    data(await mc.updateUserPoolTenantConfig({ update: { enableJoinTenant: true } }));
  }
  const on = await accept();
  assert.equal(on.status, 200, on.html);
  assert.equal(await isMember(), true);
});

/** The hosted login page of a new authorization request of `appId`. */
async function hostedLogin(appId) {
  const url = `${TESSERA_URL}/oidc/auth?client_id=${appId}&redirect_uri=${encodeURIComponent(CB)}&response_type=code&scope=openid&state=s${rand(4)}`;
  const first = await fetch(url, { redirect: 'manual' });
  assert.ok([302, 303].includes(first.status), `a redirect to the login page: ${first.status}`);
  const cookies = first.headers.getSetCookie().map(c => c.split(';')[0]).join('; ');
  const page = await fetch(new URL(first.headers.get('location'), TESSERA_URL), { headers: { cookie: cookies } });
  assert.equal(page.status, 200);
  return page.text();
}

test('updateLoginPageConfig: the hosted login page hides the registration and password-reset links it is told to', async () => {
  const app = data(await mc.createApplication({ appName: `page-${rand(6)}`, appIdentifier: `page-${rand(10)}`, appType: 'web', redirectUris: [CB] }));
  const before = await hostedLogin(app.appId);
  assert.match(before, /\/register"/);
  assert.match(before, /\/reset"/);
  data(await mc.updateLoginPageConfig({ update: { ssoPageCustomizationSettings: { hideRegister: true, hideForgetPassword: true } } }));
  try {
    const hidden = await hostedLogin(app.appId);
    assert.doesNotMatch(hidden, /\/register"/);
    assert.doesNotMatch(hidden, /\/reset"/);
    // The page setting is the login page's, not the tenants'.
    assert.deepEqual(data(await mc.userpollTenantConfig()).ssoPageCustomizationSettings, { hideSocialLogin: true });
    // Another pool's page keeps its links.
    const theirs = data(await v3(OTHER).createApplication({ appName: `page-${rand(6)}`, appIdentifier: `page-${rand(10)}`, appType: 'web', redirectUris: [CB] }));
    assert.match(await hostedLogin(theirs.appId), /\/register"/);
  } finally {
    data(await mc.updateLoginPageConfig({ update: { ssoPageCustomizationSettings: { hideRegister: false, hideForgetPassword: false } } }));
  }
  assert.match(await hostedLogin(app.appId), /\/register"/);
});

/** A hosted login page with what posting its form takes: the form's action, the CSRF token
 *  and the interaction's cookies. */
async function hostedLoginForm(appId) {
  const url = `${TESSERA_URL}/oidc/auth?client_id=${appId}&redirect_uri=${encodeURIComponent(CB)}&response_type=code&scope=openid&state=s${rand(4)}`;
  const first = await fetch(url, { redirect: 'manual' });
  const cookie = first.headers.getSetCookie().map(c => c.split(';')[0]).join('; ');
  const html = await (await fetch(new URL(first.headers.get('location'), TESSERA_URL), { headers: { cookie } })).text();
  const action = html.match(/<form method="post" action="([^"]+)">/)[1].replaceAll('&#x2F;', '/').replaceAll('&amp;', '&');
  const csrf = html.match(/name="csrf" value="([^"]+)"/)[1];
  return { html, cookie, csrf, login: new URL(action.replace(/\/[^/]*$/, '/login'), TESSERA_URL), send: new URL(action.replace(/\/[^/]*$/, '/send-code'), TESSERA_URL) };
}

async function postForm(url, cookie, fields) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en-US' },
    body: new URLSearchParams(fields).toString()
  });
}

test('updateLoginPageConfig: a hidden sign-in method is gone from the hosted page and its form posts are refused; shown again, it signs in', async () => {
  const app = data(await mc.createApplication({ appName: `hide-${rand(6)}`, appIdentifier: `hide-${rand(10)}`, appType: 'web', redirectUris: [CB] }));
  const { email, password } = await newEmailUser(P);
  data(await mc.updateLoginPageConfig({ update: { ssoPageCustomizationSettings: { hideUserPasswordLogin: true, hideLoginByPhoneCode: true } } }));
  try {
    const f = await hostedLoginForm(app.appId);
    assert.doesNotMatch(f.html, /autocomplete="current-password"/, 'no password field');
    assert.doesNotMatch(f.html, /name="phone"/, 'no phone field');
    assert.match(f.html, /name="email"/, 'the email code stays');
    // The right password, posted as the hidden form would: refused on the page, no code issued.
    const r = await postForm(f.login, f.cookie, { csrf: f.csrf, mode: 'password', account: email, password });
    assert.equal(r.status, 400);
    const body = await r.text();
    assert.match(body, /This sign-in method is not available for this application/);
    assert.equal(r.headers.get('location'), null);
    // Nor does the page send SMS codes.
    const s = await postForm(f.send, f.cookie, { csrf: f.csrf, phone: '13800000000' });
    assert.equal(s.status, 400);
    assert.match(await s.text(), /This sign-in method is not available for this application/);
  } finally {
    data(await mc.updateLoginPageConfig({ update: { ssoPageCustomizationSettings: { hideUserPasswordLogin: false, hideLoginByPhoneCode: false } } }));
  }
  const f = await hostedLoginForm(app.appId);
  assert.match(f.html, /autocomplete="current-password"/);
  const r = await postForm(f.login, f.cookie, { csrf: f.csrf, mode: 'password', account: email, password });
  // Signed in: the next step is the consent page (a first authorization of this app).
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<title>Authorize access/);
});

test('listTenantApplications: the pool\'s applications by keyword, in pages; none is an SSO one', async () => {
  const tag = `tapp${rand(6)}`;
  for (const n of [1, 2, 3]) {
    data(await mc.createApplication({ appName: `${tag}-${n}`, appIdentifier: `${tag}-${n}-${rand(6)}`, appDescription: `d${n}` }));
  }
  const page1 = data(await mc.listTenantApplications({ page: '1', limit: '2', keywords: tag, ssoEnabled: false }));
  assert.equal(page1.totalCount, 3);
  assert.equal(page1.list.length, 2);
  const x = page1.list[0];
  assert.equal(x.userPoolId, pool(P).userPoolId);
  assert.equal(x.appId, x.tenantAppId);
  assert.equal(x.name, `${tag}-1`);
  assert.equal(x.description, 'd1');
  assert.equal(x.ssoEnabled, false);
  assert.equal(typeof x.applicationType, 'string');
  assert.equal(data(await mc.listTenantApplications({ page: '2', limit: '2', keywords: tag, ssoEnabled: false })).list.length, 1);
  assert.equal(data(await mc.listTenantApplications({ page: '1', limit: '10', keywords: tag, ssoEnabled: true })).totalCount, 0);
  assert.equal(data(await v3(OTHER).listTenantApplications({ page: '1', limit: '10', keywords: tag, ssoEnabled: false })).totalCount, 0);
  refused(await mc.listTenantApplications({ page: 'x', limit: '10', keywords: tag, ssoEnabled: false }), { statusCode: 400 });
  refused(await en.listTenantApplications({ page: '1', limit: '10', keywords: tag, ssoEnabled: 'maybe' }), { statusCode: 400, message: /sso_enabled/ });
});
