// render-config: parse flags -> plan -> render every template (values, secrets, validation) -> publish.

import { runTool } from '../core/cli.ts';
import { main } from './main.ts';
import { spec } from './spec.ts';

runTool(spec, main);
