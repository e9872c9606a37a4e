// Pipeline parameters typed as `name=value` lines: numbers and true/false keep their type,
// everything else is a string. Pure.

export type Parsed = { ok: true; value: Record<string, string | number | boolean> } | { ok: false; error: string };

export function parseParameters(text: string): Parsed {
  const value: Record<string, string | number | boolean> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { ok: false, error: `Line ${i + 1}: write name=value` };
    const name = line.slice(0, eq).trim();
    const v = line.slice(eq + 1).trim();
    value[name] = v === 'true' ? true : v === 'false' ? false : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return { ok: true, value };
}
