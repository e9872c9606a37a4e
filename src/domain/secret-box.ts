// Seals secrets at rest with AES-256-GCM. The key comes from CIRCLET_SECRET_KEY or a
// file generated once in the data dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** A hex HMAC-SHA256 of `data` under a key derived from the secret key (for signed URLs). */
  mac(data: string): string;
}

const VERSION = 'v1';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('secret key must be 32 bytes');
  const macKey = crypto.createHmac('sha256', key).update('circlet-url-signing').digest();
  return {
    mac(data) {
      return crypto.createHmac('sha256', macKey).update(data, 'utf8').digest('hex');
    },
    seal(plain) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), body.toString('base64')].join(':');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split(':');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

/** Derives a 32-byte key from any passphrase (hex or base64 of 32 bytes is used as is). */
export function keyFromString(value: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  const b64 = Buffer.from(value, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(value)) return b64;
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The key from `CIRCLET_SECRET_KEY`, else `<dataDir>/secret.key` (created with mode 0600
 * on first use). Several replicas sharing one database must share the key.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.CIRCLET_SECRET_KEY) return keyFromString(env.CIRCLET_SECRET_KEY);
  const file = path.join(dataDir, 'secret.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return keyFromString(fs.readFileSync(file, 'utf8').trim());
}
