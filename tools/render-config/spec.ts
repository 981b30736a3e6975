// Every flag of render-config, its env var (RENDER_CONFIG_<FLAG>) and its help text, in one place.

import type { CliSpec } from '../core/options.ts';

/**
 * A glob may hold commas (*.{json,yaml}) and spaces (my notes.txt): an env var or config string holds one
 * glob a line (the chart joins a list so), and a flag's value is one glob.
 */
const GLOB_LIST = { type: 'list', placeholder: 'GLOB', split: /\n/, wholeFlagValue: true } as const;

export const spec = {
  name: 'render-config',
  summary: 'render configuration templates strictly and atomically into a directory',
  usage: '',
  options: {
    templates: {
      type: 'string',
      placeholder: 'PATH',
      description: 'Template file, or directory rendered recursively with its layout kept (required)',
    },
    out: { type: 'string', placeholder: 'DIR', description: 'Output directory (required unless --check)' },
    include: {
      ...GLOB_LIST,
      description: 'Render only template paths (relative to --templates) matching one of these globs; repeatable',
    },
    exclude: {
      ...GLOB_LIST,
      description: 'Skip template paths matching one of these globs; repeatable',
    },
    values: {
      type: 'list',
      placeholder: 'FILE',
      description: 'YAML, JSON or dotenv (.env) values file; repeatable, later files win, deep-merged',
    },
    secretsDir: {
      type: 'string',
      placeholder: 'DIR',
      description: 'Directory of secret files (one value per file, *.json also as objects), e.g. written by copy-secrets',
    },
    envVars: {
      type: 'list',
      placeholder: 'GLOB',
      default: '*',
      description: 'Environment variables passed to templates, by name or glob (e.g. APP_*,HOSTNAME); none: no variable',
    },
    secretVars: {
      type: 'list',
      placeholder: 'NAME',
      description: 'Names of env or values entries that are secrets: masked in logs, files using them get --secret-mode',
    },
    syntax: {
      type: 'string',
      default: 'envsubst',
      placeholder: 'SYNTAX',
      choices: ['envsubst', 'liquid'],
      description: 'Syntax of templates without a .envsubst or .liquid suffix (that suffix picks the syntax and is removed)',
    },
    vars: {
      type: 'list',
      split: /[\s,]+/,
      placeholder: 'NAME',
      description: 'envsubst allowlist: only these names (or globs) are substituted, every other $word is kept (nginx $host)',
    },
    strict: {
      type: 'boolean',
      default: 'true',
      description: 'A missing value is an error; --no-strict renders it empty (GNU envsubst behaviour)',
    },
    allowEmpty: {
      ...GLOB_LIST,
      description: 'Output paths allowed to render empty from a non-empty template ("*" for all); repeatable',
    },
    skipValidation: {
      ...GLOB_LIST,
      description: 'Output paths whose .json/.yaml/.yml/.toml content is not parsed after rendering; repeatable',
    },
    checkCommand: {
      type: 'string',
      placeholder: 'COMMAND',
      description:
        'Command run on each rendered file before it is put in place (no shell): a JSON array or words split on spaces; ' +
        '{} is replaced by the file path, else the path is appended; non-zero exit rejects the run',
    },
    checkTimeout: { type: 'duration', default: '30s', min: 1, placeholder: 'DURATION', description: 'Deadline of one check command run' },
    check: {
      type: 'boolean',
      description: 'Render to nowhere: list every unresolved variable and error across all templates, write nothing',
    },
    mode: { type: 'mode', default: '0444', placeholder: 'MODE', description: 'Mode of rendered files that use no secret' },
    secretMode: { type: 'mode', default: '0440', placeholder: 'MODE', description: 'Mode of rendered files that use a secret value' },
    dirMode: { type: 'mode', default: '0755', placeholder: 'MODE', description: 'Mode of the directories of a rendered tree' },
    uid: { type: 'integer', min: 0, placeholder: 'UID', description: 'Owner of the rendered files (needs the privilege to chown)' },
    gid: { type: 'integer', min: 0, placeholder: 'GID', description: 'Group of the rendered files (needs the privilege to chown)' },
    renderTimeout: {
      type: 'duration',
      default: '10s',
      min: 1,
      placeholder: 'DURATION',
      description: 'Deadline of rendering one liquid template (stops runaway loops)',
    },
    maxSize: {
      type: 'size',
      default: '256MiB',
      min: 1,
      placeholder: 'SIZE',
      description: 'Largest template, values file, secret file or rendered file (1048576, 512KiB, 8MiB...)',
    },
    maxLiquidSize: {
      type: 'size',
      default: '1MiB',
      min: 1,
      placeholder: 'SIZE',
      description: 'Largest liquid template (LiquidJS parse time grows with the square of the tag count)',
    },
    maxRenderMemory: {
      type: 'size',
      default: '32MiB',
      min: 1,
      placeholder: 'SIZE',
      description: 'What one liquid render may build: text written, strings and arrays made (a runaway template stops here, not at the container memory limit)',
    },
  },
  epilog: [
    'Examples:',
    '  render-config --templates /templates --out /config --values /values/app.yaml --secrets-dir /secrets',
    '  render-config --templates nginx.conf --out /etc/nginx/conf.d --vars SERVER_NAME,UPSTREAM',
    '  render-config --templates /templates --values values.yaml --check',
    'Exit codes: 0 rendered; 2 usage error or missing value; 4 template syntax error, invalid output,',
    'rejected by the check command or refused access; 130/143 interrupted; 1 anything else.',
    'Docs: docs/render-config.md',
  ].join('\n'),
} as const satisfies CliSpec;
