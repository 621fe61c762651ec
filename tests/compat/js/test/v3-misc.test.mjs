// Single methods of issue 13 through authing-node-sdk@4.0.1, each with its effect, a refusal
// of another pool's ids and bad input that writes nothing: a public account's groups and
// posts (`getPublicAccountOfGroups`, `getPublicAccountsOfPost`, `unbindPublicAccountOfPost`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { data, refused, v3 } from './v3-helpers.mjs';

const P = 'v3Misc';
const OTHER = 'v3MiscOther';
const PASSWORD = 'Passw0rd!misc';
const mc = v3(P);
const other = v3(OTHER);
const tag = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function publicAccount(client) {
  return data(await client.createPublicAccount({ username: `pa${tag()}`, password: PASSWORD })).userId;
}

test('getPublicAccountOfGroups adds a public account to groups, all or none', async () => {
  const desk = await publicAccount(mc);
  const person = data(await mc.createUser({ username: `pp${tag()}`, password: PASSWORD })).userId;
  const t = tag();
  const g1 = data(await mc.createGroup({ code: `g1-${t}`, name: 'G1', description: '', type: 'static' }));
  const g2 = data(await mc.createGroup({ code: `g2-${t}`, name: 'G2', description: '', type: 'static' }));
  const [id1, id2] = [g1.id ?? g1.groupId, g2.id ?? g2.groupId];
  const codes = async () => data(await mc.getGroupsOfPublicAccount({ userId: desk })).list.map(g => g.code).sort();

  // An unknown group, another pool's group, a personal user, an empty list: refused, nothing written.
  const og = data(await other.createGroup({ code: `og-${t}`, name: 'O', description: '', type: 'static' }));
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, 'no-such-group'] }), { statusCode: 404 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, og.id ?? og.groupId] }), { statusCode: 404 });
  refused(await mc.getPublicAccountOfGroups({ userId: person, groupIds: [id1] }), { statusCode: 400 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [] }), { statusCode: 400 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: Array(51).fill(id1) }), { statusCode: 400 });
  assert.deepEqual(await codes(), []);
  assert.deepEqual(data(await mc.getUserGroups({ userId: person })).list, []);
  // Another pool's client cannot name this pool's account.
  refused(await other.getPublicAccountOfGroups({ userId: desk, groupIds: [og.id ?? og.groupId] }), { statusCode: 404 });

  data(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, id2] }));
  assert.deepEqual(await codes(), [`g1-${t}`, `g2-${t}`].sort());
  // The effect is the directory's: the group's member list and its public accounts hold it.
  assert.deepEqual(data(await mc.getPublicAccountsOfGroup({ groupId: id1 })).list.map(u => u.userId), [desk]);
  // Again: nothing doubles; groups held stay.
  data(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id2] }));
  assert.deepEqual(await codes(), [`g1-${t}`, `g2-${t}`].sort());
});

test('getPublicAccountsOfPost lists the holders; unbindPublicAccountOfPost removes one post', async () => {
  const desk = await publicAccount(mc);
  const desk2 = await publicAccount(mc);
  const person = data(await mc.createUser({ username: `pq${tag()}`, password: PASSWORD })).userId;
  const t = tag();
  const p1 = data(await mc.createPost({ code: `p1-${t}`, name: 'P1' })).id;
  const p2 = data(await mc.createPost({ code: `p2-${t}`, name: 'P2' })).id;
  data(await mc.setPublicAccountOfnPost({ userId: desk, postId: p1 }));
  data(await mc.setPublicAccountOfnPost({ userId: desk, postId: p2 }));
  data(await mc.setPublicAccountOfnPost({ userId: desk2, postId: p1 }));
  // A personal user holding the post is no public account: not listed.
  data(await mc.setUserPosts({ userId: person, postIds: [p1] }));
  const holders = async (p) => data(await mc.getPublicAccountsOfPost({ postId: p })).list.map(u => u.userId).sort();
  assert.deepEqual(await holders(p1), [desk, desk2].sort());
  assert.deepEqual(await holders(p2), [desk]);
  const page = data(await mc.getPublicAccountsOfPost({ postId: p1 }));
  assert.equal(page.totalCount, 2);
  refused(await mc.getPublicAccountsOfPost({ postId: 'no-such-post' }), { statusCode: 404 });
  refused(await other.getPublicAccountsOfPost({ postId: p1 }), { statusCode: 404 });

  // Refusals write nothing: a personal user, an unknown post, another pool's caller.
  refused(await mc.unbindPublicAccountOfPost({ userId: person, postId: p1 }), { statusCode: 400 });
  refused(await mc.unbindPublicAccountOfPost({ userId: desk, postId: 'no-such-post' }), { statusCode: 404 });
  refused(await other.unbindPublicAccountOfPost({ userId: desk, postId: p1 }), { statusCode: 404 });
  refused(await mc.unbindPublicAccountOfPost({ userId: desk, postId: '' }), { statusCode: 400 });
  assert.deepEqual(await holders(p1), [desk, desk2].sort());

  data(await mc.unbindPublicAccountOfPost({ userId: desk, postId: p1 }));
  assert.deepEqual(await holders(p1), [desk2]);
  // Its other post stays; the other holder and the personal user keep theirs.
  assert.deepEqual(await holders(p2), [desk]);
  assert.deepEqual(data(await mc.getUser({ userId: person, withPost: true })).postIdList, [p1]);
  // Unbinding again: the state asked for holds.
  data(await mc.unbindPublicAccountOfPost({ userId: desk, postId: p1 }));
});
