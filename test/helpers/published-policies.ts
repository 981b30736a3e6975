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

/**
 * The JSON blocks of the section under `heading` (up to the next heading of the same or a higher level),
 * in order, after replacing each key of `replace` by its value. A block of bare statements
 * (`{ "Effect": ... }, { ... }`) becomes a policy of those statements.
 */
export function publishedPolicies(file: string, heading: string, replace: Record<string, string> = {}): PolicyDocument[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const start = text.indexOf(`\n${heading}\n`);
  if (level === 0 || start < 0) throw new Error(`${file}: no section "${heading}"`);
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  const section = next < 0 ? rest : rest.slice(0, next);
  const blocks = [...section.matchAll(/^[ \t]*```json\n([\s\S]*?)^[ \t]*```/gm)].map((m) => m[1] as string);
  return blocks.map((block) => {
    let json = block;
    for (const [from, to] of Object.entries(replace)) json = json.split(from).join(to);
    const parsed = JSON.parse(json.trimStart().startsWith('{ "Effect"') ? `[${json}]` : json) as PolicyDocument | Statement[];
    return Array.isArray(parsed) ? { Version: '2012-10-17', Statement: parsed } : parsed;
  });
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

/** Two policies' statements in one (the docs publish some as parts to combine). */
export function combined(...policies: PolicyDocument[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: policies.flatMap((p) => p.Statement) };
}
