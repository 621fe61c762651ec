// Bad input against every v3 management method Tessera serves (issue 13, "Bad input"): each
// is called, signed by the SDK's own algorithm, with parameters of the wrong shape — missing,
// wrong types, absurd numbers, strings of 40 kB — and must answer HTTP 200 with a refusal
// envelope (a non-200 statusCode and a message), never an HTTP error and never statusCode 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pool } from './helpers.mjs';
import { raw, signed } from './v3-helpers.mjs';

const catalog = JSON.parse(readFileSync(
  new URL('../../../../crates/tessera-server/src/v3/catalog.json', import.meta.url), 'utf8'));
const P = pool('v3Sweep');
const BIG = 'x'.repeat(40_000); // × 38 members: under the 2 MB body limit

/** Names the v3 DTOs use for ids, codes and lists, each given a value of the wrong type. */
const WRONG = {
  userId: 5, userIds: 'not-a-list', code: { a: 1 }, codeList: 7, namespace: [1], appId: false,
  list: 'x', roleCode: 3, groupCode: [], departmentId: {}, organizationCode: 9, tenantId: 1,
  options: 'x', pagination: 'x', page: 'x', limit: -1, keywords: { k: 1 }, status: 12,
  targets: 'x', resources: 3, actions: 'x', type: 99, email: [], phone: {}, password: 1,
  extIdpId: 2, accessKeyId: 3, ips: 4, userListType: 5, ipType: 6, optObject: 7,
  postIds: 'x', idList: 8, key: [], value: () => 0, data: 'x', enabled: 'yes',
};

async function call(m, params) {
  const path = m.path.replace(/\{[^}]+\}/g, 'probe');
  if (m.verb === 'GET' || m.verb === 'DELETE') {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) qs.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    const q = qs.toString();
    const signParams = Object.fromEntries(qs.entries());
    const headers = signed(m.verb, path, signParams, { key: P.userPoolId, secret: P.secret });
    return raw(q ? `${path}?${q}` : path, { method: m.verb, headers });
  }
  const body = JSON.parse(JSON.stringify(params));
  const headers = signed(m.verb, path, body, { key: P.userPoolId, secret: P.secret });
  return raw(path, { method: m.verb, headers, body: JSON.stringify(body) });
}

function refusalOrSuccess(m, res, what) {
  const shown = `${m.method} (${what}): ${JSON.stringify(res).slice(0, 300)}`;
  assert.equal(typeof res.statusCode, 'number', shown);
  assert.notEqual(res.statusCode, 500, shown);
  if (res.statusCode !== 200) {
    assert.equal(typeof res.message, 'string', shown);
    assert.ok(res.message.length > 0, shown);
  }
}

test('every served method survives malformed parameters with an envelope', async () => {
  let probed = 0;
  for (const m of catalog.filter(c => c.client === 'management')) {
    // Served methods only: an unsigned probe is refused (401) rather than named (501).
    const probe = await raw(m.path.replace(/\{[^}]+\}/g, 'probe'), {
      method: m.verb, body: m.verb === 'GET' || m.verb === 'DELETE' ? undefined : '{}',
    });
    if (probe.statusCode === 501) continue;
    probed += 1;
    refusalOrSuccess(m, await call(m, {}), 'empty');
    refusalOrSuccess(m, await call(m, WRONG), 'wrong types');
    const long = {};
    for (const k of Object.keys(WRONG)) long[k] = BIG;
    refusalOrSuccess(m, await call(m, m.verb === 'GET' || m.verb === 'DELETE'
      ? { userId: BIG.slice(0, 2000), code: BIG.slice(0, 2000) } : long), 'long strings');
  }
  assert.ok(probed >= 190, `served methods probed: ${probed}`);
});
