// A real OpenID Connect provider for the tests (the npm package oidc-provider), on loopback.
// Usage: node oidc_provider.mjs PORT REDIRECT_URI ACCOUNTS_JSON
// ACCOUNTS_JSON: {"login": {"password": "...", "claims": {"sub": "...", "groups": [...], ...}}}
// Its own small sign-in page asks for a username, a password and whether a second factor was used,
// which it asserts in the ID token's amr claim (RFC 8176: "pwd", and "mfa" when ticked).
import http from 'node:http';
import Provider from 'oidc-provider';

const [, , port, redirectUri, accountsJson] = process.argv;
const accounts = JSON.parse(accountsJson);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'hub',
    client_secret: 'hub-test-secret',
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: {
    openid: ['sub', 'amr'],  // amr in every ID token, as Entra ID issues it
    email: ['email'],
    profile: ['given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  findAccount: async (ctx, sub) => {
    const account = Object.values(accounts).find((a) => a.claims.sub === sub);
    return account && { accountId: sub, claims: async () => account.claims };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['oidc-test-cookie-key'] },
});

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const loginPage = (uid, error) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><main><h1>Test provider sign-in</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">Username</label><input id="login" name="login">
<label for="password">Password</label><input id="password" name="password" type="password">
<input id="mfa" name="mfa" type="checkbox" value="yes"><label for="mfa">I used my second factor</label>
<button type="submit">Sign in to the provider</button></form></main></body></html>`;

const readForm = (req) => new Promise((resolve) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => resolve(new URLSearchParams(body)));
});

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (!path.startsWith('/interaction/')) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST') {
      const form = await readForm(req);
      const account = accounts[form.get('login')];
      if (!account || account.password !== form.get('password')) {
        res.setHeader('content-type', 'text/html');
        res.end(loginPage(details.uid, 'Wrong username or password'));
        return;
      }
      const amr = form.get('mfa') ? ['pwd', 'mfa'] : ['pwd'];
      await provider.interactionFinished(req, res, { login: { accountId: account.claims.sub, amr } }, { mergeWithLastSubmission: false });
      return;
    }
    if (details.prompt.name === 'login') {
      res.setHeader('content-type', 'text/html');
      res.end(loginPage(details.uid));
      return;
    }
    // Consent: the test's users agree to what the hub asks for.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
