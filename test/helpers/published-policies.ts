// The IAM policies exactly as the docs publish them: the ```json blocks of a markdown section, with the
// placeholders a reader replaces (account, OIDC provider, service account) replaced the same way. The IAM
// tests apply these, so a policy that is edited in the docs is the policy that is proven.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: Record<string, unknown>;
}

/** The text of the section under `heading` (up to the next heading of the same or a higher level). */
function section(file: string, heading: string): string {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const start = text.indexOf(`\n${heading}\n`);
  if (level === 0 || start < 0) throw new Error(`${file}: no section "${heading}"`);
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

function parsePolicy(block: string, replace: Record<string, string>): PolicyDocument {
  let json = block;
  for (const [from, to] of Object.entries(replace)) json = json.split(from).join(to);
  const parsed = JSON.parse(json.trimStart().startsWith('{ "Effect"') ? `[${json}]` : json) as PolicyDocument | Statement[];
  return Array.isArray(parsed) ? { Version: '2012-10-17', Statement: parsed } : parsed;
}

/** A published policy and the commands shown before it that print it (none when the docs show none). */
export interface PublishedExample {
  commands: string[];
  policy: PolicyDocument;
}

/**
 * The JSON blocks of a section, in order, each with the commands of the ```sh block just before it
 * (lines joined at a trailing backslash), after replacing each key of `replace` by its value in the
 * JSON. A block of bare statements (`{ "Effect": ... }, { ... }`) becomes a policy of those statements.
 */
export function publishedExamples(file: string, heading: string, replace: Record<string, string> = {}): PublishedExample[] {
  const examples: PublishedExample[] = [];
  let commands: string[] = [];
  for (const match of section(file, heading).matchAll(/^[ \t]*```(json|sh)\n([\s\S]*?)^[ \t]*```/gm)) {
    const [, kind, body] = match as unknown as [string, string, string];
    if (kind === 'sh') {
      commands = body
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      continue;
    }
    examples.push({ commands, policy: parsePolicy(body, replace) });
    commands = [];
  }
  return examples;
}

/** The JSON blocks of a section as policies (see publishedExamples). */
export function publishedPolicies(file: string, heading: string, replace: Record<string, string> = {}): PolicyDocument[] {
  return publishedExamples(file, heading, replace).map((example) => example.policy);
}

/** Every action the policy allows, one per entry. */
export function actionsOf(policy: PolicyDocument): string[] {
  return policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** The policy without one action (a statement left with no action is dropped). */
export function withoutAction(policy: PolicyDocument, action: string): PolicyDocument {
  const Statement = policy.Statement.flatMap((s) => {
    const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== action);
    return actions.length === 0 ? [] : [{ ...s, Action: actions }];
  });
  return { ...policy, Statement };
}
