// fetch-and-convert-data: download (s3, https, http, file), verify, convert and place data atomically.
// Top-down: parse flags/env/config -> plan (every mistake is a usage error before any download) ->
// act (streams, heavy modules loaded only now) -> one summary line. The same bundle also runs as the
// worker thread that converts whole JSON and YAML documents (document-worker.ts).

import { runTool } from '../core/cli.ts';
import { isDocumentWorker, serveDocument } from './document-worker.ts';
import { buildPlan } from './plan.ts';
import { spec } from './spec.ts';

if (isDocumentWorker()) {
  void serveDocument();
} else {
  runTool(spec, async (ctx) => {
    const plan = buildPlan(ctx.options, ctx.args, ctx.config, ctx.configPath);
    if (ctx.options.printIamPolicy) {
      const { dataPolicy } = await import('./iam.ts');
      const { arnScope, printPolicy } = await import('../core/iam-policy.ts');
      printPolicy(dataPolicy(plan, arnScope(ctx.env, ctx.options.awsAccountId), ctx.options.kmsKeyArn), ctx.log);
      return;
    }
    const { act } = await import('./act.ts');
    await act(plan, ctx.signal, ctx.log);
  });
}
