// Documents that attack parsers: nesting 100,000 deep, alias bombs, unknown tags, binary noise.
export const DEPTH = 100_000;

export const deepJsonArrays = (): string => `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
export const deepJsonObjects = (): string => `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
export const deepYamlFlow = (): string => `key: ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`;

/** "Billion laughs": nine levels of nine aliases, 9^9 nodes once expanded. */
export function yamlAliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level <= 9; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(9).fill(previous).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

export const yamlUnknownTag = (): string => 'password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162636465\n';
export const binaryNoise = (): Buffer => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256));
