// Logs go to stderr: JSON lines when stderr is not a TTY (what log collectors ingest), text on a TTY.
// Every line passes through the redaction registry, after serialisation, so no field can leak a secret.

import { writeSync } from 'node:fs';
import { WITHHELD, redactor, type Redactor } from './redact.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  tool: string;
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr by default. Tests pass a collector. */
  write?: (line: string) => void;
  redactor?: Redactor;
  now?: () => Date;
}

/** The level and format of a logger from flag or env text; anything else keeps the defaults (the
 *  flags' own validation reports it). */
export function loggerSettings(level: string | undefined, format: string | undefined): { level?: LogLevel; format?: LogFormat } {
  const settings: { level?: LogLevel; format?: LogFormat } = {};
  if (LOG_LEVELS.includes(level as LogLevel)) settings.level = level as LogLevel;
  if (LOG_FORMATS.includes(format as LogFormat)) settings.format = format as LogFormat;
  return settings;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class Logger {
  /** `format` stays unset until the first line, and is then decided with tty.isatty(2), loaded only then:
   * node:tty pulls in node:net, and process.stderr.isTTY would build the stderr stream, milliseconds of
   * cold start that `--version` and `--help` never need. */
  private readonly options: Required<Omit<LoggerOptions, 'format'>> & { format?: LogFormat };
  private readonly fields: LogFields;

  constructor(options: LoggerOptions, fields: LogFields = {}) {
    this.options = {
      level: 'info',
      write: (line) => writeSync(2, line),
      redactor,
      now: () => new Date(),
      ...options,
    };
    this.fields = fields;
  }

  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger {
    return new Logger(this.options, { ...this.fields, ...fields });
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }

  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.options.level];
  }

  private emit(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.isEnabled(level)) return;
    const time = this.options.now();
    this.options.format ??= process.getBuiltinModule('node:tty').isatty(2) ? 'text' : 'json';
    let line: string;
    try {
      line = this.options.redactor.redact(this.format(time, level, msg, { ...this.fields, ...fields }));
    } catch {
      // Fail closed: a field that cannot be serialised (a cycle, a throwing getter) must not take the
      // raw text with it on its way out as an uncaught error.
      line = WITHHELD;
    }
    if (line === WITHHELD) line = this.format(time, level, WITHHELD, {});
    this.options.write(`${line}\n`);
  }

  private format(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
    return this.options.format === 'json'
      ? JSON.stringify({ time: time.toISOString(), level, tool: this.options.tool, msg, ...fields }, jsonSafe)
      : formatText(time, level, msg, fields);
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

function formatText(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const clock = time.toISOString().slice(11, 23);
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatTextValue(v)}`)
    .join(' ');
  return `${clock} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? `  ${rest}` : ''}`;
}

function formatTextValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value, jsonSafe) ?? String(value);
}
