// fetch-and-convert-data: download (s3, https, http, file), verify, convert and place data atomically.
// Top-down: parse flags/env/config -> plan -> act -> one summary line (main.ts). The same bundle also runs
// as the worker thread that converts whole JSON and YAML documents (document-worker.ts).

import { runTool } from '../core/cli.ts';
import { isDocumentWorker, serveDocument } from './document-worker.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

if (isDocumentWorker()) {
  void serveDocument();
} else {
  runTool(spec, main);
}
