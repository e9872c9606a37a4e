// Optional request fields that real clients send empty when the user gave nothing: an empty
// string there means "not given" (CircleCI's own clients always send `"content": ""` and
// `"branch": ""`), so it is accepted by the schema and read as absent.

/** An optional string field; `""` is read as absent by `given`. */
export const optionalText = { type: 'string' } as const;

/** The value, or undefined when it is absent or empty. */
export function given(s: string | undefined | null): string | undefined {
  return s === undefined || s === null || s === '' ? undefined : s;
}
