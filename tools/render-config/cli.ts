// render-config: parse flags -> plan -> render every template (values, secrets, validation) -> publish.
// The renderer and its libraries load only after the flags are parsed, so --version and --help stay fast.

import { runTool } from '../core/cli.ts';
import { redactor } from '../core/redact.ts';
import { buildPlan } from './plan.ts';
import { spec } from './spec.ts';

runTool(spec, async ({ options, log, signal, env }) => {
  const plan = buildPlan(options);
  const { run } = await import('./render.ts');
  await run(plan, { log, signal, env, print: (line) => process.stdout.write(`${redactor.redact(line)}\n`) });
});
