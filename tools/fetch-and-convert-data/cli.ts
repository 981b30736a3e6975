// fetch-and-convert-data: download (s3, https, http, file), verify, convert and place data atomically.
// Top-down: parse flags/env/config -> plan (every mistake is a usage error before any download) ->
// act (streams, heavy modules loaded only now) -> one summary line.

import { runTool } from '../core/cli.ts';
import { buildPlan } from './plan.ts';
import { spec } from './spec.ts';

runTool(spec, async (ctx) => {
  const plan = buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
  const { act } = await import('./act.ts');
  await act(plan, ctx.signal, ctx.log);
});
