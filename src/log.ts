// JSON logs with pino (readable lines on a terminal). Secrets never reach a log line: credentials in
// headers are redacted, and query parameters that can carry tokens or codes are masked before a URL is logged.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './config.js';

const SECRET_PARAMS =
  /^(token|code|code_verifier|refresh_token|access_token|id_token|id_token_hint|client_secret|password|mfa_token|otp|assertion|client_assertion|logout_hint|login_hint)$/i;

/** The URL with the values of sensitive query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq !== -1 && SECRET_PARAMS.test(decoded) ? `${name}=***` : pair;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hellojohn' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.refresh_token',
          '*.access_token',
          '*.client_secret',
        ],
        censor: '***',
      },
    },
    destination,
  );
}

/**
 * Where the server's log goes on stdout: JSON lines for collectors, or readable lines for a person
 * (LOG_FORMAT=pretty, or `auto` when stdout is a terminal).
 */
export async function stdoutLogDestination(
  format: LogFormat,
  isTerminal: boolean,
): Promise<DestinationStream> {
  if (format === 'json' || (format === 'auto' && !isTerminal)) return pino.destination({ fd: 1, sync: true });
  // Imported only here, so a server logging JSON never loads the pretty printer.
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    destination: 1,
    sync: true,
    colorize: isTerminal,
    translateTime: 'SYS:HH:MM:ss.l',
    // Every line would say it; JSON keeps it for collectors that gather several services.
    ignore: 'service',
  });
}
