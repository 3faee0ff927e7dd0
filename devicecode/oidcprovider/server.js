// A third-party RFC 8628 provider for the devicecode end-to-end test:
// panva/oidc-provider (https://github.com/panva/node-oidc-provider) with its
// device flow feature and its development login and consent pages, on
// loopback. It listens on an ephemeral port, then prints one JSON line with
// the issuer on stdout, so the Go test learns where it is without racing for
// a port.
//
// The client is public (token_endpoint_auth_method none), as a headless board
// is: it may use the device code and refresh token grants, and refresh tokens
// rotate on every use, as Entra ID's do.
import http from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.env.CLIENT_ID || 'boardlogin-e2e';
const accessTokenTTL = Number(process.env.ACCESS_TOKEN_TTL || 60);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }],
    features: {
      deviceFlow: { enabled: true },
      devInteractions: { enabled: true },
      revocation: { enabled: true },
    },
    scopes: ['openid', 'offline_access', 'profile'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    // Put the profile claims in the id token as Entra ID does, rather than
    // only behind the userinfo endpoint: the agent labels the account with
    // them.
    conformIdTokenClaims: false,
    ttl: { AccessToken: accessTokenTTL, DeviceCode: 600, RefreshToken: 86400 },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, name: `Test User ${sub}`, preferred_username: `${sub}@example.test` };
        },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

// Exit with the parent: the Go test closes our stdin when it is done.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
