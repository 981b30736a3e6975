// Bounds on what a JSON or YAML document may turn into before it is built in memory. The parsers and
// serialisers recurse (a document nested 100 000 deep overflows the stack), and YAML aliases copy a value
// wherever they appear (a 2 MiB anchor aliased 99 times is 200 MiB of output from 2 MiB of input, which
// the alias count alone does not see). Both are measured without recursion and without expanding.

import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';

export interface DocumentLimits {
  /** Deepest nesting of arrays and objects (--max-nesting). */
  maxNesting: number;
  /** Bytes YAML aliases may copy into one document (--max-yaml-alias-bytes). */
  maxAliasBytes: number;
  /** Bytes one converted document may have, built whole in memory (--max-document-bytes). */
  maxDocumentBytes: number;
}

export function nestingError(what: string, where: string, maxNesting: number): InvalidInputError {
  return new InvalidInputError(`${what}: ${where} nests arrays and objects deeper than --max-nesting ${maxNesting}; raise the limit if this is expected`);
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;

/**
 * Nesting depth of JSON text fed chunk by chunk, checked as it streams: a byte scanner that knows only
 * strings and brackets (malformed text is the parser's business afterwards).
 */
export class JsonNesting {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private readonly what: string;
  private readonly maxNesting: number;

  constructor(what: string, maxNesting: number) {
    this.what = what;
    this.maxNesting = maxNesting;
  }

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === LF) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        if (++this.depth > this.maxNesting) throw nestingError(this.what, `the JSON at line ${this.line}`, this.maxNesting);
      } else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && this.depth > 0) this.depth--;
    }
  }
}

/** Bytes of JSON a scalar becomes, about (quotes and separators included). */
function scalarBytes(value: unknown): number {
  return (typeof value === 'string' ? Buffer.byteLength(value) : String(value).length) + 3;
}

/**
 * Checks one parsed YAML document against the limits before it is converted: its nesting, the bytes its
 * aliases copy (each alias counts the whole expanded size of what it names, nested aliases included) and
 * the size of the expanded document. Iterative, each node measured once.
 */
export function checkYamlDocument(document: Document, index: number, what: string, limits: DocumentLimits): void {
  const where = `YAML document ${index + 1}`;
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let aliasBytes = 0;
  const resolve = (node: Node): Node | undefined => (isAlias(node) ? (node.resolve(document) ?? undefined) : node);
  const children = (node: Node): Node[] => {
    if (isMap(node) || isSeq(node)) {
      const kids: Node[] = [];
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          for (const part of [item.key, item.value]) if (part && typeof part === 'object') kids.push(part as Node);
        } else if (item && typeof item === 'object') kids.push(item as Node);
      }
      return kids;
    }
    const target = isAlias(node) ? resolve(node) : undefined;
    return target ? [target] : [];
  };
  const root = document.contents as Node | null;
  if (!root) return;
  const stack: Array<{ node: Node; depth: number; expanded: boolean }> = [{ node: root, depth: 0, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as (typeof stack)[number];
    const { node } = frame;
    if (sizes.has(node)) {
      stack.pop();
      continue;
    }
    if (!frame.expanded) {
      if (open.has(node))
        throw new InvalidInputError(`${what}: ${where}: an alias refers to a value that contains it (a recursive structure JSON cannot hold)`);
      const depth = frame.depth + (isMap(node) || isSeq(node) ? 1 : 0);
      if (depth > limits.maxNesting) throw nestingError(what, where, limits.maxNesting);
      frame.expanded = true;
      open.add(node);
      for (const child of children(node)) if (!sizes.has(child)) stack.push({ node: child, depth, expanded: false });
      continue;
    }
    stack.pop();
    open.delete(node);
    let size: number;
    if (isAlias(node)) {
      const target = resolve(node);
      size = target ? (sizes.get(target) ?? 0) : 0;
      aliasBytes += size;
      if (aliasBytes > limits.maxAliasBytes) {
        throw new InvalidInputError(
          `${what}: ${where}: its aliases copy more than --max-yaml-alias-bytes ${formatSize(limits.maxAliasBytes)} (a "billion laughs" expansion?); raise the limit if this is expected`,
        );
      }
    } else if (isScalar(node)) size = scalarBytes(node.value);
    else size = 2 + children(node).reduce((sum, child) => sum + (sizes.get(child) ?? 0) + 1, 0);
    if (size > limits.maxDocumentBytes) {
      throw new InvalidInputError(
        `${what}: ${where} expands to more than --max-document-bytes ${formatSize(limits.maxDocumentBytes)}; raise the limit if this is expected`,
      );
    }
    sizes.set(node, size);
  }
}
