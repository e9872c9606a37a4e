// Personal API tokens and runner tokens: random, shown once, stored only as SHA-256.
import crypto from 'node:crypto';

/** A new token: 40 lowercase hex characters, like CircleCI's personal tokens. */
export function generateToken(): string {
  return crypto.randomBytes(20).toString('hex');
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
