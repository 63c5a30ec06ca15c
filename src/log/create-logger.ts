// The process's logger: pino at the configured level and format, with every place a token travels redacted.
import { pino, type Logger } from 'pino';
import type { Settings } from '../config/types.js';

export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat'>): Logger {
  return pino({
    level: settings.logLevel,
    // Tokens travel in these (the Authorization header, `p=` in the URL, the raw bytes of a malformed request);
    // none is ever logged. A URL keeps its path, so the entry still says which route it was.
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'req.headers.cookie', 'err.rawPacket', 'rawPacket', 'req.url', 'url', 'req.query', 'query'],
      censor: (value: unknown, path: string[]) =>
        path[path.length - 1] === 'url' && typeof value === 'string' ? value.split('?')[0] : '[Redacted]',
    },
    ...(settings.logFormat === 'pretty' ? { transport: { target: 'pino-pretty', options: { destination: 2 } } } : {}),
  });
}
