#!/usr/bin/env node
// Entry point: settings → app → signals. Exit codes: 0 clean stop, 1 startup failure (absent stream), 2 bad setting.
import { SettingError, helpText, loadSettings, startupWarnings } from './config/settings.js';
import { createLogger, startApp } from './app.js';
import { StreamNotFoundError } from './deliver/engine.js';
import { KINFLUX_VERSION } from './http/deps.js';
import { readStreamCommand } from './tools/read-stream.js';
import cluster from 'node:cluster';
import { runPrimary, workerCount } from './cluster.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`kinflux ${KINFLUX_VERSION}\n`);
    return 0;
  }
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (err) {
    if (!(err instanceof SettingError)) throw err;
    process.stderr.write(`kinflux: ${err.message}\n`);
    return 2;
  }
  if (argv[0] === 'read') return readStreamCommand(settings, argv.slice(1));

  const logger = createLogger(settings);
  if (cluster.isPrimary) for (const warning of startupWarnings(settings)) logger.warn(warning);
  if (cluster.isPrimary && workerCount(settings) > 1) return runPrimary(settings, logger);
  let app;
  try {
    app = await startApp(settings, logger);
  } catch (err) {
    if (err instanceof StreamNotFoundError) {
      logger.fatal({ stream: err.stream }, `stream "${err.stream}" does not exist: create it or fix KINFLUX_STREAM / KINFLUX_ROUTES`);
    } else {
      logger.fatal({ err }, 'kinflux could not start');
    }
    logger.flush();
    return 1;
  }
  const running = app;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      running.logger.info({ signal }, 'stopping: no new writes, delivering what was taken');
      running.shutdown().then(
        () => resolve(0),
        (err: unknown) => {
          running.logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Lingering sockets or timers must not keep a stopped gateway alive.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`kinflux: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
