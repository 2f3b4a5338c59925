// The OpenID Connect provider casetrack's tests log in through: oidc-provider (OpenID
// Certified) on loopback, configured from a JSON file given as the only argument.
//
//   node idp.js /tmp/…/config.json
//
// config.json:
//   {
//     "port": 45123,                       // listens on 127.0.0.1 only
//     "accounts_file": "/tmp/…/accounts.json",
//     "admin_token": "random",             // for POST /_test/tamper
//     "clients": [ { "client_id": "…", "client_secret": "…", "redirect_uris": […],
//                    "post_logout_redirect_uris": […], "backchannel_logout_uri": "…" } ]
//   }
//
// accounts.json is read again at every login and every token, so a test changes a person's
// groups between logins by rewriting it:
//   { "chef": { "sub": "…", "name": "…", "email": "…", "groups": ["…"],
//               "acr": "…", "amr": ["pwd", "mfa"] } }
//
// The login page asks for a user name (the accounts' keys) and logs that account in with the
// acr/amr the account lists, as if it had used those methods. Consent is implied (casetrack
// is a first-party client). The groups claim is part of the profile scope, and the id token
// carries the scope claims (conformIdTokenClaims: false), as Entra ID's does.
//
// Test hook: POST /_test/tamper {"mode": …} with the header x-admin-token changes the next
// id token the token endpoint hands out, the way an attacker or a broken proxy would:
// payload_byte (a byte of the payload changed, signature kept), wrong_key (re-signed with
// another key under the same kid), wrong_audience, wrong_issuer, expired, wrong_nonce
// (re-signed with the provider's own key, one claim changed).

import crypto from 'node:crypto';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'jwk' });
}

const kid = crypto.randomBytes(8).toString('hex');
const providerJwk = { ...signingKey(), kid, use: 'sig', alg: 'RS256' };

function accounts() {
  return JSON.parse(fs.readFileSync(config.accounts_file, 'utf8'));
}

function accountBySub(sub) {
  return Object.values(accounts()).find((account) => account.sub === sub);
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body>
</html>`;
}

const configuration = {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_session_required: true,
    ...client,
  })),
  jwks: { keys: [providerJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub', 'acr', 'amr'],
    profile: ['name', 'preferred_username', 'groups'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false,
  acrValues: ['urn:casetrack:test:mfa', 'urn:casetrack:test:pwd'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page(
          'Logga ut',
          `${form}<p>Vill du logga ut från testinloggningen?</p>
<button type="submit" form="op.logoutForm" value="yes" name="logout">Logga ut</button>`,
        );
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Utloggad', '<p>Du är utloggad.</p>');
      },
    },
  },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async loadExistingGrant(ctx) {
    // First-party client: the consent is implied, every requested scope and claim granted.
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const current = accountBySub(sub) || account;
        return {
          sub,
          name: current.name,
          preferred_username: current.email,
          email: current.email,
          email_verified: true,
          groups: current.groups || [],
        };
      },
    };
  },
  // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection);
  // here casetrack is on loopback, so the back-channel logout POST goes out without it.
  fetch(url, options) {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Fel vid inloggningen', `<pre>${escape(JSON.stringify(out))}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);

// --- test hook: change the next id token ----------------------------------------------------

let tamperMode = null;

const b64 = (buffer) => Buffer.from(buffer).toString('base64url');

function sign(header, payload, jwk) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return `${input}.${b64(crypto.sign('sha256', Buffer.from(input), key))}`;
}

function tamper(idToken, mode) {
  const [headerPart, payloadPart, signature] = idToken.split('.');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url'));
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'payload_byte': {
      // One byte of the subject changes; the provider's signature stays as it was.
      const bytes = Buffer.from(payloadPart, 'base64url');
      const at = bytes.indexOf(Buffer.from(`"sub":"${payload.sub}"`)) + 7;
      bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
      return `${headerPart}.${b64(bytes)}.${signature}`;
    }
    case 'wrong_key':
      return sign(header, payload, { ...signingKey(), kid: header.kid });
    case 'wrong_audience':
      return sign(header, { ...payload, aud: 'some-other-application' }, providerJwk);
    case 'wrong_issuer':
      return sign(header, { ...payload, iss: 'http://127.0.0.1:9/impostor' }, providerJwk);
    case 'expired':
      return sign(header, { ...payload, iat: now - 900, exp: now - 300 }, providerJwk);
    case 'wrong_nonce':
      return sign(header, { ...payload, nonce: crypto.randomBytes(16).toString('hex') }, providerJwk);
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/tamper' && ctx.method === 'POST') {
    if (ctx.get('x-admin-token') !== config.admin_token) {
      ctx.status = 403;
      return;
    }
    const body = JSON.parse(await readBody(ctx.req));
    tamperMode = body.mode || null;
    ctx.body = { mode: tamperMode };
    return;
  }
  await next();
  if (ctx.path === '/token' && tamperMode && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, tamperMode) };
    tamperMode = null;
  }
});

// --- the login page ------------------------------------------------------------------------

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) {
    await next();
    return;
  }
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== match[1]) {
    ctx.status = 400;
    ctx.body = page('Fel vid inloggningen', '<p>Okänd inloggning.</p>');
    return;
  }
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page(
      'Testinloggning',
      `<form method="post" action="/interaction/${escape(details.uid)}/login">
<label for="username">Användarnamn</label>
<input id="username" name="username" autocomplete="username" autofocus>
<button type="submit">Logga in</button>
</form>`,
    );
    return;
  }
  if (ctx.method === 'POST' && match[2]) {
    const form = new URLSearchParams(await readBody(ctx.req));
    const account = accounts()[form.get('username') || ''];
    if (!account) {
      ctx.type = 'html';
      ctx.status = 200;
      ctx.body = page('Testinloggning', '<p role="alert">Okänt användarnamn.</p>');
      return;
    }
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: account.sub, acr: account.acr, amr: account.amr, remember: true } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  ctx.status = 405;
});

provider.on('backchannel.error', (ctx, error, client) => {
  console.error(`backchannel logout to ${client.clientId} failed: ${error.message}`);
});
provider.on('server_error', (ctx, error) => {
  console.error('server_error', error);
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
