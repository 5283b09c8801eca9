// CommonJS `require` for the few modules whose ES import costs memory the server never uses back.
//
// - node:http: an ES import of a built-in copies every export into the module namespace, and node:http's
//   include lazy getters (WebSocket, CloseEvent, MessageEvent) that load Node's bundled fetch client
//   (undici): measured +1.8 MiB of heap and ~9 MiB of resident memory, for code nothing here calls.
// - rate-limiter-flexible: its entry point loads every store it supports (cluster, MongoDB, MySQL, etcd…):
//   +1 MiB of heap; the two stores used are required from their own files.
// - prom-client: its entry point also loads the cluster aggregator and the Pushgateway client (with
//   node:cluster, node:zlib and OpenTelemetry's API): +0.7 MiB of heap; the metric types are required
//   from their own files.
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';
import type * as PromClient from 'prom-client';
import type { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

const require = createRequire(import.meta.url);

export const http = require('node:http') as typeof NodeHttp;

export const rateLimiters = {
  RateLimiterMemory: require('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof RateLimiterMemory,
  RateLimiterRedis: require('rate-limiter-flexible/lib/RateLimiterRedis.js') as typeof RateLimiterRedis,
  RateLimiterRes: require('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof RateLimiterRes,
};

export const promClient = {
  Counter: require('prom-client/lib/counter.js') as typeof PromClient.Counter,
  Gauge: require('prom-client/lib/gauge.js') as typeof PromClient.Gauge,
  Histogram: require('prom-client/lib/histogram.js') as typeof PromClient.Histogram,
  Registry: require('prom-client/lib/registry.js') as typeof PromClient.Registry,
  collectDefaultMetrics:
    require('prom-client/lib/defaultMetrics.js') as typeof PromClient.collectDefaultMetrics,
};
