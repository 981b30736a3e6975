// The tools a step can run, each loaded only when a step names it (so --help and --version load none).

import type { ToolDefinition } from '../core/cli.ts';

const LOADERS = {
  'wait-for-db': async () => ({ spec: (await import('../wait-for-db/spec.ts')).spec, ...(await import('../wait-for-db/main.ts')) }),
  'copy-secrets': async () => ({ spec: (await import('../copy-secrets/spec.ts')).spec, ...(await import('../copy-secrets/main.ts')) }),
  'fetch-and-convert-data': async () => ({
    spec: (await import('../fetch-and-convert-data/spec.ts')).spec,
    ...(await import('../fetch-and-convert-data/main.ts')),
  }),
  'render-config': async () => ({ spec: (await import('../render-config/spec.ts')).spec, ...(await import('../render-config/main.ts')) }),
} satisfies Record<string, () => Promise<ToolDefinition>>;

export type ToolName = keyof typeof LOADERS;
export const TOOL_NAMES = Object.keys(LOADERS) as ToolName[];

export function loadTool(name: ToolName): Promise<ToolDefinition> {
  return LOADERS[name]();
}
