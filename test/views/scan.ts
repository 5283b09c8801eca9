// A strict little scanner for the HTML our views produce, enough to check escaping structurally: every `<` and
// `>` in a page must belong to a well-formed tag with quoted attribute values, so injected markup shows up
// either as leftover `<`/`>` or as tags/attributes the page does not have with harmless input.
// Contents of <style> and <script> are skipped (the views put only constants there).

export interface Tag {
  name: string;
  /** attribute name → decoded value ('' for a bare attribute) */
  attrs: Record<string, string>;
  closing: boolean;
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"<>]*")?)*)\s*>/y;
const ATTR = /\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?/g;

export function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );
}

export function scan(html: string): { tags: Tag[]; text: string } {
  const tags: Tag[] = [];
  let text = '';
  let i = 0;
  if (html.startsWith('<!doctype html>')) i = '<!doctype html>'.length;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const chunk = lt === -1 ? html.slice(i) : html.slice(i, lt);
    if (chunk.includes('>')) throw new Error(`stray '>' in text: ${JSON.stringify(chunk.slice(0, 80))}`);
    text += chunk;
    if (lt === -1) break;
    TAG.lastIndex = lt;
    const m = TAG.exec(html);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(html.slice(lt, lt + 80))}`);
    const attrs: Record<string, string> = {};
    for (const a of m[3]!.matchAll(ATTR)) {
      const name = a[1]!.toLowerCase();
      if (name in attrs) throw new Error(`duplicate attribute ${name}`);
      attrs[name] = decode(a[2] ?? '');
    }
    const tag: Tag = { name: m[2]!.toLowerCase(), attrs, closing: m[1] === '/' };
    tags.push(tag);
    i = TAG.lastIndex;
    if (!tag.closing && (tag.name === 'style' || tag.name === 'script')) {
      const end = html.indexOf(`</${tag.name}>`, i);
      if (end === -1) throw new Error(`unclosed <${tag.name}>`);
      i = end;
    }
  }
  return { tags, text: decode(text) };
}

/** The shape of a page: tag names and attribute names, without values. Equal shapes = no injected markup. */
export function skeleton(html: string): string[] {
  return scan(html).tags.map(
    (t) => `${t.closing ? '/' : ''}${t.name}[${Object.keys(t.attrs).sort().join(',')}]`,
  );
}

export function forms(html: string): { action: string; method: string; inputs: Tag[]; buttons: Tag[] }[] {
  const out: { action: string; method: string; inputs: Tag[]; buttons: Tag[] }[] = [];
  let current: (typeof out)[number] | undefined;
  for (const t of scan(html).tags) {
    if (t.name === 'form' && !t.closing) {
      current = { action: t.attrs['action'] ?? '', method: t.attrs['method'] ?? '', inputs: [], buttons: [] };
      out.push(current);
    } else if (t.name === 'form' && t.closing) current = undefined;
    else if (current && !t.closing && t.name === 'input') current.inputs.push(t);
    else if (current && !t.closing && t.name === 'button') current.buttons.push(t);
  }
  return out;
}

/** No <script> element and no event-handler attribute anywhere (escaped text may mention them; tags may not). */
export function scriptFree(html: string): boolean {
  return scan(html).tags.every(
    (t) => t.name !== 'script' && !Object.keys(t.attrs).some((a) => a.startsWith('on')),
  );
}
