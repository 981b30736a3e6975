// copy-secrets: parse -> plan -> fetch (Secrets Manager, SSM Parameter Store, a mounted directory) -> shape -> publish -> report.

import { runTool } from '../core/cli.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

runTool(spec, main);
