// The secrets of a job, masked in its output: which values are masked (CircleCI's rule:
// 4+ characters, booleans aside; a multi-line secret also line by line), text and UTF-8
// bytes masked, and how much of a tail could begin a secret (agent/output.ts holds such a
// tail back until more output shows whether it is one).
//
// Bytes are masked without a decode unless they hold a secret (one `indexOf` per secret):
// UTF-8 makes this exact, a secret's bytes match only where its characters do.

export const MASK = '********';

/** CircleCI leaves short values and booleans unmasked (they would mask too much). */
export function maskable(value: string): boolean {
  return value.length >= 4 && !['true', 'True', 'false', 'False'].includes(value);
}

export class Masker {
  private readonly re: RegExp | undefined;
  private readonly secrets: string[];
  private readonly secretBytes: Buffer[];
  /** True when a secret spans lines (output holding it must be masked across its newlines). */
  readonly multiLine: boolean;

  constructor(values: Iterable<string>) {
    const set = new Set<string>();
    for (const v of values) {
      if (maskable(v)) set.add(v);
      // A multi-line secret is also masked line by line (output is masked per line).
      if (v.includes('\n')) for (const line of v.split(/\r?\n/)) if (maskable(line.trim())) set.add(line.trim());
    }
    this.secrets = [...set].sort((a, b) => b.length - a.length);
    this.secretBytes = this.secrets.map((x) => Buffer.from(x));
    this.multiLine = this.secrets.some((x) => x.includes('\n'));
    this.re = this.secrets.length > 0 ? new RegExp(this.secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  }


  get empty(): boolean {
    return this.re === undefined;
  }

  mask(text: string): string {
    return this.re ? text.replace(this.re, MASK) : text;
  }

  /** `bytes` (UTF-8) masked: the same bytes when they hold no secret, else decoded, masked and encoded. */
  maskBytes(bytes: Buffer): Buffer {
    if (!this.re || !this.secretBytes.some((s) => bytes.includes(s))) return bytes;
    return Buffer.from(this.mask(bytes.toString('utf8')));
  }

  /** How many trailing bytes of `bytes` could begin a secret (and must wait for more). */
  heldBytes(bytes: Buffer): number {
    let best = 0;
    for (const s of this.secretBytes) {
      const max = Math.min(s.length - 1, bytes.length);
      for (let k = max; k > best; k--) {
        if (bytes.compare(s, 0, k, bytes.length - k) === 0) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  /** How many trailing characters of `text` could begin a secret (and must wait for more). */
  heldSuffix(text: string): number {
    let best = 0;
    for (const s of this.secrets) {
      const max = Math.min(s.length - 1, text.length);
      for (let k = max; k > best; k--) {
        if (text.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
