// The limits of document-limits.ts on a parsed YAML document: its own module, so that the yaml package
// is loaded only when a YAML document is converted.

import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';
import { nestingError, type DocumentLimits } from './document-limits.ts';

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
