// Fingerprints of private keys handed in through v1.1 `POST …/ssh-key`, checked against
// OpenSSH's own `ssh-keygen -l` on keys it generated (RSA, ECDSA, Ed25519; OpenSSH and PEM
// containers) and keys node generated.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadPrivateKey, generateSshKeyPair, privateKeyFingerprints } from '../../src/domain/ssh-keys.ts';
import { tempDir } from '../helpers/databases.ts';

const dir = tempDir('circlet-sshkeys-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const haveKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
})();

/** ssh-keygen's fingerprint of the key file, in the given hash. */
const keygenFingerprint = (file: string, hash: 'md5' | 'sha256') => {
  const out = execFileSync('ssh-keygen', ['-l', '-E', hash, '-f', file], { encoding: 'utf8' });
  return out.split(' ')[1]!.replace(/^MD5:/, '');
};

describe('privateKeyFingerprints', () => {
  it.skipIf(!haveKeygen)('matches ssh-keygen for RSA, ECDSA and Ed25519 keys in OpenSSH and PEM form', () => {
    for (const [type, extra, format] of [
      ['rsa', ['-b', '2048'], 'RFC4716'],
      ['rsa', ['-b', '2048'], 'PEM'],
      ['ecdsa', ['-b', '256'], 'RFC4716'],
      ['ecdsa', ['-b', '384'], 'PEM'],
      ['ed25519', [], 'RFC4716'],
    ] as const) {
      const file = path.join(dir, `${type}-${format}-${crypto.randomBytes(3).toString('hex')}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-m', format, '-N', '', '-f', file]);
      const got = privateKeyFingerprints(fs.readFileSync(file, 'utf8'));
      expect(got, `${type} ${format}`).toEqual({ md5: keygenFingerprint(file, 'md5'), sha256: keygenFingerprint(file, 'sha256') });
    }
  });

  it("matches the generator's fingerprints, and node's PKCS#8 keys", () => {
    const pair = generateSshKeyPair();
    expect(privateKeyFingerprints(pair.privateKey)).toEqual({ md5: pair.fingerprintMd5, sha256: pair.fingerprintSha256 });
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(privateKeyFingerprints(rsa).md5).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });

  it.skipIf(!haveKeygen)('refuses passphrase-protected keys and what is not a key, naming why', () => {
    const file = path.join(dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', file]);
    expect(() => privateKeyFingerprints(fs.readFileSync(file, 'utf8'))).toThrow(new BadPrivateKey('passphrase-protected keys are not supported'));
    const pem = path.join(dir, 'locked-pem');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'secret', '-f', pem]);
    expect(() => privateKeyFingerprints(fs.readFileSync(pem, 'utf8'))).toThrow(/passphrase-protected/);
    expect(() => privateKeyFingerprints('RSA private key')).toThrow(/not a PEM or OpenSSH private key/);
    expect(() => privateKeyFingerprints('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----')).toThrow(BadPrivateKey);
  });
});
