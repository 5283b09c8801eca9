// Security headers, computed once. (This replaced @fastify/helmet, which rebuilt its middleware chain on
// every request: 5.6% of the CPU of a client_credentials request when profiled.)
//
// Every response gets the short set an API needs (OWASP REST Security Cheat Sheet): it must not be
// sniffed, framed or leak a referrer, and a JSON body may load nothing. HTML pages add the browser set
// in `sendHtml` (src/http/authorization-flow.ts) together with their own Content-Security-Policy.
import type { FastifyInstance, FastifyReply, onSendHookHandler } from 'fastify';

export function apiSecurityHeaders(https: boolean): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    // Only over https: an http deployment (development) must not pin browsers to https.
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}

/** What a browser rendering one of our pages should also be told; the page sets its own CSP. */
const PAGE_HEADERS: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

export function setPageSecurityHeaders(reply: FastifyReply): void {
  reply.headers(PAGE_HEADERS);
}

export function registerSecurityHeaders(app: FastifyInstance, https: boolean): void {
  const headers = apiSecurityHeaders(https);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

/** onSend hook for answers that carry tokens, sessions or account data: never cached by browsers or proxies. */
export const noStoreAnswers: onSendHookHandler = (_request, reply, payload, done) => {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
  done(null, payload);
};
