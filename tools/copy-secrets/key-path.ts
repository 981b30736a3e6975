// `#a.b[0].c`: a value nested in a JSON secret, the way the Secrets Store CSI AWS provider's jmesPath
// selects one (names joined by ".", array indices in brackets, a name with "." or "[" in double quotes:
// `#"db.primary".password`). An exact top-level key always wins over the path reading, so a key that
// contains a dot (`#db.password`) keeps meaning that key.

export type Segment = { name: string } | { index: number };

/** The segments of a path, or undefined when the text is not one (then it can only be a plain key). */
export function parseKeyPath(text: string): Segment[] | undefined {
  // A quoted name, a bare name, or an index; a name must come first and after every ".".
  const token = /"((?:[^"\\]|\\.)*)"|([^.[\]"]+)|\[(0|[1-9][0-9]{0,8})\]/y;
  const segments: Segment[] = [];
  let expectName = true;
  let at = 0;
  while (at < text.length) {
    if (!expectName && text[at] === '.') {
      at++;
      expectName = true;
      continue;
    }
    token.lastIndex = at;
    const match = token.exec(text);
    if (match === null) return undefined;
    const [, quoted, bare, index] = match;
    if (index !== undefined) {
      if (expectName) return undefined;
      segments.push({ index: Number(index) });
    } else {
      if (!expectName) return undefined;
      try {
        segments.push({ name: quoted !== undefined ? (JSON.parse(`"${quoted}"`) as string) : (bare as string) });
      } catch {
        return undefined;
      }
    }
    expectName = false;
    at = token.lastIndex;
  }
  return expectName ? undefined : segments;
}

/** The path as written back, for messages (never with a value). */
export function formatKeyPath(segments: readonly Segment[]): string {
  return segments
    .map((s, i) =>
      'index' in s ? `[${s.index}]` : /^[^.[\]"]+$/.test(s.name) ? `${i > 0 ? '.' : ''}${s.name}` : `${i > 0 ? '.' : ''}${JSON.stringify(s.name)}`,
    )
    .join('');
}

/** Walks the path; the value, or what is missing where (naming only the path, never a value). */
export function resolveKeyPath(root: unknown, segments: readonly Segment[]): { value: unknown } | { missing: string } {
  let value = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    const where = formatKeyPath(segments.slice(0, i)) || 'the secret';
    if ('index' in segment) {
      if (!Array.isArray(value)) return { missing: `${where} is not an array` };
      if (segment.index >= value.length) return { missing: `${where} has ${value.length} item${value.length === 1 ? '' : 's'}, no [${segment.index}]` };
      value = value[segment.index];
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { missing: `${where} is not an object` };
      if (!Object.hasOwn(value, segment.name)) return { missing: `${where} has no key ${JSON.stringify(segment.name)}` };
      value = (value as Record<string, unknown>)[segment.name];
    }
  }
  return { value };
}
