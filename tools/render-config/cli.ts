// render-config: parse flags -> plan -> render every template (values, secrets, validation) -> publish.
// The same bundle also runs as the worker thread that renders liquid templates (liquid-worker.ts).

import { runTool } from '../core/cli.ts';
import { isLiquidWorker, serveLiquid } from './liquid-worker.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

if (isLiquidWorker()) {
  void serveLiquid();
} else {
  runTool(spec, main);
}
