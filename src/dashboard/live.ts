import { setServerNow, tick } from './ticks.js';

/*
 * The live view: the page arrives rendered, one compact card per room; server-sent events from
 * /live/events then replace one card (`room`), every card (`rooms`) or the warnings (`alerts`) as
 * webhooks and reconcile passes change them (or `current` on connecting: the page is up to date). A card's people are fetched (/live/people) when it is
 * opened and again whenever that room changes; which rooms are open survives a reload
 * (sessionStorage). EventSource reconnects by itself, and the server sends everything again on
 * each connection, so nothing missed while away stays wrong.
 */

interface LiveData {
  nowMs: number;
  html: string;
  room?: string;
}

const rooms = document.getElementById('rooms');
const alerts = document.getElementById('live-alerts');
const state = document.getElementById('live-state');
const filter = document.getElementById('room-filter') as HTMLInputElement | null;
const filterResult = document.getElementById('room-filter-result');

const PEOPLE = 'details[data-people]';
const OPEN_KEY = 'live-open-rooms';

function setState(value: 'connecting' | 'live' | 'reconnecting'): void {
  if (state === null) return;
  state.dataset['state'] = value;
  const text = state.querySelector('.text');
  if (text) {
    text.textContent =
      value === 'live'
        ? 'Live: updates as it happens'
        : value === 'connecting'
          ? 'Connecting…'
          : 'Reconnecting…';
  }
}

function fragment(html: string): DocumentFragment {
  const t = document.createElement('template');
  t.innerHTML = html;
  return t.content;
}

function roomSections(root: ParentNode | null = rooms): HTMLElement[] {
  return root === null ? [] : [...root.querySelectorAll<HTMLElement>('[data-room]')];
}

function cardOf(name: string): HTMLElement | undefined {
  return roomSections().find((s) => s.dataset['room'] === name);
}

function peopleOf(card: Element | undefined): HTMLDetailsElement | null {
  return card?.querySelector<HTMLDetailsElement>(PEOPLE) ?? null;
}

// Which rooms are open, kept for this tab.
function openRooms(): Set<string> {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(OPEN_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

function rememberOpen(name: string, open: boolean): void {
  const names = openRooms();
  if (open) names.add(name);
  else names.delete(name);
  try {
    sessionStorage.setItem(OPEN_KEY, JSON.stringify([...names]));
  } catch {
    // Storage refused (private mode): open rooms are then forgotten on reload.
  }
}

// Fetching a room's people: one request per room at a time; a change during it asks once more.
const loading = new Map<string, { again: boolean }>();

async function loadPeople(name: string): Promise<void> {
  const running = loading.get(name);
  if (running) {
    running.again = true;
    return;
  }
  const job = { again: false };
  loading.set(name, job);
  try {
    do {
      job.again = false;
      const details = peopleOf(cardOf(name));
      const url = details?.dataset['people'];
      if (!details?.open || url === undefined) return;
      let html: string;
      try {
        const res = await fetch(url, { headers: { accept: 'text/html' } });
        if (res.status === 401) {
          location.reload(); // signed out: the page shows the sign-in form
          return;
        }
        html =
          res.ok || res.status === 404
            ? await res.text()
            : '<p class="muted">Could not load who is here; it is tried again with the next change.</p>';
      } catch {
        html =
          '<p class="muted">Could not reach the service; it is tried again with the next change.</p>';
      }
      // The card may have been replaced while the request ran: fill the one shown now.
      const slot = peopleOf(cardOf(name))?.querySelector('.people-slot');
      if (slot) {
        slot.replaceChildren(fragment(html));
        tick(slot);
      }
    } while (job.again);
  } finally {
    loading.delete(name);
  }
}

/** Details this script opened itself: their toggle event must not fetch a second time. */
const openedHere = new WeakSet<HTMLDetailsElement>();

function openCard(card: Element): boolean {
  const details = peopleOf(card);
  if (details === null || details.open) return false;
  openedHere.add(details);
  details.open = true;
  return true;
}

/**
 * Gives `next` (not yet in the page) what the reader had in `old`: an open people list, kept on
 * show until the fresh one arrives. True when its people need fetching.
 */
function carryOver(old: HTMLElement | undefined, next: Element, remembered: Set<string>): boolean {
  const name = (next as HTMLElement).dataset['room'] ?? '';
  const before = peopleOf(old);
  const wasOpen = before === null ? remembered.has(name) : before.open;
  if (!wasOpen || !openCard(next)) return false;
  const oldSlot = before?.querySelector('.people-slot');
  if (oldSlot) peopleOf(next)?.querySelector('.people-slot')?.replaceWith(oldSlot);
  return true;
}

/** Puts the keyboard focus back where it was after `old` is replaced (the same control). */
function keepFocus(old: HTMLElement | undefined): (next: Element) => void {
  const controls = (el: Element) => [...el.querySelectorAll<HTMLElement>('a[href], summary')];
  const at =
    old && document.activeElement
      ? controls(old).indexOf(document.activeElement as HTMLElement)
      : -1;
  return (next) => {
    if (at >= 0) controls(next)[at]?.focus({ preventScroll: true });
  };
}

function flash(el: Element): void {
  el.classList.add('updated');
  setTimeout(() => el.classList.remove('updated'), 1200);
}

function updateSummary(): void {
  const sections = roomSections();
  const people = sections.reduce((n, s) => n + Number(s.dataset['attending'] ?? 0), 0);
  const set = (name: string, value: number, one: string, many: string) => {
    const count = document.querySelector(`[data-count="${name}"]`);
    if (count) count.textContent = String(value);
    const noun = document.querySelector(`[data-noun="${name}"]`);
    if (noun) noun.textContent = value === 1 ? one : many;
  };
  set('rooms', sections.length, 'room', 'rooms');
  set('people', people, 'person', 'people');
}

/** Shows only the rooms whose name or session matches the search box. */
function applyFilter(): void {
  if (filter === null) return;
  const query = filter.value.trim().toLowerCase();
  const sections = roomSections();
  let shown = 0;
  for (const card of sections) {
    const names = [card.dataset['room'] ?? ''];
    for (const a of card.querySelectorAll('.room-session a')) names.push(a.textContent ?? '');
    const match = query === '' || names.some((n) => n.toLowerCase().includes(query));
    card.hidden = !match;
    if (match) shown++;
  }
  if (filterResult) {
    filterResult.textContent =
      query === ''
        ? ''
        : shown === 0
          ? 'No room matches.'
          : `${shown} of ${sections.length} ${sections.length === 1 ? 'room' : 'rooms'}`;
  }
}

function showEmpty(): void {
  if (rooms === null || roomSections().length > 0 || rooms.querySelector('[data-empty]')) return;
  rooms.append(
    fragment(
      '<p class="muted empty" data-empty="1">No room is in progress. Rooms appear here as soon as someone joins.</p>',
    ),
  );
}

function replaceRoom(name: string, html: string): void {
  if (rooms === null) return;
  const existing = cardOf(name);
  if (html === '') {
    existing?.remove();
    showEmpty();
    return;
  }
  const next = fragment(html).firstElementChild;
  if (next === null) return;
  rooms.querySelector('[data-empty]')?.remove();
  const refocus = keepFocus(existing);
  const fetchPeople = carryOver(existing, next, openRooms());
  if (existing) existing.replaceWith(next);
  else {
    // Rooms are listed by name, as the server orders them.
    const after = roomSections().find((s) => (s.dataset['room'] ?? '') > name);
    rooms.insertBefore(next, after ?? null);
  }
  refocus(next);
  flash(next);
  if (fetchPeople) void loadPeople(name);
}

function replaceAll(html: string): void {
  if (rooms === null) return;
  const old = new Map(roomSections().map((s) => [s.dataset['room'] ?? '', s]));
  const focused = [...old.values()].find((s) => s.contains(document.activeElement));
  const refocus = keepFocus(focused);
  const next = fragment(html);
  const remembered = openRooms();
  const toLoad: string[] = [];
  for (const card of roomSections(next)) {
    const name = card.dataset['room'] ?? '';
    if (carryOver(old.get(name), card, remembered)) toLoad.push(name);
  }
  rooms.replaceChildren(next);
  const again = focused && cardOf(focused.dataset['room'] ?? '');
  if (again) refocus(again);
  for (const name of toLoad) void loadPeople(name);
}

function parse(e: Event): LiveData {
  const data = JSON.parse((e as MessageEvent<string>).data) as LiveData;
  setServerNow(data.nowMs);
  return data;
}

// A room opened by the reader: remember it and fetch its people.
rooms?.addEventListener(
  'toggle',
  (e) => {
    const details = e.target;
    if (!(details instanceof HTMLDetailsElement) || !details.matches(PEOPLE)) return;
    const name = details.closest<HTMLElement>('[data-room]')?.dataset['room'];
    if (name === undefined) return;
    rememberOpen(name, details.open);
    if (openedHere.has(details)) openedHere.delete(details);
    else if (details.open) void loadPeople(name);
  },
  true,
);

// The rooms this tab had open before a reload, and any the reader opened before this script ran
// (its toggle event had no listener yet).
const reopen = openRooms();
for (const card of roomSections()) {
  const name = card.dataset['room'] ?? '';
  if (peopleOf(card)?.open === true) {
    rememberOpen(name, true);
    void loadPeople(name);
  } else if (reopen.has(name) && openCard(card)) void loadPeople(name);
}

filter?.addEventListener('input', applyFilter);

// `since`: the server answers `current` instead of every room while nothing has changed since
// this page was rendered.
const version = rooms?.dataset['version'];
const source = new EventSource(
  version === undefined ? '/live/events' : `/live/events?since=${encodeURIComponent(version)}`,
);
source.addEventListener('current', (e) => {
  parse(e);
  tick();
  setState('live');
});
source.addEventListener('rooms', (e) => {
  replaceAll(parse(e).html);
  updateSummary();
  applyFilter();
  tick();
  setState('live');
});
source.addEventListener('room', (e) => {
  const data = parse(e);
  if (data.room !== undefined) replaceRoom(data.room, data.html);
  updateSummary();
  applyFilter();
  tick();
});
source.addEventListener('alerts', (e) => {
  const data = parse(e);
  if (alerts && alerts.innerHTML !== data.html) alerts.replaceChildren(fragment(data.html));
});
source.addEventListener('error', () => {
  setState('reconnecting');
  if (source.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 5000);
});
