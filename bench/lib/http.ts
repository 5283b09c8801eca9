// Small HTTP client for seeding (register users, log in, collect tokens and cookies) before the load.
export interface JsonResponse {
  status: number;
  body: unknown;
  /** `name=value` of every Set-Cookie, ready for a Cookie header. */
  cookies: string[];
}

export async function requestJson(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep the text
  }
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
  return { status: response.status, body: parsed, cookies: cookies.filter((c) => c.includes('=')) };
}

/** Like requestJson, but anything other than `expected` is an error naming the call and the answer. */
export async function expectJson(
  expected: number,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<JsonResponse> {
  const response = await requestJson(method, url, body, headers);
  if (response.status !== expected) {
    const detail = JSON.stringify(response.body) ?? '';
    throw new Error(
      `${method} ${new URL(url).pathname} → ${response.status} (expected ${expected}): ${detail.slice(0, 300)}`,
    );
  }
  return response;
}

export function field(body: unknown, name: string): string {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new Error(`response has no string "${name}": ${JSON.stringify(body)?.slice(0, 300)}`);
  }
  return value;
}

/** Runs fn over items with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
