// The typed admin API client: paths and bodies come from schema.d.ts, generated from /openapi.json
// (`npm run console:api`; CI fails when it drifts). Every call carries the console's access token; a 401
// refreshes it once, and when that fails the operator signs in again.
import createClient from 'openapi-fetch';
import { accessToken, signIn } from '../auth';
import type { paths } from './schema';

/** An answer of the API other than 2xx, with its documented error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

async function send(request: Request, token: string): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(new Request(request, { headers }));
}

async function authorizedFetch(input: Request): Promise<Response> {
  const token = await accessToken();
  if (!token) return signIn(location.pathname + location.search);
  const retry = input.clone();
  const response = await send(input, token);
  if (response.status !== 401) return response;
  const fresh = await accessToken({ forceRefresh: true });
  if (!fresh) return signIn(location.pathname + location.search);
  return send(retry, fresh);
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: authorizedFetch });

interface ErrorBody {
  error?: string;
  error_description?: string;
}

/** The data of a call, or an ApiError carrying the API's own error_description. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as ErrorBody;
  throw new ApiError(
    response.status,
    body.error ?? 'http_error',
    body.error_description ?? `The server answered ${response.status} ${response.statusText}.`,
  );
}
