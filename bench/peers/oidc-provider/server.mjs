// panva's oidc-provider as a benchmark peer: one confidential client allowed the
// client_credentials grant (JWT access tokens signed RS256, as the reference figures
// were taken) and one user access token minted at start-up for userinfo. Written for
// bench/run only: in-memory adapter, fresh keys each start.
//
//   node server.mjs PORT WORKDIR    → listens on 127.0.0.1:PORT, writes WORKDIR/credentials.json
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const work = process.argv[3];
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:tessera-bench:api';
const clientSecret = 'bench-secret-0123456789abcdef0123456789abcdef';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: clientSecret,
    grant_types: ['client_credentials', 'authorization_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid email api',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-0123456789'] },
  scopes: ['openid', 'email', 'api'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials' ? resource : undefined),
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
      useGrantedResource: () => false,
    },
  },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@bench.example`, email_verified: true }),
  }),
});

provider.listen(port, '127.0.0.1', async () => {
  // A user access token as an authorization-code flow would leave behind: a grant with the
  // openid and email scopes, and an opaque token for the userinfo endpoint.
  const client = await provider.Client.find('bench');
  const grant = new provider.Grant({ accountId: 'user1', clientId: 'bench' });
  grant.addOIDCScope('openid email');
  const grantId = await grant.save();
  const at = new provider.AccessToken({
    accountId: 'user1', client, grantId, scope: 'openid email', gty: 'authorization_code',
  });
  const accessToken = await at.save();
  const version = JSON.parse(readFileSync(new URL('./node_modules/oidc-provider/package.json', import.meta.url))).version;
  writeFileSync(`${work}/credentials.json`, JSON.stringify({
    version: `oidc-provider ${version} (node ${process.version})`,
    discovery: '/.well-known/openid-configuration',
    jwks: '/jwks',
    token: '/token',
    userinfo: '/me',
    client_id: 'bench',
    client_secret: clientSecret,
    scope: 'api',
    token_format: 'jwt (RS256)',
    access_token: accessToken,
  }));
});
