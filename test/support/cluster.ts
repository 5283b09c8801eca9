// Several real `hellojohn serve` processes on one fresh database, as a load balancer would see them:
// same BASE_URL (so the same issuer), same master keys, each on its own loopback port.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAST_ARGON2 } from './app.js';
import { startServerProcess, type ServerProcess } from './cli.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface Instance {
  name: string;
  url: string;
  server: ServerProcess;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Answer>;
  metrics(): Promise<string>;
}

export interface Cluster {
  db: TestDatabase;
  /** The environment every instance runs with (for another instance, e.g. a restart). */
  env: Record<string, string>;
  instances: Instance[];
  close(): Promise<void>;
}

export const CLUSTER_BASE_URL = 'http://hellojohn.cluster.test';

export async function startCluster(
  count: number,
  options: { via?: 'direct' | 'pgbouncer'; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const db = await createTestDatabase({ via: options.via ?? 'direct' });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hj-cluster-'));
  const env = {
    ...db.env,
    ...FAST_ARGON2,
    BASE_URL: CLUSTER_BASE_URL,
    DATA_DIR: dataDir,
    // Shared by every instance: each must unseal the signing keys the first one created.
    SECRETBOX_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNING_MASTER_KEY: randomBytes(32).toString('hex'),
    SWEEPER_INTERVAL: '1h',
    ...options.env,
  };
  const instances: Instance[] = [];
  const close = async () => {
    await Promise.all(instances.map((i) => i.server.stop()));
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // The first one migrates; the others then start side by side.
    instances.push(instance('A', await startServerProcess(env)));
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, () => startServerProcess({ ...env, MIGRATE_ON_START: 'false' })),
    );
    rest.forEach((server, i) => instances.push(instance(String.fromCharCode(66 + i), server)));
  } catch (error) {
    await close();
    throw error;
  }
  return { db, env, instances, close };
}

export function instance(name: string, server: ServerProcess): Instance {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    name,
    url: server.url,
    server,
    request,
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    metrics: async () =>
      (await fetch(`${server.managementUrl}/metrics`, { signal: AbortSignal.timeout(15_000) })).text(),
  };
}

/** The sum of a Prometheus series' samples whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) total += Number(match[3]);
  }
  return total;
}

export const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
