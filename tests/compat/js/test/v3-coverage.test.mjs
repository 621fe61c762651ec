// Which authing-node-sdk@4.0.1 ManagementClient methods Tessera serves, family by family
// (issue 13), read from the SDK catalog the server itself routes by. A served route refuses
// an unsigned call (401) before anything else; a method Tessera does not serve answers a 501
// envelope naming it. Every unserved method of the families must be listed below with
// its reason, and a listed method that becomes served fails the test, so the list stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TESSERA_URL } from './helpers.mjs';

const catalog = JSON.parse(readFileSync(
  new URL('../../../../crates/tessera-server/src/v3/catalog.json', import.meta.url), 'utf8'));

/** The families issue 13 asks for. */
const FAMILIES = [
  'Users', 'Organizations & departments', 'Roles', 'Groups',
  'Resources & authorization (classic RBAC)', 'Custom fields (UDF) & custom data',
  'Applications', 'Security settings & MFA (user-pool config)', 'Tenants', 'Tenant members',
  'Tenant departments', 'External identity providers (ext-idp)', 'Access keys (AK/SK)',
  'Registration whitelist', 'Messaging (email templates, SMS/email providers)', 'Audit logs',
  'Posts (job positions)', 'Risk lists (IP / user blacklists)', 'Public (shared) accounts',
  // Outside issue 13: the event center (issue 14).
  'Events',
];

/** Methods of those families Tessera does not serve, and why. */
const NOT_SERVED = {
  // Applications
  // Tenants, members, identity providers
};

async function answer(m) {
  const path = m.path.replace(/\{[^}]+\}/g, 'probe');
  const r = await fetch(`${TESSERA_URL}${path}`, {
    method: m.verb,
    headers: { 'content-type': 'application/json' },
    body: m.verb === 'GET' || m.verb === 'DELETE' ? undefined : '{}',
  });
  assert.equal(r.status, 200, `${m.method}: HTTP ${r.status}`);
  return r.json();
}

test('every method of the issue\'s families is served or listed with its reason', async () => {
  const counts = {};
  const unlisted = [];
  const stale = [];
  for (const m of catalog.filter(c => c.client === 'management' && FAMILIES.includes(c.family))) {
    const body = await answer(m);
    const served = body.statusCode !== 501;
    const c = (counts[m.family] ??= { served: 0, total: 0 });
    c.total += 1;
    if (served) c.served += 1;
    if (!served && !(m.method in NOT_SERVED)) unlisted.push(m.method);
    if (served && m.method in NOT_SERVED) stale.push(m.method);
    if (!served) assert.match(body.message, new RegExp(m.method), JSON.stringify(body));
    else assert.equal(body.statusCode, 401, `${m.method} must refuse an unsigned call: ${JSON.stringify(body)}`);
  }
  console.log('v3 management methods served per family:');
  for (const [f, c] of Object.entries(counts)) console.log(`  ${f}: ${c.served}/${c.total}`);
  if (unlisted.length) console.log('UNLISTED ' + JSON.stringify(unlisted));
  assert.deepEqual(unlisted, [], 'unserved methods missing from NOT_SERVED');
  assert.deepEqual(stale, [], 'NOT_SERVED lists methods that are served');
});

test('the other families answer an envelope naming the method, never an HTML 404', async () => {
  const others = catalog.filter(c => c.client === 'management' && !FAMILIES.includes(c.family));
  assert.ok(others.length > 100);
  for (const m of others) {
    const body = await answer(m);
    assert.equal(body.statusCode, 501, `${m.method}: ${JSON.stringify(body)}`);
    // Two SDK methods may share a verb and path (`pub` and `verifyEvent`): either name.
    const names = catalog.filter(c => c.verb === m.verb && c.path === m.path).map(c => c.method);
    assert.ok(names.some(n => body.message.includes(n)), `${m.method}: ${body.message}`);
  }
});
