/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (another template's output), so a name or a room from LiveKit can never become markup.
 */

/** Markup that is safe to insert as it is. */
export interface Html {
  readonly html: string;
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  if (typeof part === 'object') return (part as Html).html;
  return escapeHtml(String(part));
}

/** `html\`<p>${name}</p>\``: values escaped, nested `Html` and arrays of it kept. */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return { html: out };
}
