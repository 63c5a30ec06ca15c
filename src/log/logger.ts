// The logging surface the stages need; pino (and Fastify's) loggers satisfy it as they are.
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
