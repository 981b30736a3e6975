// The steps and the environment of each, from the arguments and the runner's environment; no I/O.
//
// One container has one environment, so the variables of step n carry the prefix STEP<n>_ and each
// step gets them back without it, on top of the shared ones: a step never sees another's settings, and
// a variable for a step that does not exist is an error rather than silently unused.

import { UsageError } from '../core/errors.ts';
import { envPrefix, suggest } from '../core/options.ts';
import { spec } from './spec.ts';
import { TOOL_NAMES, type ToolName } from './tools.ts';

export interface StepPlan {
  name: string;
  tool: ToolName;
  env: NodeJS.ProcessEnv;
}

/** A step's name is a DNS label, like the init container it stands for. */
const STEP_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const STEP_VAR = /^STEP(\d+)_(.*)$/s;
/**
 * Read by Node.js (and OpenSSL, libuv) once, when the process starts: as one step's own they would be
 * set in process.env too late and silently do nothing (a private CA not trusted, a heap limit not set).
 */
const PROCESS_START_VARS = new Set([
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'NODE_ICU_DATA',
  'NODE_NO_WARNINGS',
  'NODE_PENDING_DEPRECATION',
  'NODE_PRESERVE_SYMLINKS',
  'NODE_REDIRECT_WARNINGS',
  'NODE_V8_COVERAGE',
  'NODE_COMPILE_CACHE',
  'NODE_USE_ENV_PROXY',
  'NODE_USE_SYSTEM_CA',
  'OPENSSL_CONF',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'UV_THREADPOOL_SIZE',
  'UV_USE_IO_URING',
]);

export function buildPlan(args: readonly string[], env: NodeJS.ProcessEnv): StepPlan[] {
  if (args.length === 0) {
    throw new UsageError(
      `no steps: name them in order as arguments NAME=TOOL (or in ${envPrefix(spec.name)}${spec.positional.env}), e.g. db=wait-for-db config=render-config`,
    );
  }
  const steps = args.map(parseStep);
  const seen = new Set<string>();
  for (const { name } of steps) {
    if (seen.has(name)) throw new UsageError(`step name "${name}" is given twice: every step needs its own name (NAME=TOOL)`);
    seen.add(name);
  }
  const shared: NodeJS.ProcessEnv = {};
  const own = steps.map((): NodeJS.ProcessEnv => ({}));
  for (const [name, value] of Object.entries(env)) {
    const match = STEP_VAR.exec(name);
    if (match === null) {
      if (!name.startsWith(envPrefix(spec.name))) shared[name] = value;
      continue;
    }
    const [, number, variable] = match as unknown as [string, string, string];
    const index = Number(number);
    if (String(index) !== number || index < 1 || index > steps.length || variable === '') {
      throw new UsageError(
        `env ${name} is for no step: STEP<n>_<VAR> sets <VAR> for step n, counted from 1 (${steps.map((s, i) => `${i + 1}: ${s.name}`).join(', ')}); rename or remove it`,
      );
    }
    if (PROCESS_START_VARS.has(variable)) {
      throw new UsageError(
        `env ${name}: Node.js reads ${variable} once for the whole process (when it starts), so it cannot be one step's own; set ${variable} for all the steps (shared, without STEP<n>_), or run this step in a container of its own`,
      );
    }
    (own[index - 1] as NodeJS.ProcessEnv)[variable] = value;
  }
  return steps.map((step, i) => ({ ...step, env: { ...shared, ...own[i] } }));
}

function parseStep(arg: string): { name: string; tool: ToolName } {
  const eq = arg.indexOf('=');
  const name = eq === -1 ? arg : arg.slice(0, eq);
  const tool = eq === -1 ? arg : arg.slice(eq + 1);
  if (!TOOL_NAMES.includes(tool as ToolName)) {
    throw new UsageError(`step "${arg}": unknown tool "${tool}"${suggest(tool, TOOL_NAMES, '')}; the tools are ${TOOL_NAMES.join(', ')}`);
  }
  if (!STEP_NAME.test(name)) {
    throw new UsageError(
      `step "${arg}": the name "${name}" must be lowercase letters, digits and '-' (at most 63, starting and ending with a letter or digit)`,
    );
  }
  return { name, tool: tool as ToolName };
}
