import type { Page } from 'playwright-core';

/*
 * Accessibility checks of a rendered page, run in the browser (no axe-core: these are the rules
 * the dashboard promises, written out). Each returns what breaks the rule, so an assertion that
 * the list is empty names the culprits when it fails.
 */

/** Form controls (inputs but hidden ones, selects, text areas, buttons) without an accessible name. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const nameOf = (el: HTMLElement): string => {
      const by = el.getAttribute('aria-labelledby');
      if (by)
        return by
          .split(/\s+/)
          .map((id) => text(document.getElementById(id)))
          .join(' ');
      const aria = el.getAttribute('aria-label');
      if (aria?.trim()) return aria.trim();
      const labels = (el as HTMLInputElement).labels;
      if (labels && labels.length > 0) return Array.from(labels, text).join(' ');
      if (el instanceof HTMLButtonElement) return text(el);
      if (el instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(el.type))
        return el.value;
      return el.title.trim();
    };
    const controls = document.querySelectorAll<HTMLElement>(
      'input:not([type="hidden"]), select, textarea, button',
    );
    return Array.from(controls)
      .filter((c) => nameOf(c) === '')
      .map((c) => c.outerHTML.slice(0, 120));
  });
}

/**
 * Images without a text alternative: an `img` needs `alt`; an `svg` or `canvas` needs a name
 * (`role="img"` with `aria-label` or a `title`) or to be hidden from assistive technology, and a
 * hidden chart (`figure[data-chart]`) needs the table it is drawn from beside it, with rows.
 */
export function imagesWithoutText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const hidden = (el: Element) => el.closest('[aria-hidden="true"]') !== null;
    const bad: string[] = [];
    for (const img of Array.from(document.querySelectorAll('img'))) {
      if (!img.hasAttribute('alt')) bad.push(img.outerHTML.slice(0, 120));
    }
    for (const el of Array.from(document.querySelectorAll('svg, canvas'))) {
      if (hidden(el) || el.parentElement?.closest('svg[role="img"]')) continue;
      const named =
        el.getAttribute('role') === 'img' &&
        ((el.getAttribute('aria-label') ?? '').trim() !== '' ||
          el.querySelector(':scope > title') !== null);
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    for (const fig of Array.from(document.querySelectorAll<HTMLElement>('figure[data-chart]'))) {
      const table = document.getElementById(fig.dataset['table'] ?? '');
      const rows = table?.querySelectorAll('tbody tr').length ?? 0;
      if (!(table instanceof HTMLTableElement) || rows === 0 || hidden(table))
        bad.push(`chart ${fig.dataset['chart']} has no table beside it`);
    }
    return bad;
  });
}

/** The page's headings as `h<level> text`, in document order (visible ones). */
export function headingOutline(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('h1, h2, h3, h4, h5, h6'))
      .filter((h) => h.getClientRects().length > 0)
      .map(
        (h) => `${h.tagName.toLowerCase()} ${(h.textContent ?? '').replace(/\s+/g, ' ').trim()}`,
      ),
  );
}

/** What breaks the heading order: not one h1 first, or a level skipped on the way down. */
export function headingOrderProblems(outline: readonly string[]): string[] {
  const levels = outline.map((h) => Number(h[1]));
  const problems: string[] = [];
  if (levels.filter((l) => l === 1).length !== 1) problems.push('not exactly one h1');
  if (levels[0] !== 1) problems.push(`the first heading is not h1: ${outline[0] ?? 'none'}`);
  levels.forEach((l, i) => {
    if (i > 0 && l > levels[i - 1]! + 1) problems.push(`skips a level: ${outline[i]}`);
  });
  return problems;
}

/** How wide the document is (more than the viewport: the page scrolls sideways). */
export function documentWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/**
 * The focused element (`tag#id`, or `tag text` without an id; `body` when nothing has the focus)
 * and its focus indicator as computed: outline, or box shadow.
 */
export function focusIndicator(
  page: Page,
): Promise<{ element: string; outline: string; outlineWidth: number; boxShadow: string }> {
  return page.evaluate(() => {
    const el = document.activeElement ?? document.body;
    const tag = el.tagName.toLowerCase();
    const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
    const cs = getComputedStyle(el);
    return {
      element: tag === 'body' ? tag : el.id ? `${tag}#${el.id}` : `${tag} ${text}`,
      outline: cs.outlineStyle,
      outlineWidth: parseFloat(cs.outlineWidth),
      boxShadow: cs.boxShadow,
    };
  });
}

/**
 * Everything that moves: running animations (CSS animations and transitions) and elements with a
 * transition of non-zero duration, described by element.
 */
export function motion(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const describe = (el: Element | null) =>
      el ? `${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')}` : '?';
    const moving = document
      .getAnimations()
      .filter((a) => a.playState === 'running')
      .map((a) => `animation on ${describe((a.effect as KeyframeEffect | null)?.target ?? null)}`);
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const pseudo of [null, '::before', '::after']) {
        const cs = getComputedStyle(el, pseudo);
        const durations = cs.transitionDuration.split(',').map((d) => parseFloat(d));
        const animated = cs.animationName !== 'none' && parseFloat(cs.animationDuration) > 0;
        if (durations.some((d) => d > 0))
          moving.push(`transition on ${describe(el)}${pseudo ?? ''}`);
        if (animated)
          moving.push(`animation ${cs.animationName} on ${describe(el)}${pseudo ?? ''}`);
      }
    }
    return [...new Set(moving)];
  });
}

/**
 * Text whose colour against its background is under WCAG AA: 4.5:1, or 3:1 for large text (24 px,
 * or 18.66 px bold). The background is the nearest opaque one up the tree; text in SVG and
 * disabled controls is left out. Each finding: `ratio element "text"`.
 */
export function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgba = (c: string): number[] => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const luminance = ([r, g, b]: number[]) => {
      const lin = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const background = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3]! > 0) layers.push(c);
        if (c[3]! >= 1) break;
      }
      // Canvas white under everything, then each translucent layer over it.
      let out = [255, 255, 255];
      for (const [r, g, b, a] of layers.reverse())
        out = [
          r! * a! + out[0]! * (1 - a!),
          g! * a! + out[1]! * (1 - a!),
          b! * a! + out[2]! * (1 - a!),
        ];
      return out;
    };
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || (n.textContent ?? '').trim() === '') continue;
      seen.add(el);
      if (el.closest('svg, [disabled], option, script, style')) continue;
      if (el.getClientRects().length === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
      const fg = rgba(cs.color);
      const bg = background(el);
      const shown = [0, 1, 2].map((i) => fg[i]! * fg[3]! + bg[i]! * (1 - fg[3]!));
      const [hi, lo] = [luminance(shown), luminance(bg)].sort((a, b) => b - a);
      const ratio = (hi! + 0.05) / (lo! + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        const cls = Array.from(el.classList).join('.');
        found.push(
          `${ratio.toFixed(2)} ${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''} "${(n.textContent ?? '').trim().slice(0, 30)}"`,
        );
      }
    }
    return found;
  });
}
