// Which authing-node-sdk@4.0.1 AuthenticationClient methods Tessera serves, family by family
// (issue 14), read from the SDK catalog the server routes by. Each method is probed with the
// application's id and nothing else: a served method answers anything but 501 (a refusal
// for the missing token or fields, or public data), never an HTTP error status; a method
// Tessera does not serve answers a 501 envelope naming it. Every unserved method of the
// issue's families is listed below with its reason, and a listed method that becomes served
// fails the test, so the list stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TESSERA_URL, pool } from './helpers.mjs';

const catalog = JSON.parse(readFileSync(
  new URL('../../../../crates/tessera-server/src/v3/catalog.json', import.meta.url), 'utf8'));

/** The families issue 14 asks for. */
const FAMILIES = [
  'Sign-in', 'Sign-up', 'Verification codes (SMS / email)', 'Profile & account (user access token)',
  '"My" resources (user access token)', 'MFA factors', 'Permission checks', 'Public info',
  'Token endpoints', 'Miscellaneous', 'Account linking (ext-idp, WeChat mobile)', 'WeChat / Douyin helpers',
];

/** Methods of those families Tessera does not serve, and why. */
const NOT_SERVED = {
  // Sign-in
  // Profile & account
  // Account linking
  // WeChat / Douyin helpers
  // Miscellaneous
};

async function answer(m) {
  const path = m.path.replace(/\{[^}]+\}/g, 'probe');
  const r = await fetch(`${TESSERA_URL}${path}`, {
    method: m.verb,
    headers: { 'content-type': 'application/json', 'x-authing-app-id': pool('v3Auth').appId },
    body: m.verb === 'GET' || m.verb === 'DELETE' ? undefined : '{}',
  });
  assert.equal(r.status, 200, `${m.method}: HTTP ${r.status}`);
  return r.json();
}

test('every method of the issue\'s families is served or listed with its reason', async () => {
  const counts = {};
  const unlisted = [];
  const stale = [];
  for (const m of catalog.filter(c => c.client === 'authentication' && FAMILIES.includes(c.family))) {
    const body = await answer(m);
    const served = body.statusCode !== 501;
    const c = (counts[m.family] ??= { served: 0, total: 0 });
    c.total += 1;
    if (served) c.served += 1;
    if (!served && !(m.method in NOT_SERVED)) unlisted.push(m.method);
    if (served && m.method in NOT_SERVED) stale.push(m.method);
    if (!served) assert.match(body.message, new RegExp(m.method), JSON.stringify(body));
    else assert.ok(body.statusCode === undefined || body.statusCode < 500 || body.statusCode === 501,
      `${m.method} answered ${JSON.stringify(body)}`);
  }
  console.log('v3 authentication methods served per family:');
  let served = 0;
  let total = 0;
  for (const [f, c] of Object.entries(counts)) {
    console.log(`  ${f}: ${c.served}/${c.total}`);
    served += c.served;
    total += c.total;
  }
  console.log(`  all: ${served}/${total}`);
  if (unlisted.length) console.log('UNLISTED ' + JSON.stringify(unlisted));
  assert.deepEqual(unlisted, [], 'unserved methods missing from NOT_SERVED');
  assert.deepEqual(stale, [], 'NOT_SERVED lists methods that are served');
});
