import { setServerNow, tick } from './ticks.js';

/*
 * The live view: the page arrives rendered; server-sent events from /live/events then replace
 * one room card (`room`), every card (`rooms`) or the warnings (`alerts`) as webhooks and
 * reconcile passes change them. EventSource reconnects by itself, and the server sends
 * everything again on each connection, so nothing missed while away stays wrong.
 */

interface LiveData {
  nowMs: number;
  html: string;
  room?: string;
}

const rooms = document.getElementById('rooms');
const alerts = document.getElementById('live-alerts');
const state = document.getElementById('live-state');

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

function roomSections(): HTMLElement[] {
  return rooms === null ? [] : [...rooms.querySelectorAll<HTMLElement>('section[data-room]')];
}

function flash(el: Element): void {
  el.classList.add('updated');
  setTimeout(() => el.classList.remove('updated'), 1200);
}

function updateSummary(): void {
  const sections = roomSections();
  const people = sections.reduce((n, s) => n + Number(s.dataset['attending'] ?? 0), 0);
  const set = (name: string, value: number) => {
    const el = document.querySelector(`[data-count="${name}"]`);
    if (el) el.textContent = String(value);
  };
  set('rooms', sections.length);
  set('people', people);
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
  const existing = roomSections().find((s) => s.dataset['room'] === name);
  if (html === '') {
    existing?.remove();
    showEmpty();
    return;
  }
  const next = fragment(html).firstElementChild;
  if (next === null) return;
  rooms.querySelector('[data-empty]')?.remove();
  if (existing) existing.replaceWith(next);
  else {
    // Rooms are listed by name, as the server orders them.
    const after = roomSections().find((s) => (s.dataset['room'] ?? '') > name);
    rooms.insertBefore(next, after ?? null);
  }
  flash(next);
}

function parse(e: Event): LiveData {
  const data = JSON.parse((e as MessageEvent<string>).data) as LiveData;
  setServerNow(data.nowMs);
  return data;
}

const source = new EventSource('/live/events');
source.addEventListener('rooms', (e) => {
  const data = parse(e);
  if (rooms) rooms.replaceChildren(fragment(data.html));
  updateSummary();
  tick();
  setState('live');
});
source.addEventListener('room', (e) => {
  const data = parse(e);
  if (data.room !== undefined) replaceRoom(data.room, data.html);
  updateSummary();
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
