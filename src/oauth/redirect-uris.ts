// How a redirect URI the client sends is compared with the ones it registered: redirect_uri at the
// authorization and token endpoints, post_logout_redirect_uri at logout. RFC 9700 §4.1.3 asks for exact
// string matching (no patterns, no normalisation that could let an attacker's URI pass). The one exception
// is the equivalence RFC 3986 §6.2.3 defines for http(s) and that URL libraries apply on their own: an
// empty path is the path "/", so `https://app.example` and `https://app.example/` (with or without a query
// after it) are the same URI. Every other difference still fails: case anywhere (scheme, host, path), a
// trailing slash on a non-empty path, the query, an explicit default port, percent-encoding, dot segments.

const EMPTY_PATH = /^(https?:\/\/[^/?#]*)([?#].*)?$/i;

/** The form two URIs are compared in: the URI itself, with "/" for the empty path of an http(s) URI. */
export function comparableUri(uri: string): string {
  const match = EMPTY_PATH.exec(uri);
  return match ? `${match[1]}/${match[2] ?? ''}` : uri;
}

/** The registered URI that `presented` names, or undefined when it names none. */
export function registeredUri(registered: readonly string[], presented: string): string | undefined {
  const wanted = comparableUri(presented);
  return registered.find((uri) => comparableUri(uri) === wanted);
}
