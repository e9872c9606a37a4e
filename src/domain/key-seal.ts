// The secret key in a backup, optionally sealed with a passphrase: scrypt derives a key from
// the passphrase, AES-256-GCM seals the secret key with it. Pure: no files.
import crypto from 'node:crypto';

export interface SealedKey {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const maxmem = 128 * PARAMS.N * PARAMS.r * 2;

function derive(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  return crypto.scryptSync(passphrase, salt, 32, { ...params, maxmem: Math.max(maxmem, 128 * params.N * params.r * 2) });
}

export function sealKeyWithPassphrase(key: Buffer, passphrase: string): SealedKey {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', derive(passphrase, salt, PARAMS), iv);
  const data = Buffer.concat([cipher.update(key), cipher.final()]);
  return { kdf: 'scrypt', ...PARAMS, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** The key sealed in `sealed`; throws 'wrong passphrase' when it does not open. */
export function openKeyWithPassphrase(sealed: SealedKey, passphrase: string): Buffer {
  if (sealed.kdf !== 'scrypt' || ![sealed.N, sealed.r, sealed.p].every((n) => Number.isInteger(n) && n > 0) || sealed.N > 2 ** 20) throw new Error('unreadable sealed key');
  const decipher = crypto.createDecipheriv('aes-256-gcm', derive(passphrase, Buffer.from(sealed.salt, 'base64'), sealed), Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    throw new Error('wrong passphrase: the secret key in the backup does not open with it');
  }
}
