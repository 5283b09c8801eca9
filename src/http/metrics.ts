// GET /metrics in the Prometheus text format; optionally behind a bearer token (METRICS_TOKEN).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { HelloJohnError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { bearerToken } from './context.js';
import { SECURITY, errors } from './schemas/common.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics; token: string | undefined }> = async (
  app,
  { metrics, token },
) => {
  const schema = {
    summary: 'Prometheus metrics',
    description: 'Behind a bearer token when METRICS_TOKEN is set.',
    tags: ['health'],
    security: SECURITY.metricsToken,
    response: {
      200: {
        description: 'The metrics, in the Prometheus text format.',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      ...errors(401),
    },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    if (token !== undefined) {
      const presented = bearerToken(request);
      // Compare digests so the comparison is constant-time whatever the lengths.
      if (!presented || !timingSafeEqual(digest(presented), digest(token))) {
        throw new HelloJohnError('invalid_token', 'A valid metrics token is required.');
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};
