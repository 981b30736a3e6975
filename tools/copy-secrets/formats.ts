// The optional combined outputs: one JSON object, a dotenv file, a Java properties file. Each maps output
// file names to their text values; a binary value cannot go into them and is an error naming the file.

import { InvalidInputError } from '../core/errors.ts';
import { envVarName } from './names.ts';
import { utf8, type OutputFile } from './shape.ts';

export type CombinedFormat = 'json' | 'dotenv' | 'properties';

const FLAG: Record<CombinedFormat, string> = { json: '--json-file', dotenv: '--dotenv-file', properties: '--properties-file' };

function textOf(file: OutputFile, format: CombinedFormat): string {
  const text = utf8(file.bytes);
  if (text === undefined)
    throw new InvalidInputError(`${file.source.label} (file "${file.name}") is binary, not UTF-8 text; it cannot go into ${FLAG[format]}`);
  return text;
}

export function renderCombined(files: readonly OutputFile[], format: CombinedFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(Object.fromEntries(files.map((f) => [f.name, textOf(f, format)])), null, 2)}\n`;
    case 'dotenv':
      return renderDotenv(files);
    case 'properties':
      return files.map((f) => `${escapeProperty(f.name, true)}=${escapeProperty(textOf(f, format), false)}\n`).join('');
  }
}

/**
 * NAME='value' lines. Single quotes are the one shell quoting with no expansion inside: `$`, backticks,
 * `\`, `#` and newlines stay literal, so `. file` (sh, bash) sets the exact value; a quote is written as '\''.
 */
function renderDotenv(files: readonly OutputFile[]): string {
  const owners = new Map<string, string>();
  return files
    .map((file) => {
      const name = envVarName(file.name);
      const other = owners.get(name);
      if (other !== undefined)
        throw new InvalidInputError(`files "${other}" and "${file.name}" both become the variable ${name} in --dotenv-file; rename one with as=FILE`);
      owners.set(name, file.name);
      const text = textOf(file, 'dotenv');
      if (text.includes('\0'))
        throw new InvalidInputError(`${file.source.label} (file "${file.name}") contains a NUL byte, which no environment variable can hold`);
      return `${name}=${shellQuote(text)}\n`;
    })
    .join('');
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Escapes for java.util.Properties: backslash escapes, and \uXXXX for everything outside printable ASCII. */
export function escapeProperty(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const code = c.charCodeAt(0);
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\f') out += '\\f';
    else if (c === '=' || c === ':' || c === '#' || c === '!') out += `\\${c}`;
    else if (c === ' ' && (isKey || i === 0)) out += '\\ ';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out;
}
