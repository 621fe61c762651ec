// mc.applications through the official ManagementClient: list, create (with the OIDC client
// settings), findById, update, delete, refreshApplicationSecret, changeApplicationType,
// activeUsers, applicationTenants and the agreements, with bad input and cross-pool isolation. Only this file creates applications
// in the `mgmtApps` pool, so its counts are exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, client, rejectsWith, newEmailUser, rand, HAS_CJK, TESSERA_URL } from './helpers.mjs';

const mc = () => mgmt('mgmtApps');
const other = () => mgmt('mgmtOther');

async function newApp(extra = {}) {
  return mc().applications.create({
    name: `app-${rand(6)}`,
    identifier: `app-${rand(10)}`,
    redirectUris: ['https://example.com/callback'],
    ...extra
  });
}

test('create: random secret, identifier and redirect URIs; findById returns it', async () => {
  const identifier = `idf-${rand(10)}`;
  const a = await mc().applications.create({
    name: '我的应用',
    identifier,
    redirectUris: ['https://example.com/cb', 'http://localhost:3000/cb'],
    logo: 'https://example.com/logo.png'
  });
  assert.match(a.id, /^[0-9a-f]{24}$/);
  assert.equal(a.name, '我的应用');
  assert.equal(a.identifier, identifier);
  assert.equal(a.userPoolId, pool('mgmtApps').userPoolId);
  assert.match(a.secret, /^[0-9a-f]{32}$/);
  assert.deepEqual(a.redirectUris, ['https://example.com/cb', 'http://localhost:3000/cb']);
  assert.equal(a.logo, 'https://example.com/logo.png');
  const b = await newApp();
  assert.notEqual(a.secret, b.secret, 'every application gets its own secret');

  const found = await mc().applications.findById(a.id);
  assert.equal(found.id, a.id);
  assert.equal(found.secret, a.secret);
  assert.equal(found.identifier, identifier);
  assert.deepEqual(found.oidcConfig.redirect_uris, a.redirectUris);
});

test('create: bad input is refused and writes nothing', async () => {
  const before = (await mc().applications.list({ page: 1, limit: 1000 })).totalCount;
  await rejectsWith(mc().applications.create({ identifier: `x-${rand(8)}` }), 2231, 'no name');
  await rejectsWith(mc().applications.create({ name: 123 }), 2231, 'name not a string');
  await rejectsWith(
    mc().applications.create({ name: 'x', identifier: 'not a label!' }),
    2231,
    'identifier'
  );
  await rejectsWith(
    mc().applications.create({ name: 'x', redirectUris: ['javascript:alert(1)'] }),
    2231,
    'redirect uri'
  );
  const taken = await newApp();
  await rejectsWith(
    mc().applications.create({ name: 'dup', identifier: taken.identifier }),
    2039,
    'identifier taken'
  );
  const after = (await mc().applications.list({ page: 1, limit: 1000 })).totalCount;
  assert.equal(after, before + 1, 'only the valid application was added');
});

// Every OIDC client setting, under the names Authing's console uses.
const OIDC = {
  redirectUris: ['https://shop.example.com/cb', 'http://127.0.0.1:8080/cb', 'com.example.shop:/cb'],
  logoutRedirectUris: ['https://shop.example.com/bye'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  responseTypes: ['code', 'code id_token'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  idTokenSignedResponseAlg: 'HS256',
  idTokenExpiresIn: 600,
  accessTokenExpiresIn: 3600,
  refreshTokenExpiresIn: 86400,
  requirePkce: true,
  allowPlainPkce: true,
  skipConsent: true
};

/** The settings of an application object under the OIDC names. */
function oidcOf(app) {
  return Object.fromEntries(Object.keys(OIDC).map(k => [k, app[k]]));
}

test('create: every OIDC setting is kept; findById shows it, also in oidcConfig', async () => {
  const a = await mc().applications.create({
    name: `oidc-${rand(6)}`,
    identifier: `oidc-${rand(10)}`,
    ...OIDC
  });
  assert.deepEqual(oidcOf(a), OIDC);
  const found = await mc().applications.findById(a.id);
  assert.deepEqual(oidcOf(found), OIDC);
  const c = found.oidcConfig;
  assert.equal(c.client_id, a.id);
  assert.deepEqual(c.redirect_uris, OIDC.redirectUris);
  assert.deepEqual(c.post_logout_redirect_uris, OIDC.logoutRedirectUris);
  assert.deepEqual(c.grant_types, OIDC.grantTypes);
  assert.deepEqual(c.response_types, OIDC.responseTypes);
  assert.equal(c.token_endpoint_auth_method, 'client_secret_basic');
  assert.equal(c.id_token_signed_response_alg, 'HS256');
  assert.equal(c.id_token_expire, 600);
  assert.equal(c.access_token_expire, 3600);
  assert.equal(c.refresh_token_expire, 86400);
  assert.equal(c.require_pkce, true);
  assert.equal(c.allow_plain_pkce, true);
  assert.equal(c.skip_consent, true);

  // Settings not given take the defaults.
  const d = await mc().applications.findById((await newApp({ skipConsent: true })).id);
  assert.deepEqual(d.grantTypes, ['authorization_code', 'refresh_token']);
  assert.deepEqual(d.responseTypes, ['code']);
  assert.deepEqual(d.logoutRedirectUris, []);
  assert.equal(d.tokenEndpointAuthMethod, 'client_secret_post');
  assert.equal(d.idTokenSignedResponseAlg, 'RS256');
  assert.equal(d.requirePkce, false);
  assert.equal(d.skipConsent, true);
});

test('create: bad OIDC settings give 2231 and create nothing', async () => {
  const before = (await mc().applications.list({ page: 1, limit: 1000 })).totalCount;
  const bad = [
    { redirectUris: ['http://shop.example.com/cb'] },
    { redirectUris: ['https://shop.example.com/cb#fragment'] },
    { redirectUris: ['myapp:/cb'] },
    { redirectUris: [42] },
    { logoutRedirectUris: ['/relative'] },
    { grantTypes: ['authorization_code', 'made_up'] },
    { grantTypes: [] },
    { responseTypes: ['code none'] },
    { responseTypes: ['code code'] },
    { tokenEndpointAuthMethod: 'private_key_jwt' },
    { idTokenSignedResponseAlg: 'none' },
    { idTokenExpiresIn: 0 },
    { accessTokenExpiresIn: 1.5 },
    { refreshTokenExpiresIn: 11 * 365 * 24 * 3600 },
    { requirePkce: 'yes' },
    { skipConsent: 1 }
  ];
  for (const b of bad) {
    const e = await rejectsWith(
      mc().applications.create({ name: 'bad', identifier: `bad-${rand(10)}`, ...b }),
      2231,
      JSON.stringify(b)
    );
    const field = Object.keys(b)[0];
    assert.ok(e.message.includes(field), `${JSON.stringify(b)}: the message names ${field}: ${e.message}`);
  }
  const after = (await mc().applications.list({ page: 1, limit: 1000 })).totalCount;
  assert.equal(after, before, 'no application was created');
});

test('update: POST and PUT /api/v2/applications/<id> change only what they are given', async () => {
  const a = await mc().applications.create({ name: 'before', identifier: `upd-${rand(10)}`, ...OIDC });
  // The SDK has no method for it; its own HTTP client sends the request as the SDK would.
  const http = mc().applications.httpClient;
  const url = `${TESSERA_URL}/api/v2/applications/${a.id}`;
  const put = await http.request({
    method: 'PUT',
    url,
    data: { name: 'after', redirectUris: ['https://new.example.com/cb'], skipConsent: false }
  });
  assert.equal(put.name, 'after');
  assert.deepEqual(put.redirectUris, ['https://new.example.com/cb']);
  const expected = { ...OIDC, redirectUris: ['https://new.example.com/cb'], skipConsent: false };
  assert.deepEqual(oidcOf(put), expected);

  const post = await http.request({
    method: 'POST',
    url,
    data: { appType: 'BOTH', accessTokenExpiresIn: 120, grantTypes: ['client_credentials'] }
  });
  assert.equal(post.appType, 'BOTH');
  Object.assign(expected, { accessTokenExpiresIn: 120, grantTypes: ['client_credentials'] });
  assert.deepEqual(oidcOf(post), expected);

  const found = await mc().applications.findById(a.id);
  assert.deepEqual(oidcOf(found), expected);
  assert.equal(found.name, 'after');
  assert.equal(found.secret, a.secret);
  assert.deepEqual(found.oidcConfig.grant_types, ['client_credentials']);

  // A bad value (or type) beside good ones writes nothing.
  await rejectsWith(
    http.request({ method: 'PUT', url, data: { name: 'x', skipConsent: true, grantTypes: ['nope'] } }),
    2231
  );
  await rejectsWith(http.request({ method: 'POST', url, data: { name: 'x', appType: 'NOPE' } }), 2231);
  await rejectsWith(http.request({ method: 'PUT', url, data: { requirePkce: 'no' } }), 2231);
  const unchanged = await mc().applications.findById(a.id);
  assert.deepEqual(oidcOf(unchanged), expected);
  assert.equal(unchanged.name, 'after');
  assert.equal(unchanged.appType, 'BOTH');

  // changeApplicationType still works alone, and keeps the settings.
  const t = await mc().applications.changeApplicationType(a.id, 'Tenant');
  assert.equal(t.appType, 'Tenant');
  assert.deepEqual(oidcOf(t), expected);

  // Another pool's token reaches nothing.
  await rejectsWith(
    other().applications.httpClient.request({ method: 'PUT', url, data: { name: 'stolen' } }),
    2011
  );
  await rejectsWith(
    http.request({ method: 'PUT', url: `${TESSERA_URL}/api/v2/applications/000000000000000000000000`, data: { name: 'x' } }),
    2011
  );
  assert.equal((await mc().applications.findById(a.id)).name, 'after');
});

test('list: pages in a stable order with the total count', async () => {
  for (let i = 0; i < 3; i++) await newApp();
  const all = await mc().applications.list({ page: 1, limit: 1000 });
  assert.equal(all.totalCount, all.list.length);
  assert.ok(all.list.some(a => a.id === pool('mgmtApps').appId), 'the pool\'s first app is listed');
  const seen = [];
  for (let page = 1; ; page++) {
    const p = await mc().applications.list({ page, limit: 2 });
    assert.equal(p.totalCount, all.totalCount);
    if (p.list.length === 0) break;
    seen.push(...p.list.map(a => a.id));
  }
  assert.deepEqual(seen, all.list.map(a => a.id), 'pages concatenate to the full list');
  await rejectsWith(mc().applications.list({ page: 1, limit: 1e9 }), 2231, 'limit 10^9');
  await rejectsWith(mc().applications.list({ page: -1, limit: 10 }), 2231, 'negative page');
  await rejectsWith(mc().applications.list({ page: 'x', limit: 10 }), 2231, 'page not a number');
});

test('findById / delete of an unknown application → 2011, in English on request', async () => {
  await rejectsWith(mc().applications.findById('000000000000000000000000'), 2011);
  const e = await rejectsWith(mc().applications.delete('000000000000000000000000'), 2011);
  assert.ok(HAS_CJK.test(e.message), `zh-CN by default: ${e.message}`);
  const en = mgmt('mgmtApps', { lang: 'en-US' });
  const e2 = await rejectsWith(en.applications.findById('000000000000000000000000'), 2011);
  assert.equal(e2.message, 'Application does not exist');
});

test('delete: the application and its agreements are gone', async () => {
  const a = await newApp();
  await mc().applications.createAgreement(a.id, { title: 'terms' });
  assert.equal(await mc().applications.delete(a.id), true);
  await rejectsWith(mc().applications.findById(a.id), 2011);
  await rejectsWith(mc().applications.listAgreement(a.id), 2011);
  await rejectsWith(mc().applications.delete(a.id), 2011, 'second delete');
});

test('refreshApplicationSecret: a new secret, kept by findById', async () => {
  const a = await newApp();
  const r = await mc().applications.refreshApplicationSecret(a.id);
  assert.equal(r.id, a.id);
  assert.match(r.secret, /^[0-9a-f]{32}$/);
  assert.notEqual(r.secret, a.secret);
  assert.equal((await mc().applications.findById(a.id)).secret, r.secret);
  await rejectsWith(
    mc().applications.refreshApplicationSecret('000000000000000000000000'),
    2011
  );
});

test('changeApplicationType: INDIVIDUAL by default, Tenant and BOTH; bad type refused', async () => {
  const a = await newApp();
  assert.equal((await mc().applications.findById(a.id)).appType, 'INDIVIDUAL');
  const t = await mc().applications.changeApplicationType(a.id, 'Tenant');
  assert.equal(t.appType, 'Tenant');
  assert.equal((await mc().applications.findById(a.id)).appType, 'Tenant');
  assert.equal((await mc().applications.changeApplicationType(a.id, 'BOTH')).appType, 'BOTH');
  await rejectsWith(mc().applications.changeApplicationType(a.id, 'NOPE'), 2231);
  assert.equal((await mc().applications.findById(a.id)).appType, 'BOTH', 'unchanged');
});

test('activeUsers: users who signed in to the application, paged', async () => {
  const a = await newApp();
  assert.equal((await mc().applications.activeUsers(a.id)).totalCount, 0);
  const u1 = await newEmailUser('mgmtApps');
  const u2 = await newEmailUser('mgmtApps');
  for (const u of [u1, u2]) {
    await client('mgmtApps', { appId: a.id }).loginByEmail(u.email, u.password);
  }
  const page = await mc().applications.activeUsers(a.id, 1, 10);
  assert.equal(page.totalCount, 2);
  assert.deepEqual(new Set(page.list.map(u => u.id)), new Set([u1.user.id, u2.user.id]));
  const first = await mc().applications.activeUsers(a.id, 1, 1);
  const second = await mc().applications.activeUsers(a.id, 2, 1);
  assert.equal(first.list.length, 1);
  assert.equal(second.list.length, 1);
  assert.notEqual(first.list[0].id, second.list[0].id);
  await rejectsWith(mc().applications.activeUsers(a.id, 1, 1e9), 2231);
  await rejectsWith(mc().applications.activeUsers(a.id, -1, 10), 2231);
  await rejectsWith(mc().applications.activeUsers('000000000000000000000000'), 2011);
});

test('applicationTenants: the application and the tenants using it', async () => {
  const a = await newApp();
  const empty = await mc().applications.applicationTenants(a.id);
  assert.equal(empty.id, a.id);
  assert.deepEqual(empty.tenants, []);
  const t = await mc().tenant.create({ name: `t-${rand(6)}`, appIds: a.id });
  const withT = await mc().applications.applicationTenants(a.id);
  assert.deepEqual(withT.tenants.map(x => x.id), [t.id]);
  await mc().applications.delete(a.id);
  const after = await mc().tenant.details(t.id);
  assert.deepEqual(after.appIds, [], 'deleting the app removes it from its tenants');
  await mc().tenant.delete(t.id);
});

test('agreements: create (SDK defaults), list in order, modify, sort, delete', async () => {
  const a = await newApp();
  const x = await mc().applications.createAgreement(a.id, { title: '<a href="https://e.com/t">服务条款</a>' });
  assert.equal(typeof x.id, 'number');
  assert.equal(x.lang, 'zh-CN');
  assert.equal(x.required, true);
  assert.equal(x.appId, a.id);
  const y = await mc().applications.createAgreement(a.id, { title: 'Privacy', lang: 'en-US', required: false });
  assert.equal(y.lang, 'en-US');
  assert.equal(y.required, false);
  assert.ok(y.order > x.order);

  let list = await mc().applications.listAgreement(a.id);
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.list.map(g => g.id), [x.id, y.id]);

  const m = await mc().applications.modifyAgreement(a.id, x.id, { title: 'Terms v2', required: false });
  assert.equal(m.title, 'Terms v2');
  assert.equal(m.required, false);
  assert.equal(m.lang, 'zh-CN', 'unchanged fields are kept');

  assert.equal(await mc().applications.sortAgreement(a.id, [y.id, x.id]), true);
  list = await mc().applications.listAgreement(a.id);
  assert.deepEqual(list.list.map(g => g.id), [y.id, x.id]);

  // A partial order or an unknown id is refused and changes nothing.
  await rejectsWith(mc().applications.sortAgreement(a.id, [y.id]), 2231);
  await rejectsWith(mc().applications.sortAgreement(a.id, [y.id, 12345]), 2231);
  list = await mc().applications.listAgreement(a.id);
  assert.deepEqual(list.list.map(g => g.id), [y.id, x.id]);

  assert.equal(await mc().applications.deleteAgreement(a.id, y.id), true);
  list = await mc().applications.listAgreement(a.id);
  assert.deepEqual(list.list.map(g => g.id), [x.id]);
  await rejectsWith(mc().applications.deleteAgreement(a.id, y.id), 404, 'already deleted');
  await rejectsWith(mc().applications.modifyAgreement(a.id, 999, { title: 'x' }), 404);
});

test('agreements: bad input is refused and writes nothing', async () => {
  const a = await newApp();
  await rejectsWith(mc().applications.createAgreement(a.id, {}), 2231, 'no title');
  await rejectsWith(mc().applications.createAgreement(a.id, { title: 't', lang: 'xx' }), 2231);
  await rejectsWith(mc().applications.createAgreement(a.id, { title: 't', required: 'yes' }), 2231);
  await rejectsWith(
    mc().applications.createAgreement('000000000000000000000000', { title: 't' }),
    2011
  );
  assert.equal((await mc().applications.listAgreement(a.id)).totalCount, 0);
});

test('cross-pool isolation: another pool\'s token cannot see or change these applications', async () => {
  const a = await newApp();
  const g = await mc().applications.createAgreement(a.id, { title: 'mine' });
  await rejectsWith(other().applications.findById(a.id), 2011);
  await rejectsWith(other().applications.delete(a.id), 2011);
  await rejectsWith(other().applications.refreshApplicationSecret(a.id), 2011);
  await rejectsWith(other().applications.changeApplicationType(a.id, 'BOTH'), 2011);
  await rejectsWith(other().applications.activeUsers(a.id), 2011);
  await rejectsWith(other().applications.applicationTenants(a.id), 2011);
  await rejectsWith(other().applications.listAgreement(a.id), 2011);
  await rejectsWith(other().applications.createAgreement(a.id, { title: 'x' }), 2011);
  await rejectsWith(other().applications.modifyAgreement(a.id, g.id, { title: 'x' }), 2011);
  await rejectsWith(other().applications.deleteAgreement(a.id, g.id), 2011);
  await rejectsWith(other().applications.sortAgreement(a.id, [g.id]), 2011);
  const theirs = await other().applications.list({ page: 1, limit: 1000 });
  assert.ok(!theirs.list.some(x => x.id === a.id), 'not in the other pool\'s list');
  const still = await mc().applications.findById(a.id);
  assert.equal(still.secret, a.secret);
  assert.equal(still.appType, 'INDIVIDUAL');
  assert.equal((await mc().applications.listAgreement(a.id)).list[0].title, 'mine');
});
