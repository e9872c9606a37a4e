// Waiting in tests: poll a reading until it satisfies a condition, or fail with the last
// reading after a deadline. One helper for every test that waits on something asynchronous.

/**
 * Reads `read()` every `everyMs` until `ok` holds for it (default: the reading is truthy) and
 * returns that reading; throws, naming `what` is waited for and the last reading, after `timeoutMs`.
 */
export async function waitFor<T>(read: () => T | Promise<T>, ok: (v: T) => boolean = Boolean, { timeoutMs = 10_000, everyMs = 50, what = '' } = {}): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting${what ? ` for ${what}` : ''}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
