// The console's built files (dist/console: index.html, assets/*), looked up from a path under /admin/.
// Only plain names reach the file system: a path with `.`/`..`, an empty segment (an absolute path),
// a backslash or a control character is refused before any lookup, and the resolved real path must still
// be inside the folder (a symbolic link out of it is refused too).
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where `vite build` writes the console, found from this file: src/modules/console or dist/modules/console. */
export const BUILT_CONSOLE_DIR = path.resolve(import.meta.dirname, '../../../dist/console');

const MAX_PATH = 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/**
 * The segments of a path under /admin/ (decoded), or null when any of them could leave the folder or
 * name a hidden file. A trailing slash is allowed (`users/`).
 */
export function pathSegments(relative: string): string[] | null {
  if (relative.length > MAX_PATH) return null;
  if (relative === '') return [];
  const segments = relative.split('/');
  if (segments.at(-1) === '') segments.pop();
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('.') || segment.includes('\\') || /[\p{Cc}]/u.test(segment))
      return null;
  }
  return segments;
}

export interface ConsoleFile {
  body: Buffer;
  type: string;
}

export class ConsoleFiles {
  constructor(readonly dir: string) {}

  /** Whether the console was built (its index.html is there). */
  async built(): Promise<boolean> {
    return (await this.file(['index.html'])) !== null;
  }

  /** The file at these segments (from pathSegments), or null when there is none (or it is not a file). */
  async file(segments: readonly string[]): Promise<ConsoleFile | null> {
    if (segments.length === 0) return null;
    const type = TYPES[path.extname(segments.at(-1)!).toLowerCase()] ?? 'application/octet-stream';
    try {
      const root = await realpath(this.dir);
      const real = await realpath(path.join(root, ...segments));
      if (!real.startsWith(root + path.sep)) return null;
      if (!(await stat(real)).isFile()) return null;
      return { body: await readFile(real), type };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG';
}
