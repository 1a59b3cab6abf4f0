import uPlot from './vendor/uplot.js';

/*
 * Draws each `figure[data-chart]` from the table it names (`data-table`): rows carry `data-x`
 * (epoch seconds) and `data-y`, so the chart and the table beside it cannot disagree. The table
 * is what screen readers read; the chart is hidden from them. `data-plotted` records what was
 * drawn (the end-to-end test compares it with the API).
 */

function seriesOf(table: HTMLTableElement): [number[], (number | null)[]] {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  for (const row of table.querySelectorAll<HTMLTableRowElement>('tbody tr[data-x]')) {
    xs.push(Number(row.dataset['x']));
    const y = row.dataset['y'] ?? '';
    ys.push(y === '' ? null : Number(y));
  }
  return [xs, ys];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function draw(figure: HTMLElement): void {
  const table = document.getElementById(figure.dataset['table'] ?? '');
  if (!(table instanceof HTMLTableElement)) return;
  const [xs, ys] = seriesOf(table);
  const lone = xs.length > 0 && xs.every((x) => x === xs[0]) ? xs[0]! : null;
  figure.dataset['plotted'] = JSON.stringify({ x: xs, y: ys });
  const kind = figure.dataset['chart'];
  const stroke = cssVar('--bar-webhook', '#2563eb');
  const text = cssVar('--muted', '#5b6473');
  const grid = cssVar('--line', '#dde1e7');
  const axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
  const width = Math.max(240, figure.clientWidth);
  const plot = new uPlot(
    {
      width,
      height: 240,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // One session alone would otherwise span years of empty axis: uPlot widens a lone time
        // value by 86400 / `ms` (1000 days for seconds) before this range function sees it.
        x: {
          time: true,
          range: (_u, min, max) => (lone === null ? [min, max] : [lone - 86_400, lone + 86_400]),
        },
        y:
          kind === 'rate'
            ? { range: [0, 100] }
            : { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [axis, { ...axis, label: figure.dataset['yLabel'] ?? '', size: 50 }],
      series: [
        {},
        {
          label: figure.dataset['yLabel'] ?? '',
          stroke,
          width: 2,
          fill: `${stroke}22`,
          points: { show: kind === 'rate' || xs.length < 40, size: 7, fill: stroke },
          spanGaps: false,
        },
      ],
    },
    [xs, ys],
    figure,
  );
  new ResizeObserver(() => {
    const w = Math.max(240, figure.clientWidth);
    if (w !== plot.width) plot.setSize({ width: w, height: 240 });
  }).observe(figure);
}

for (const bar of document.querySelectorAll<HTMLElement>('[data-rate]')) {
  // A custom property set from script: the CSP allows this where it refuses style="…".
  bar.style.setProperty('--rate', bar.dataset['rate'] ?? '0');
}
for (const figure of document.querySelectorAll<HTMLElement>('figure[data-chart]')) draw(figure);
