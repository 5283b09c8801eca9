// Each provider's mark and colours on the sign-in button, after its brand guidelines: Google's neutral
// white button with the four-colour G, GitHub's near-black, Microsoft's white with the four squares,
// Apple's black, Facebook's blue, LinkedIn's blue, Discord's blurple, GitLab's white with the orange
// tanuki. The marks are small inline SVGs drawn here (constant markup, no request input, nothing fetched),
// every element closed explicitly (no `/>`), as HTML parses it.
import { trustedHtml, type Html } from '../../http/views/layout.js';

export interface Brand {
  icon: Html;
  colors: { background: string; text: string; border?: string };
}

const svg = (body: string, viewBox = '0 0 24 24') =>
  trustedHtml(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}" focusable="false">${body}</svg>`);

export const BRANDS = {
  google: {
    icon: svg(
      '<path fill="#EA4335" d="M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z"></path>' +
        '<path fill="#4285F4" d="M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z"></path>' +
        '<path fill="#FBBC05" d="M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 16.46 0 20.12 0 24s.92 7.54 2.56 10.78l7.97-6.19z"></path>' +
        '<path fill="#34A853" d="M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z"></path>',
      '0 0 48 48',
    ),
    colors: { background: '#ffffff', text: '#1f1f1f', border: '#747775' },
  },
  github: {
    icon: svg(
      '<path fill="#ffffff" d="M12 .5a11.5 11.5 0 0 0-3.64 22.41c.58.1.79-.25.79-.56v-2c-3.2.7-3.88-1.54-3.88-1.54-.52-1.33-1.28-1.69-1.28-1.69-1.05-.71.08-.7.08-.7 1.16.08 1.77 1.19 1.77 1.19 1.03 1.76 2.7 1.25 3.36.96.1-.75.4-1.25.73-1.54-2.56-.29-5.25-1.28-5.25-5.69 0-1.26.45-2.28 1.19-3.09-.12-.29-.52-1.46.11-3.05 0 0 .97-.31 3.17 1.18a11 11 0 0 1 5.77 0c2.2-1.49 3.17-1.18 3.17-1.18.63 1.59.23 2.76.11 3.05.74.81 1.19 1.83 1.19 3.09 0 4.42-2.7 5.39-5.27 5.68.41.36.78 1.06.78 2.14v3.17c0 .31.21.67.8.56A11.5 11.5 0 0 0 12 .5z"></path>',
    ),
    colors: { background: '#24292f', text: '#ffffff' },
  },
  microsoft: {
    icon: svg(
      '<path fill="#F25022" d="M1 1h10v10H1z"></path><path fill="#7FBA00" d="M12 1h10v10H12z"></path>' +
        '<path fill="#00A4EF" d="M1 12h10v10H1z"></path><path fill="#FFB900" d="M12 12h10v10H12z"></path>',
      '0 0 23 23',
    ),
    colors: { background: '#ffffff', text: '#5e5e5e', border: '#8c8c8c' },
  },
  apple: {
    icon: svg(
      '<path fill="#ffffff" d="M16.37 12.73c-.02-2.28 1.86-3.37 1.94-3.43-1.06-1.55-2.7-1.76-3.29-1.78-1.4-.14-2.73.82-3.44.82-.71 0-1.8-.8-2.96-.78-1.52.02-2.93.89-3.71 2.25-1.58 2.75-.4 6.82 1.14 9.05.75 1.09 1.65 2.32 2.83 2.27 1.13-.04 1.56-.73 2.93-.73 1.37 0 1.75.73 2.95.71 1.22-.02 1.99-1.11 2.74-2.2.86-1.26 1.21-2.48 1.23-2.55-.03-.01-2.36-.9-2.38-3.59zM14.12 6.04c.63-.76 1.05-1.82.93-2.87-.9.04-2 .6-2.64 1.36-.58.67-1.09 1.75-.95 2.78 1 .08 2.03-.51 2.66-1.27z"></path>',
    ),
    colors: { background: '#000000', text: '#ffffff' },
  },
  facebook: {
    icon: svg(
      '<circle cx="12" cy="12" r="12" fill="#ffffff"></circle>' +
        '<path fill="#1877F2" d="M13.6 24v-8.7h2.9l.45-3.4H13.6V9.75c0-.98.28-1.65 1.68-1.65H17V5.07A23 23 0 0 0 14.5 4.9c-2.5 0-4.2 1.52-4.2 4.32v2.68H7.5v3.4h2.8V24z"></path>',
    ),
    colors: { background: '#1877f2', text: '#ffffff' },
  },
  linkedin: {
    icon: svg(
      '<rect width="24" height="24" rx="4" fill="#ffffff"></rect>' +
        '<path fill="#0A66C2" d="M5.2 9.2h3.1V19H5.2zM6.75 4.3a1.8 1.8 0 1 1 0 3.6 1.8 1.8 0 0 1 0-3.6zM10.2 9.2h2.97v1.34h.04c.41-.78 1.43-1.6 2.94-1.6 3.14 0 3.72 2.07 3.72 4.76V19h-3.1v-4.77c0-1.14-.02-2.6-1.58-2.6-1.59 0-1.83 1.24-1.83 2.52V19h-3.1z"></path>',
    ),
    colors: { background: '#0a66c2', text: '#ffffff' },
  },
  discord: {
    icon: svg(
      '<path fill="#ffffff" d="M20.3 4.4A19.6 19.6 0 0 0 15.4 3l-.6 1.3a18 18 0 0 0-5.6 0L8.6 3a19.6 19.6 0 0 0-4.9 1.5C.6 9.1-.3 13.6.1 18.1a19.8 19.8 0 0 0 6 3l1.3-2.1a12.8 12.8 0 0 1-2-1l.5-.4a14 14 0 0 0 12.2 0l.5.4c-.6.4-1.3.7-2 1l1.3 2.1a19.7 19.7 0 0 0 6-3c.5-5.2-.8-9.7-3.6-13.7zM8.1 15.4c-1.2 0-2.2-1.1-2.2-2.4s1-2.4 2.2-2.4 2.2 1.1 2.2 2.4-1 2.4-2.2 2.4zm7.8 0c-1.2 0-2.2-1.1-2.2-2.4s1-2.4 2.2-2.4 2.2 1.1 2.2 2.4-1 2.4-2.2 2.4z"></path>',
    ),
    colors: { background: '#5865f2', text: '#ffffff' },
  },
  gitlab: {
    icon: svg(
      '<path fill="#E24329" d="M12 22.1 16.4 8.6H7.6z"></path>' +
        '<path fill="#FC6D26" d="M12 22.1 7.6 8.6H1.4zM12 22.1l4.4-13.5h6.2z"></path>' +
        '<path fill="#FCA326" d="M1.4 8.6.1 12.7a.9.9 0 0 0 .3 1L12 22.1zM22.6 8.6l1.3 4.1a.9.9 0 0 1-.3 1L12 22.1z"></path>' +
        '<path fill="#E24329" d="M1.4 8.6h6.2L4.9.4a.45.45 0 0 0-.85 0zM22.6 8.6h-6.2L19.1.4a.45.45 0 0 1 .85 0z"></path>',
    ),
    colors: { background: '#ffffff', text: '#171321', border: '#6b7280' },
  },
  oidc: {
    icon: svg(
      '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M14.5 9.5a4.5 4.5 0 1 1-1.3-3.2M13.2 6.3 21 14v3h-3v-2h-2v-2h-2"></path>',
    ),
    colors: { background: '#ffffff', text: '#111827', border: '#6b7280' },
  },
} as const satisfies Record<string, Brand>;
