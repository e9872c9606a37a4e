// How project environment variable values are shown (v2 and v1.1 alike): `xxxx` and the last
// four characters; values of four characters or fewer are masked entirely.
export function maskEnvValue(value: string): string {
  const chars = [...value];
  return chars.length > 4 ? 'xxxx' + chars.slice(-4).join('') : 'xxxx';
}
