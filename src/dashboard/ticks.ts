/*
 * Keeps relative times fresh without asking the server: `data-since` (epoch ms) shows how long
 * ago something started ("12 min"), `data-ago` when something last happened ("35 s ago"). The
 * server's clock rules: `setServerNow` corrects for a browser clock that is off.
 */

let offsetMs = 0;

/** Call with the server's "now" whenever one arrives. */
export function setServerNow(serverNowMs: number): void {
  offsetMs = serverNowMs - Date.now();
}

function serverNow(): number {
  return Date.now() + offsetMs;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatAgo(ms: number): string {
  return ms < 1500 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** Rewrites every relative time under `root`. */
export function tick(root: ParentNode = document): void {
  const now = serverNow();
  for (const el of root.querySelectorAll<HTMLElement>('[data-since]')) {
    const text = formatDuration(now - Number(el.dataset['since']));
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-ago]')) {
    const text = formatAgo(now - Number(el.dataset['ago']));
    if (el.textContent !== text) el.textContent = text;
  }
}

const head = document.querySelector<HTMLElement>('[data-now]');
if (head?.dataset['now'] !== undefined) setServerNow(Number(head.dataset['now']));
setInterval(() => tick(), 1000);
