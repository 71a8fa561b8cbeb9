import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths redacted from every log line: credentials must never reach a log. */
export const REDACT_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credentials',
  '*.credentials',
  'privateKey',
  '*.privateKey',
];

let root: Logger | undefined;

/** The one root logger of the process; actors and modules take children of it. */
export function rootLogger(options: LoggerOptions = {}): Logger {
  if (!root) {
    root = pino({
      level: process.env.PXFW_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'pxfw' },
      ...options,
    });
  }
  return root;
}

/** Replace the root logger (tests and the CLI choose their own destination). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

export function childLogger(bindings: Record<string, unknown>): Logger {
  return rootLogger().child(bindings);
}

export type { Logger };
