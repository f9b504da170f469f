// Baseline of bench/identity.py: Node's oidc-provider (OpenID Certified) serving the
// same grants as nentang, on loopback, with WORKERS processes (node:cluster) like
// `nentang serve --workers 2`.
//
// ADAPTER=memory (default): oidc-provider's usual in-memory kind, one map per process.
// Codes and the userinfo access token are minted once by the primary process with the
// provider's own models and handed to every worker, so any worker can redeem any of
// them (each code is sent once by the load generator).
//
// ADAPTER=redis: every model is stored in Redis (REDIS_URL, default
// redis://127.0.0.1:6379) as oidc-provider's adapter interface documents it (one hash
// per entity with its payload and "consumed" mark, an expiry, a list per grant for
// revocation, an index by uid), so both sides of the comparison persist what they
// issue. Keys live under REDIS_PREFIX and are deleted by the harness afterwards.
// Nothing here leaves 127.0.0.1.
//
//   PORT=… WORKERS=2 CODES=40000 CODE_LIST=/tmp/codes.json [ADAPTER=redis] node server.mjs
import cluster from "node:cluster";
import { readFileSync, writeFileSync } from "node:fs";
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK } from "jose";
import Redis from "ioredis";

const port = Number(process.env.PORT || 3000);
const workers = Number(process.env.WORKERS || 2);
const issuer = `http://127.0.0.1:${port}`;
const secret = process.env.CLIENT_SECRET || "bench-machine-secret-0123456789abcdef0123456789abcdef";
const redirectUri = "http://127.0.0.1:9/callback";
const verifier = process.env.VERIFIER || "bench-verifier-0123456789-0123456789-0123456789-0123456789";

const stores = new Map();

class MapAdapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
    captured?.push({ model: this.name, id, payload, expiresIn });
  }
  async find(id) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt < Date.now()) return undefined;
    return entry.payload;
  }
  async findByUid(uid) {
    for (const { payload } of this.store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }
  async findByUserCode(userCode) {
    for (const { payload } of this.store.values()) if (payload.userCode === userCode) return payload;
    return undefined;
  }
  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    this.store.delete(id);
  }
  async revokeByGrantId(grantId) {
    for (const [id, { payload }] of this.store) if (payload.grantId === grantId) this.store.delete(id);
  }
}

let captured = null;

const adapterKind = process.env.ADAPTER || "memory";
let redis = null;
function redisClient() {
  if (redis === null) {
    redis = new Redis(process.env.REDIS_URL || "redis://127.0.0.1:6379", {
      keyPrefix: process.env.REDIS_PREFIX || "nentang-bench:oidc:",
    });
  }
  return redis;
}

// The adapter interface of oidc-provider (upsert/find/findByUid/findByUserCode/consume/
// destroy/revokeByGrantId) over Redis: written for this benchmark, after the design
// the provider's documentation describes.
const byGrant = new Set(["AccessToken", "AuthorizationCode", "RefreshToken", "DeviceCode",
  "BackchannelAuthenticationRequest"]);

class RedisAdapter {
  constructor(name) {
    this.name = name;
  }
  key(id) {
    return `${this.name}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const tx = redisClient().multi().del(key).hset(key, "payload", JSON.stringify(payload));
    if (expiresIn) tx.expire(key, expiresIn);
    if (byGrant.has(this.name) && payload.grantId) {
      const list = `grant:${payload.grantId}`;
      tx.rpush(list, key);
      if (expiresIn) tx.expire(list, expiresIn, "GT").expire(list, expiresIn, "NX");
    }
    if (payload.uid) {
      tx.set(`uid:${payload.uid}`, id);
      if (expiresIn) tx.expire(`uid:${payload.uid}`, expiresIn);
    }
    if (payload.userCode) {
      tx.set(`userCode:${payload.userCode}`, id);
      if (expiresIn) tx.expire(`userCode:${payload.userCode}`, expiresIn);
    }
    await tx.exec();
  }
  async find(id) {
    const stored = await redisClient().hgetall(this.key(id));
    if (!stored || !stored.payload) return undefined;
    const payload = JSON.parse(stored.payload);
    if (stored.consumed) payload.consumed = Number(stored.consumed);
    return payload;
  }
  async findByUid(uid) {
    const id = await redisClient().get(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }
  async findByUserCode(userCode) {
    const id = await redisClient().get(`userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }
  async consume(id) {
    await redisClient().hset(this.key(id), "consumed", Math.floor(Date.now() / 1000));
  }
  async destroy(id) {
    await redisClient().del(this.key(id));
  }
  async revokeByGrantId(grantId) {
    const list = `grant:${grantId}`;
    const keys = await redisClient().lrange(list, 0, -1);
    // The list holds unprefixed names; ioredis prefixes them again in del().
    const tx = redisClient().multi();
    for (const key of keys) tx.del(key);
    tx.del(list);
    await tx.exec();
  }
}

async function configuration(jwks) {
  return {
    adapter: adapterKind === "redis" ? RedisAdapter : MapAdapter,
    clients: [
      {
        client_id: "bench-machine",
        client_secret: secret,
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
        scope: "introspection",
      },
      {
        client_id: "bench-portal",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "none",
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks,
    scopes: ["openid", "profile", "introspection"],
    claims: { openid: ["sub"], profile: ["name", "family_name", "given_name", "birthdate", "gender"] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 3600, AuthorizationCode: 3600, ClientCredentials: 600, Grant: 3600, IdToken: 600 },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: "Nguyễn Văn An",
        family_name: "Nguyễn",
        given_name: "An",
        birthdate: "1990-05-15",
        gender: "male",
      }),
    }),
  };
}

async function mint(provider, count) {
  const client = await provider.Client.find("bench-portal");
  const { createHash } = await import("node:crypto");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const codes = [];
  for (let i = 0; i < count; i += 1) {
    const grant = new provider.Grant({ accountId: "bench-account", clientId: "bench-portal" });
    grant.addOIDCScope("openid profile");
    const grantId = await grant.save();
    const code = new provider.AuthorizationCode({
      accountId: "bench-account",
      grantId,
      client,
      redirectUri,
      scope: "openid profile",
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      authTime: Math.floor(Date.now() / 1000),
      nonce: `n${i}`,
    });
    codes.push(await code.save());
  }
  const grant = new provider.Grant({ accountId: "bench-account", clientId: "bench-portal" });
  grant.addOIDCScope("openid profile");
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: "bench-account", grantId, client, scope: "openid profile",
  });
  const accessToken = await token.save();
  return { codes, accessToken };
}

if (cluster.isPrimary) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: "ES256", use: "sig", kid: "bench-es256" };
  const jwks = { keys: [jwk] };
  captured = [];
  const minter = new Provider(issuer, await configuration(jwks));
  const minted = await mint(minter, Number(process.env.CODES || 0));
  if (process.env.CODE_LIST) {
    writeFileSync(process.env.CODE_LIST, JSON.stringify({ ...minted, verifier, redirectUri }));
  }
  const records = JSON.stringify(adapterKind === "redis" ? [] : captured);
  writeFileSync(`${process.env.CODE_LIST || "/tmp/oidc-peer"}.records`, records);
  if (redis !== null) await redis.quit();
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ PEER_JWKS: JSON.stringify(jwks), PEER_RECORDS: `${process.env.CODE_LIST || "/tmp/oidc-peer"}.records` });
  }
} else {
  const jwks = JSON.parse(process.env.PEER_JWKS);
  for (const record of JSON.parse(readFileSync(process.env.PEER_RECORDS, "utf8"))) {
    await new MapAdapter(record.model).upsert(record.id, record.payload, record.expiresIn);
  }
  const provider = new Provider(issuer, await configuration(jwks));
  provider.listen(port, "127.0.0.1");
}
