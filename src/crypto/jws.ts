// Compact JWS signing (RFC 7515) with node:crypto's synchronous one-shot sign. jose signs through
// WebCrypto, whose every call is an async job on the thread pool; on the token endpoint's hot path that
// cost dominated (profiled: ~12% of CPU for EdDSA). The output is an ordinary JWS: every token is still
// verified with jose (here and by relying parties).
import { sign, type KeyObject } from 'node:crypto';

export type JwsAlg = 'EdDSA' | 'RS256' | 'ES256';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signCompactJws(
  header: { alg: JwsAlg; kid: string; typ?: string },
  payload: object,
  key: KeyObject,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input);
  const signature =
    header.alg === 'EdDSA'
      ? sign(null, data, key)
      : header.alg === 'ES256'
        ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', data, key);
  return `${input}.${signature.toString('base64url')}`;
}
