#!/usr/bin/env node
// Entry point: command line → settings → app → signals.
// Exit codes: 0 clean stop, 1 startup failure (absent stream), 2 bad setting or command line.
import { SettingError, helpText, loadSettings, startupWarnings } from './config/settings.js';
import { USAGE } from './config/schema.js';
import { unknownSettingWarnings } from './config/unknown-settings.js';
import { KINFLUX_VERSION } from './version.js';
import { READ_HELP } from './cli/read-help.js';
import cluster from 'node:cluster';
import { StartupError, checkCredentials, checkEmbeddedPort, checkHttpPort, checkTls, describeStartupError } from './preflight.js';
import { createRouter } from './route/router.js';
import { startEmbeddedKinesis } from './emulator/embedded.js';
import type { KinesisLocal } from './emulator/kinesis-local.js';
// The gateway's own modules (Fastify, the AWS SDK, pino, prom-client: about a second to load on a small machine)
// are imported dynamically below, once the embedded emulator's process is already booting beside them.

/** What the command line asks for; anything else is refused (exit 2) rather than starting a server. */
type Command =
  | { run: 'serve' | 'help' | 'version' }
  | { run: 'read'; stream: string | undefined; help: boolean; payloadOnly: boolean }
  | { run: 'usage-error'; message: string };

const READ_OPTIONS = new Set(['--help', '-h', '--payload', '-p']);

export function parseCommandLine(argv: string[]): Command {
  if (argv[0] === 'read') {
    const rest = argv.slice(1);
    const help = rest.some((a) => a === '--help' || a === '-h');
    const unknown = rest.find((a) => a.startsWith('-') && !READ_OPTIONS.has(a));
    if (unknown) return { run: 'usage-error', message: `kinflux read: unknown option ${JSON.stringify(unknown)}` };
    const positionals = rest.filter((a) => !a.startsWith('-'));
    if (positionals.length > 1) return { run: 'usage-error', message: `kinflux read: one stream at most, got ${positionals.length}` };
    return { run: 'read', stream: positionals[0], help, payloadOnly: rest.some((a) => a === '--payload' || a === '-p') };
  }
  if (argv.length === 0) return { run: 'serve' };
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return { run: 'help' };
  if (argv.length === 1 && argv[0] === '--version') return { run: 'version' };
  const first = argv.find((a) => !['--help', '-h', '--version'].includes(a)) ?? argv[1];
  return { run: 'usage-error', message: first.startsWith('-') ? `unknown option ${JSON.stringify(first)}` : `unknown command ${JSON.stringify(first)}` };
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  switch (command.run) {
    case 'usage-error':
      process.stderr.write(`${command.message.startsWith('kinflux read:') ? '' : 'kinflux: '}${command.message}\n${USAGE}\n`);
      return 2;
    case 'help':
      process.stdout.write(helpText() + '\n');
      return 0;
    case 'version':
      process.stdout.write(`kinflux ${KINFLUX_VERSION}\n`);
      return 0;
    case 'read':
      if (command.help) {
        process.stdout.write(READ_HELP + '\n');
        return 0;
      }
  }
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (err) {
    if (!(err instanceof SettingError)) throw err;
    process.stderr.write(`kinflux: ${err.message}\n`);
    return 2;
  }
  // Workers inherit the environment: only the first process says it.
  const unknownSettings = cluster.isPrimary ? unknownSettingWarnings(process.env) : [];
  if (command.run === 'read') {
    for (const w of unknownSettings) process.stderr.write(`kinflux: warning: ${w}\n`);
    const { readStreamCommand } = await import('./cli/read-stream.js');
    return readStreamCommand(settings, command.stream, { payloadOnly: command.payloadOnly });
  }

  if (cluster.isPrimary) {
    // One line naming the setting, before the emulator or anything else starts.
    try {
      checkTls(settings);
      await checkHttpPort(settings);
      await checkEmbeddedPort(settings);
      await checkCredentials(settings);
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      process.stderr.write(`kinflux: ${err.message}\n`);
      return 1;
    }
  }
  // Start in about two seconds: the emulator boots in its own process while this one loads the gateway.
  let earlyEmulator: Promise<KinesisLocal> | undefined;
  if (cluster.isPrimary && settings.embedded && settings.workers === 1) {
    earlyEmulator = startEmbeddedKinesis(settings, createRouter(settings.routes, settings.stream, settings.strictRoutes, [settings.otlp.stream, settings.remoteWrite.stream]));
    earlyEmulator.catch(() => undefined); // awaited (and reported) by startApp
  }
  const [{ startApp }, { createLogger }, { StreamNotFoundError }, { runPrimary, workerCount }] = await Promise.all([
    import('./app.js'),
    import('./log/create-logger.js'),
    import('./deliver/engine.js'),
    import('./cluster.js'),
  ]);

  const logger = createLogger(settings);
  if (cluster.isPrimary) for (const warning of startupWarnings(settings)) logger.warn(warning);
  for (const w of unknownSettings) logger.warn(w);
  if (cluster.isPrimary && workerCount(settings) > 1) return runPrimary(settings, logger).catch((err: unknown) => {
    const clear = describeStartupError(err, settings);
    if (!clear) throw err;
    process.stderr.write(`kinflux: ${clear.message}\n`);
    return 1;
  });
  let app;
  try {
    app = await startApp(settings, logger, { emulator: earlyEmulator });
  } catch (err) {
    const clear = describeStartupError(err, settings);
    if (clear) {
      logger.flush();
      process.stderr.write(`kinflux: ${clear.message}\n`);
    } else if (err instanceof StreamNotFoundError) {
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
