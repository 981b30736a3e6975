// wait-for-db: parse targets and flags, probe every target in parallel, exit 0 when all are ready.

import { runTool } from '../core/cli.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

runTool(spec, main);
