import { tick } from './ticks.js';

/*
 * A session page while the session is in progress: when a webhook or a reconcile pass changes one
 * of its rooms (the live view's events), the page fetches itself again and swaps its content in,
 * keeping the scroll position. Nothing happens for sessions that are over.
 */

const main = document.getElementById('main');
const rooms = new Set<string>(
  JSON.parse(
    main?.querySelector<HTMLElement>('[data-live-rooms]')?.dataset['liveRooms'] ?? '[]',
  ) as string[],
);

let pending: ReturnType<typeof setTimeout> | null = null;

async function refresh(): Promise<void> {
  pending = null;
  const res = await fetch(location.href, { headers: { accept: 'text/html' } });
  if (!res.ok || main === null) return;
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const next = doc.getElementById('main');
  if (next) {
    main.replaceChildren(...next.childNodes);
    tick();
  }
}

if (rooms.size > 0) {
  const source = new EventSource('/live/events');
  source.addEventListener('room', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { room?: string };
    if (data.room !== undefined && rooms.has(data.room) && pending === null) {
      pending = setTimeout(() => void refresh(), 300);
    }
  });
  // Sent on every (re)connection and after each pass; the first one describes the page we have.
  let first = true;
  source.addEventListener('rooms', () => {
    if (first) first = false;
    else if (pending === null) pending = setTimeout(() => void refresh(), 300);
  });
}
