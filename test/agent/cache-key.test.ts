// Cache key templates as CircleCI renders them (save_cache / restore_cache).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { archValue, CacheKeyError, checksumFiles, renderCacheKey, sha256Base64, type CacheKeyContext } from '../../src/agent/cache-key.ts';

const files: Record<string, string> = { 'package-lock.json': '{"lockfileVersion":3}\n', 'a b.txt': 'x' };

const ctx: CacheKeyContext = {
  branch: 'feature/x',
  revision: '0123456789abcdef0123456789abcdef01234567',
  buildNum: 42,
  checkoutKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n',
  environment: { CACHE_VERSION: 'v3', EMPTY: '' },
  now: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  arch: 'arch1-linux-amd64',
  checksum: (f) => (files[f] === undefined ? undefined : sha256Base64(files[f]!)),
};

const lockSum = crypto.createHash('sha256').update(files['package-lock.json']!).digest('base64');

describe('cache key templates', () => {
  it.each([
    ['v1-deps', 'v1-deps'],
    ['v1-{{ .Branch }}', 'v1-feature/x'],
    ['v1-{{.Branch}}-{{ .Revision }}', 'v1-feature/x-0123456789abcdef0123456789abcdef01234567'],
    ['b{{ .BuildNum }}', 'b42'],
    ['{{ .Environment.CACHE_VERSION }}-x', 'v3-x'],
    ['{{ .Environment.EMPTY }}-x', '-x'],
    ['{{ .Environment.UNSET }}-x', '<no value>-x'],
    ['deps-{{ checksum "package-lock.json" }}', `deps-${lockSum}`],
    ['deps-{{ checksum `a b.txt` }}', `deps-${sha256Base64('x')}`],
    ['e{{ epoch }}', `e${Math.floor(ctx.now / 1000)}`],
    ['{{ arch }}-{{ .Branch }}', 'arch1-linux-amd64-feature/x'],
    ['a  {{- .BuildNum -}}  b', 'a42b'],
    ['{{ .CheckoutKey }}', sha256Base64(ctx.checkoutKey!)],
  ])('%s → %s', (template, expected) => {
    expect(renderCacheKey(template, ctx)).toBe(expected);
  });

  it('checksum is the standard, padded base64 of SHA-256 (like CircleCI)', () => {
    expect(sha256Base64('')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('renders empty values for a tag pipeline and no checkout key', () => {
    expect(renderCacheKey('v1-{{ .Branch }}-{{ .CheckoutKey }}-{{ .BuildNum }}', { ...ctx, branch: null, checkoutKey: null, buildNum: null })).toBe('v1---');
  });

  it('fails on a missing file and on unknown actions', () => {
    expect(() => renderCacheKey('x-{{ checksum "nope.lock" }}', ctx)).toThrow(CacheKeyError);
    expect(() => renderCacheKey('x-{{ .Nope }}', ctx)).toThrow(/unsupported template action/);
    expect(() => renderCacheKey('x-{{ checksum package.json }}', ctx)).toThrow(CacheKeyError);
  });

  it('lists the files a template needs checksums of', () => {
    expect(checksumFiles('a-{{ checksum "x.lock" }}-{{ checksum "y" }}-{{ checksum "x.lock" }}-{{ .Bad }}')).toEqual(['x.lock', 'y']);
  });

  it('arch is arch1-<GOOS>-<GOARCH>', () => {
    expect(archValue('linux', 'x64')).toBe('arch1-linux-amd64');
    expect(archValue('darwin', 'arm64')).toBe('arch1-darwin-arm64');
    expect(archValue('win32', 'x64')).toBe('arch1-windows-amd64');
  });
});
