// v3 Applications family through authing-node-sdk@4.0.1 — applications, their secrets,
// access policies and active users — plus the Users family's application questions
// (accessible, authorized, signed-in apps, session status). Writes are read back through v3
// and through the v2 ManagementClient; access policies and secrets are proven by their
// effect on logins and on the OpenID Provider's token endpoint. Pool 'v3Apps'; 'v3Sign' is
// only read, as the other pool of the isolation checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationClient } from 'authing-js-sdk';
import {
  TESSERA_URL, PASSWORD, mgmt, pool, rand, rejectsWith, rememberSecrets, uniqueEmail,
} from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Apps';
const mc = v3(P);
const CB = 'https://rp.example/cb';

async function newApp(extra = {}) {
  return data(await mc.createApplication({
    appName: `app-${rand(6)}`,
    appIdentifier: `v3app-${rand(10)}`,
    redirectUris: [CB],
    ...extra,
  }));
}

/** A user of the pool with a password, made by the administrator. */
async function newUser() {
  const email = uniqueEmail('v3app');
  const u = data(await mc.createUser({ email, password: PASSWORD }));
  return { email, id: u.userId };
}

/** A v2 login of `email` through application `appId`. */
function loginThrough(appId, email) {
  return new AuthenticationClient({ appId, appHost: pool(P).appHost }).loginByEmail(email, PASSWORD);
}

/** The OpenID Provider's client-credentials grant with a client secret. */
async function clientCredentials(appId, secret) {
  const res = await fetch(`${TESSERA_URL}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: 'read' }),
  });
  return { status: res.status, body: await res.json() };
}

// --- applications -------------------------------------------------------------------------

test('createApplication → get, simple info, lists (v3) and applications.findById (v2)', async () => {
  const name = `Shop ${rand(6)}`;
  const identifier = `shop-${rand(10)}`;
  const a = data(await mc.createApplication({
    appName: name, appIdentifier: identifier, appType: 'spa', appDescription: 'the shop',
    appLogo: 'https://cdn.example/logo.png', defaultProtocol: 'oidc',
    redirectUris: [CB], logoutRedirectUris: ['https://rp.example/bye'],
    oidcConfig: { id_token_expire: 600, require_pkce: true },
    loginConfig: { showAuthorizationPage: false },
  }));
  assert.equal(a.appName, name);
  assert.equal(a.appIdentifier, identifier);
  assert.equal(a.appType, 'spa');
  assert.equal(a.userPoolId, pool(P).userPoolId);
  assert.deepEqual(a.redirectUris, [CB]);
  assert.equal(a.oidcConfig.id_token_expire, 600);
  assert.equal(a.oidcConfig.require_pkce, true);
  assert.equal(a.loginConfig.showAuthorizationPage, false);
  assert.equal(a.oidcConfig.skip_consent, true);

  const got = data(await mc.getApplication({ appId: a.appId }));
  assert.deepEqual(got, a);
  const simple = data(await mc.getApplicationSimpleInfo({ appId: a.appId }));
  assert.deepEqual(simple, {
    appId: a.appId, appIdentifier: identifier, appName: name, appLogo: 'https://cdn.example/logo.png',
    appDescription: 'the shop', appType: 'spa', isIntegrateApp: false,
  });
  const found = data(await mc.listApplications({ keywords: name, page: 1, limit: 10 }));
  assert.equal(found.totalCount, 1);
  assert.equal(found.list[0].appId, a.appId);
  const simples = data(await mc.listApplicationSimpleInfo({ keywords: identifier }));
  assert.deepEqual(simples.list.map(x => x.appId), [a.appId]);
  assert.equal(data(await mc.listApplications({ keywords: name, isIntegrateApp: true })).totalCount, 0);
  const all = data(await mc.listApplications({ all: true }));
  assert.equal(all.totalCount, all.list.length);
  assert.ok(all.list.some(x => x.appId === pool(P).appId));
  const paged = data(await mc.listApplications({ page: 1, limit: 1 }));
  assert.equal(paged.list.length, 1);
  assert.equal(paged.totalCount, all.totalCount);

  const old = await mgmt(P).applications.findById(a.appId);
  assert.equal(old.name, name);
  assert.deepEqual(old.redirectUris, [CB]);
  assert.equal(old.skipConsent, true);
  assert.equal(old.idTokenExpiresIn, 600);
});

test('updateApplication changes what it names; v2 reads it; an application made through v2 is read through v3', async () => {
  const a = await newApp({ appType: 'web' });
  const upd = data(await mc.updateApplication({
    appId: a.appId, appName: 'Renamed',
    oidcConfig: { grant_types: ['authorization_code', 'refresh_token'], access_token_expire: 900 },
    loginConfig: { showAuthorizationPage: true },
  }));
  assert.equal(upd.success, true);
  const now = data(await mc.getApplication({ appId: a.appId }));
  assert.equal(now.appName, 'Renamed');
  assert.deepEqual(now.oidcConfig.grant_types, ['authorization_code', 'refresh_token']);
  assert.equal(now.oidcConfig.access_token_expire, 900);
  assert.equal(now.loginConfig.showAuthorizationPage, true);
  assert.deepEqual(now.redirectUris, [CB], 'what the update did not name is kept');
  // Sending the answer's identifier and type back is fine.
  data(await mc.updateApplication({ appId: a.appId, appIdentifier: now.appIdentifier, appDescription: 'd' }));
  const old = await mgmt(P).applications.findById(a.appId);
  assert.equal(old.name, 'Renamed');
  assert.equal(old.accessTokenExpiresIn, 900);
  assert.equal(old.description, 'd');

  const made = await mgmt(P).applications.create({ name: `v2-${rand(6)}`, identifier: `v2app-${rand(10)}` });
  const seen = data(await mc.getApplication({ appId: made.id }));
  assert.equal(seen.appName, made.name);
  assert.equal(seen.appType, 'web');
});

test('deleteApplication: gone for v3 and v2; deleting again is 404', async () => {
  const a = await newApp();
  assert.equal(data(await mc.deleteApplication({ appId: a.appId })).success, true);
  refused(await mc.getApplication({ appId: a.appId }), { statusCode: 404 });
  await rejectsWith(mgmt(P).applications.findById(a.appId), 'numeric');
  refused(await mc.deleteApplication({ appId: a.appId }), { statusCode: 404 });
});

test('application secret: read, rotated; the old one stops at the token endpoint', async () => {
  const a = await newApp({
    oidcConfig: { grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_post' },
  });
  const { secret } = data(await mc.getApplicationSecret({ appId: a.appId }));
  rememberSecrets(secret);
  assert.equal((await mgmt(P).applications.findById(a.appId)).secret, secret);
  const before = await clientCredentials(a.appId, secret);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  rememberSecrets(before.body.access_token);
  const fresh = data(await mc.refreshApplicationSecret({ appId: a.appId })).secret;
  rememberSecrets(fresh);
  assert.notEqual(fresh, secret);
  assert.equal(data(await mc.getApplicationSecret({ appId: a.appId })).secret, fresh);
  const stale = await clientCredentials(a.appId, secret);
  assert.ok(stale.status >= 400, `the old secret was refused: ${stale.status}`);
  const after = await clientCredentials(a.appId, fresh);
  assert.equal(after.status, 200, JSON.stringify(after.body));
  rememberSecrets(after.body.access_token);
});

test('checkDomainAvailable: taken identifiers (of any pool), free ones, malformed ones', async () => {
  const a = await newApp();
  assert.equal(data(await mc.checkDomainAvailable({ domain: a.appIdentifier })).available, false);
  assert.equal(data(await mc.checkDomainAvailable({ domain: `free-${rand(12)}` })).available, true);
  const other = data(await v3('v3Sign').getApplication({ appId: pool('v3Sign').appId }));
  assert.equal(data(await mc.checkDomainAvailable({ domain: other.appIdentifier })).available, false);
  refused(await mc.checkDomainAvailable({ domain: 'not a domain!' }), { statusCode: 400 });
  refused(await mc.checkDomainAvailable({}), { statusCode: 400 });
});

test("applications: another pool's application is not found, read or changed", async () => {
  const other = pool('v3Sign').appId;
  refused(await mc.getApplication({ appId: other }), { statusCode: 404 });
  refused(await mc.getApplicationSimpleInfo({ appId: other }), { statusCode: 404 });
  refused(await mc.getApplicationSecret({ appId: other }), { statusCode: 404 });
  refused(await mc.updateApplication({ appId: other, appName: 'hijacked' }), { statusCode: 404 });
  refused(await mc.refreshApplicationSecret({ appId: other }), { statusCode: 404 });
  refused(await mc.deleteApplication({ appId: other }), { statusCode: 404 });
  refused(await mc.updateApplicationPermissionStrategy({ appId: other, permissionStrategy: 'DENY_ALL' }), { statusCode: 404 });
  refused(await mc.listApplicationActiveUsers({ appId: other }), { statusCode: 404 });
  refused(await mc.checkSessionStatus({ appId: other, userId: (await newUser()).id }), { statusCode: 404 });
  assert.ok(!data(await mc.listApplications({ all: true })).list.some(x => x.appId === other));
  const theirs = data(await v3('v3Sign').getApplication({ appId: other }));
  assert.notEqual(theirs.appName, 'hijacked');
  assert.equal(theirs.oidcConfig.skip_consent, theirs.oidcConfig.skip_consent);
  assert.equal(data(await v3('v3Sign').getApplicationPermissionStrategy({ appId: other })).permissionStrategy, 'ALLOW_ALL');
});

test('applications: bad inputs are refused and write nothing', async () => {
  const count = data(await mc.listApplications({ all: true })).totalCount;
  refused(await mc.createApplication({}), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', appType: 'toaster' }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', defaultProtocol: 'saml' }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', samlProviderEnabled: true }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', ssoEnabled: true }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', redirectUris: 'https://a/cb' }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', redirectUris: ['javascript:alert(1)'] }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', appIdentifier: 'Not A Label!' }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', oidcConfig: { id_token_signed_response_alg: 'none' } }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: 'x', oidcConfig: { wat: 1 } }), { statusCode: 400 });
  refused(await mc.createApplication({ appName: '   ' }), { statusCode: 400 });
  const a = await newApp();
  refused(await mc.createApplication({ appName: 'dup', appIdentifier: a.appIdentifier }));
  assert.equal(data(await mc.listApplications({ all: true })).totalCount, count + 1, 'only newApp wrote');

  refused(await mc.updateApplication({ appName: 'no id' }), { statusCode: 400 });
  refused(await mc.updateApplication({ appId: a.appId, appName: 'changed', oidcConfig: { access_token_expire: -5 } }), { statusCode: 400 });
  refused(await mc.updateApplication({ appId: a.appId, appName: 'changed', appIdentifier: `other-${rand(8)}` }), { statusCode: 400 });
  refused(await mc.updateApplication({ appId: a.appId, appName: 'changed', casProviderEnabled: true }), { statusCode: 400 });
  assert.equal(data(await mc.getApplication({ appId: a.appId })).appName, a.appName, 'refused updates wrote nothing');

  refused(await mc.listApplications({ page: 0 }), { statusCode: 400 });
  refused(await mc.listApplications({ limit: 100000 }), { statusCode: 400 });
  refused(await mc.listApplicationSimpleInfo({ page: -1 }), { statusCode: 400 });
  refused(await mc.getApplication({}), { statusCode: 400 });
  refused(await mc.getApplication({ appId: 'no-such-app' }), { statusCode: 404 });
  refused(await mc.listApplicationActiveUsers({ appId: a.appId, options: { pagination: { page: 1, limit: 0 } } }), { statusCode: 400 });
});

// --- access policy ------------------------------------------------------------------------

test('permission strategy and access rules decide v2 logins; rules are listed, switched and deleted', async () => {
  const a = await newApp();
  const user = await newUser();
  const other = await newUser();
  assert.equal(data(await mc.getApplicationPermissionStrategy({ appId: a.appId })).permissionStrategy, 'ALLOW_ALL');
  assert.ok((await loginThrough(a.appId, user.email)).token);

  data(await mc.updateApplicationPermissionStrategy({ appId: a.appId, permissionStrategy: 'DENY_ALL' }));
  assert.equal(data(await mc.getApplicationPermissionStrategy({ appId: a.appId })).permissionStrategy, 'DENY_ALL');
  await rejectsWith(loginThrough(a.appId, user.email), 'numeric', 'DENY_ALL keeps everyone out');

  // Allow the user (all or nothing: an unknown target in a second item refuses the call).
  refused(await mc.authorizeApplicationAccess({
    appId: a.appId,
    list: [
      { targetType: 'USER', targetIdentifier: [user.id], effect: 'ALLOW' },
      { targetType: 'GROUP', targetIdentifier: ['no-such-group'], effect: 'ALLOW' },
    ],
  }), { statusCode: 404 });
  await rejectsWith(loginThrough(a.appId, user.email), 'numeric', 'the refused batch wrote nothing');
  data(await mc.authorizeApplicationAccess({
    appId: a.appId,
    list: [{ targetType: 'USER', targetIdentifier: [user.id, other.id], effect: 'ALLOW' }],
  }));
  assert.ok((await loginThrough(a.appId, user.email)).token);

  const rules = data(await mc.listAuthApplication({ appId: a.appId, page: 1, limit: 10 }));
  assert.equal(rules.totalCount, 2);
  const mine = rules.list.find(r => r.targetId === user.id);
  assert.deepEqual(
    { targetType: mine.targetType, effect: mine.effect, enabled: mine.enabled, targetName: mine.targetName },
    { targetType: 'USER', effect: 'ALLOW', enabled: true, targetName: user.id },
  );
  const filtered = data(await mc.listAuthApplication({ appId: a.appId, targetName: user.id, targetTypeList: ['USER'], effect: 'ALLOW' }));
  assert.deepEqual(filtered.list.map(r => r.id), [mine.id]);
  assert.equal(filtered.totalCount, 1);
  assert.equal(data(await mc.listAuthApplication({ appId: a.appId, effect: 'DENY' })).totalCount, 0);

  // v2 sees the same rules.
  const v2rules = await mgmt(P).acl.getApplicationAccessPolicies({ appId: a.appId, page: 1, limit: 10 });
  assert.equal(v2rules.totalCount, 2);

  // Switched off: the default (deny) decides again; back on: allowed.
  data(await mc.enabledAuth({ id: mine.id, enabled: false }));
  assert.equal(data(await mc.listAuthApplication({ appId: a.appId, enabled: false })).list[0].id, mine.id);
  await rejectsWith(loginThrough(a.appId, user.email), 'numeric', 'a disabled rule decides nothing');
  data(await mc.enabledAuth({ id: mine.id, enabled: true }));
  assert.ok((await loginThrough(a.appId, user.email)).token);

  // Deleted by id: the user is out again; the other user's rule stays.
  const del = await mc.deleteAuth([mine.id]);
  assert.equal(data(del).success, true);
  await rejectsWith(loginThrough(a.appId, user.email), 'numeric');
  assert.ok((await loginThrough(a.appId, other.email)).token);
  assert.deepEqual(data(await mc.listAuthApplication({ appId: a.appId })).list.map(r => r.targetId), [other.id]);

  // Revoke through the batch call.
  data(await mc.revokeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', targetIdentifier: [other.id] }] }));
  assert.equal(data(await mc.listAuthApplication({ appId: a.appId })).totalCount, 0);
  await rejectsWith(loginThrough(a.appId, other.email), 'numeric');

  // A deny wins over ALLOW_ALL.
  data(await mc.updateApplicationPermissionStrategy({ appId: a.appId, permissionStrategy: 'ALLOW_ALL' }));
  data(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', targetIdentifier: [user.id], effect: 'DENY' }] }));
  await rejectsWith(loginThrough(a.appId, user.email), 'numeric');
  assert.ok((await loginThrough(a.appId, other.email)).token);
});

test('access rules: bad inputs are refused and write nothing', async () => {
  const a = await newApp();
  const user = await newUser();
  refused(await mc.updateApplicationPermissionStrategy({ appId: a.appId, permissionStrategy: 'MAYBE' }), { statusCode: 400 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [] }), { statusCode: 400 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'PLANET', targetIdentifier: ['x'], effect: 'ALLOW' }] }), { statusCode: 400 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', targetIdentifier: [user.id], effect: 'PERHAPS' }] }), { statusCode: 400 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', targetIdentifier: user.id, effect: 'ALLOW' }] }), { statusCode: 400 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', targetIdentifier: ['no-such-user'], effect: 'ALLOW' }] }), { statusCode: 404 });
  refused(await mc.authorizeApplicationAccess({ appId: a.appId, list: [{ targetType: 'USER', namespaceCode: 'ns', targetIdentifier: [user.id], effect: 'ALLOW' }] }), { statusCode: 400 });
  assert.equal(data(await mc.listAuthApplication({ appId: a.appId })).totalCount, 0);
  assert.equal(data(await mc.getApplicationPermissionStrategy({ appId: a.appId })).permissionStrategy, 'ALLOW_ALL');
  refused(await mc.enabledAuth({ id: 'no-such-rule', enabled: false }), { statusCode: 404 });
  refused(await mc.enabledAuth({ id: 'x', enabled: 'no' }), { statusCode: 400 });
  refused(await mc.deleteAuth(['no-such-rule']), { statusCode: 404 });
  refused(await mc.listAuthApplication({ appId: a.appId, page: 0 }), { statusCode: 400 });
  refused(await mc.listAuthApplication({ appId: a.appId, effect: 'SOMETIMES' }), { statusCode: 400 });
  refused(await mc.listAuthApplication({}), { statusCode: 400 });
});

// --- the user's applications ----------------------------------------------------------------

test("a user's accessible, authorized and signed-in applications; session status; active users", async () => {
  const open = await newApp();
  const closed = await newApp();
  const user = await newUser();
  data(await mc.updateApplicationPermissionStrategy({ appId: closed.appId, permissionStrategy: 'DENY_ALL' }));

  let accessible = data(await mc.getUserAccessibleApps({ userId: user.id })).map(x => x.appId);
  assert.ok(accessible.includes(open.appId));
  assert.ok(!accessible.includes(closed.appId));
  assert.deepEqual(data(await mc.getUserAuthorizedApps({ userId: user.id })), []);

  data(await mc.authorizeApplicationAccess({ appId: closed.appId, list: [{ targetType: 'USER', targetIdentifier: [user.id], effect: 'ALLOW' }] }));
  const byEmail = data(await mc.getUserAccessibleApps({ userId: user.email, userIdType: 'email' }));
  const c = byEmail.find(x => x.appId === closed.appId);
  assert.ok(c, 'allowed by a rule');
  assert.equal(c.appName, closed.appName);
  assert.equal(c.appDefaultLoginStrategy, 'DENY_ALL');
  assert.match(c.appLoginUrl, new RegExp(`/oidc/auth\\?client_id=${closed.appId}&`));
  const authorized = data(await mc.getUserAuthorizedApps({ userId: user.id }));
  assert.deepEqual(authorized.map(x => x.appId), [closed.appId]);

  // Signed in through `open` only.
  assert.equal(data(await mc.checkSessionStatus({ appId: open.appId, userId: user.id })).active, false);
  const signedIn = new AuthenticationClient({ appId: open.appId, appHost: pool(P).appHost });
  await signedIn.loginByEmail(user.email, PASSWORD);
  assert.equal(data(await mc.checkSessionStatus({ appId: open.appId, userId: user.id })).active, true);
  // The v2 wires agree: the management client's login status, the user's own app list.
  assert.equal((await mgmt(P).users.checkLoginStatus(user.id, open.appId)).isLogin, true);
  const own = (await signedIn.listApplications({ page: 1, limit: 100 })).list.map(x => x.id).sort();
  const v3Accessible = data(await mc.getUserAccessibleApps({ userId: user.id })).map(x => x.appId).sort();
  assert.deepEqual(own, v3Accessible);
  assert.equal(data(await mc.checkSessionStatus({ appId: closed.appId, userId: user.id })).active, false);
  const loggedIn = data(await mc.getUserLoggedinApps({ userId: user.id }));
  assert.deepEqual(loggedIn.map(x => x.appId), [open.appId]);
  assert.equal(loggedIn[0].appName, open.appName);

  const active = data(await mc.listApplicationActiveUsers({ appId: open.appId, options: { pagination: { page: 1, limit: 10 } } }));
  assert.deepEqual(active.list.map(u => u.userId), [user.id]);
  assert.equal(active.totalCount, 1);
  assert.equal(active.list[0].email, user.email);
  assert.equal(data(await mc.listApplicationActiveUsers({ appId: closed.appId })).totalCount, 0);

  // Logged out everywhere: no live session any more.
  data(await mc.kickUsers({ userId: user.id, appIds: [open.appId] }));
  assert.equal(data(await mc.checkSessionStatus({ appId: open.appId, userId: user.id })).active, false);
  assert.deepEqual(data(await mc.getUserLoggedinApps({ userId: user.id })), []);

  // Unknown users and bad inputs.
  refused(await mc.getUserAccessibleApps({ userId: 'no-such-user' }), { statusCode: 404 });
  refused(await mc.getUserAuthorizedApps({ userId: user.id, userIdType: 'shoe_size' }), { statusCode: 400 });
  refused(await mc.getUserLoggedinApps({}), { statusCode: 400 });
  refused(await mc.checkSessionStatus({ appId: open.appId }), { statusCode: 400 });
  refused(await mc.checkSessionStatus({ appId: open.appId, userId: 'no-such-user' }), { statusCode: 404 });
});

test('listAuthSubject: the applications whose rules name a target, filtered', async () => {
  const a1 = await newApp();
  const a2 = await newApp();
  const user = await newUser();
  data(await mc.authorizeApplicationAccess({ appId: a1.appId, list: [{ targetType: 'USER', targetIdentifier: [user.id], effect: 'ALLOW' }] }));
  data(await mc.authorizeApplicationAccess({ appId: a2.appId, list: [{ targetType: 'USER', targetIdentifier: [user.id], effect: 'DENY' }] }));
  const all = data(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id })).list;
  assert.deepEqual(all.map(x => [x.appId, x.effect, x.appType]), [[a1.appId, 'ALLOW', 'SELFBUILT'], [a2.appId, 'DENY', 'SELFBUILT']]);
  assert.deepEqual(data(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id, effect: ['DENY'] })).list.map(x => x.appId), [a2.appId]);
  assert.deepEqual(data(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id, appName: a1.appName })).list.map(x => x.appId), [a1.appId]);
  const rule = data(await mc.listAuthApplication({ appId: a1.appId })).list[0];
  data(await mc.enabledAuth({ id: rule.id, enabled: false }));
  assert.deepEqual(data(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id, enabled: true })).list.map(x => x.appId), [a2.appId]);
  assert.deepEqual(data(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id, appTypeList: ['INTEGRATED'] })).list, []);
  refused(await mc.listAuthSubject({ targetType: 'AK_SK', targetId: 'k' }), { statusCode: 400 });
  refused(await mc.listAuthSubject({ targetType: 'USER', targetId: 'no-such-user' }), { statusCode: 404 });
  refused(await mc.listAuthSubject({ targetType: 'USER', targetId: user.id, appTypeList: ['TOASTER'] }), { statusCode: 400 });
  refused(await mc.listAuthSubject({ targetType: 'USER' }), { statusCode: 400 });
});

test('methods of the family Tessera does not serve answer a 501 envelope naming them', async () => {
  const appId = pool(P).appId;
  for (const [name, call] of [
    ['detailAuthSubject', () => mc.detailAuthSubject({ targetId: 'x', targetType: 'USER', appId })],
  ]) {
    const r = refused(await call(), { statusCode: 501 });
    assert.match(r.message, new RegExp(name));
  }
});
