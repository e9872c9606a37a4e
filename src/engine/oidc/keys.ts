// The OIDC signing keys: ES256 (P-256) key pairs made with jose, the private half sealed in
// the database. The newest key signs; a new one is made when it is older than the rotation
// period; older keys stay published in the JWKS until no token they signed can be valid.
import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { Db } from '../../storage/executor.ts';
import { deleteSigningKeysBefore, insertSigningKey, signingKeysSince } from '../../storage/oidc.ts';

export const OIDC_ALG = 'ES256';
/** A new signing key every 30 days. */
export const ROTATE_MS = 30 * 86_400_000;
/** The longest token lifetime circlet issues (a ttl claim above it is capped). */
export const MAX_TTL_MS = 24 * 3_600_000;

export interface ActiveKey {
  kid: string;
  key: CryptoKey;
}

export interface KeyOptions {
  db: Db;
  secrets: SecretBox;
  now: () => Date;
  rotateMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The key to sign with now, made (and stale keys dropped) when the newest is too old. */
export async function activeSigningKey(opts: KeyOptions): Promise<ActiveKey> {
  const rotate = opts.rotateMs ?? ROTATE_MS;
  const now = opts.now().getTime();
  let [newest] = await signingKeysSince(opts.db, iso(now - rotate));
  if (!newest) {
    const { publicKey, privateKey } = await generateKeyPair(OIDC_ALG, { extractable: true });
    const kid = crypto.randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: OIDC_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: OIDC_ALG };
    newest = { kid, alg: OIDC_ALG, public_jwk: JSON.stringify(publicJwk), private_jwk_sealed: opts.secrets.seal(JSON.stringify(privateJwk)), created_at: iso(now) };
    await insertSigningKey(opts.db, newest);
    // A key stops signing after `rotate`; its last tokens expire MAX_TTL_MS later.
    await deleteSigningKeysBefore(opts.db, iso(now - rotate - MAX_TTL_MS));
  }
  const jwk = JSON.parse(opts.secrets.open(newest.private_jwk_sealed)) as JWK;
  return { kid: newest.kid, key: (await importJWK(jwk, OIDC_ALG)) as CryptoKey };
}

/** The public keys a relying party needs: every key that may have signed a still-valid token. */
export async function publishedKeys(opts: KeyOptions): Promise<{ keys: JWK[] }> {
  const rotate = opts.rotateMs ?? ROTATE_MS;
  const rows = await signingKeysSince(opts.db, iso(opts.now().getTime() - rotate - MAX_TTL_MS));
  return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
}
