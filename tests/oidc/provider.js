// A real OpenID Connect provider for the single sign-on tests: the certified oidc-provider
// package with its development sign-in pages (any login is the account id, no password
// check), in-memory storage and one confidential client. tests/test_sso.py starts it:
//   node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// and reads "listening ISSUER" on standard output. The accounts' claims are below.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  teacher: { email: 'teacher@school.lv', email_verified: true },
  newcomer: { email: 'newcomer@school.lv', email_verified: true },
  unverified: { email: 'admin@school.lv', email_verified: false },
  outsider: { email: 'someone@elsewhere.example', email_verified: true },
  shouting: { email: 'Teacher@SCHOOL.lv', email_verified: true },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // Claims in the ID token itself as well as at userinfo.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const claims = ACCOUNTS[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  cookies: { keys: ['gallery-test-only-cookie-key'] },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
