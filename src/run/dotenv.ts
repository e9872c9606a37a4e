// dotenv files (`--env-file`, `--context NAME=FILE`): `KEY=VALUE` lines, `#` comments,
// an optional `export `, values optionally quoted ('…' literal, "…" with \n \t \" \\ escapes).

export class DotenvError extends Error {}

export function parseDotenv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new DotenvError(`${file}:${i + 1}: expected KEY=VALUE`);
    let value = m[2]!;
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines until its closing quote.
      let body = value.slice(1);
      while (!new RegExp(`(^|[^\\\\])${quote}\\s*(#.*)?$`).test(body) && i + 1 < lines.length) body += '\n' + lines[++i]!;
      const end = body.lastIndexOf(quote);
      if (end === -1) throw new DotenvError(`${file}:${i + 1}: unterminated ${quote} value of ${m[1]}`);
      value = body.slice(0, end);
      if (quote === '"') value = value.replace(/\\([nrt"\\])/g, (_s, c: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[c]!);
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    out[m[1]!] = value;
  }
  return out;
}
