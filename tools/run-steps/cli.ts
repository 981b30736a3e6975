// run-steps: several init steps in one container and one process (the chart's `combined` mode), so a pod
// waits for the kubelet to start one init container instead of one per step.
// The same bundle also runs as fetch-and-convert-data's document worker thread (document-worker.ts) and
// render-config's liquid worker thread (liquid-worker.ts).

import { runTool } from '../core/cli.ts';
import { isDocumentWorker, serveDocument } from '../fetch-and-convert-data/document-worker.ts';
import { isLiquidWorker, serveLiquid } from '../render-config/liquid-worker.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

if (isDocumentWorker()) {
  void serveDocument();
} else if (isLiquidWorker()) {
  void serveLiquid();
} else {
  runTool(spec, main);
}
