/**
 * The results plot, as a standalone SVG written by hand (no plotting dependency): two panels
 * against the number of concurrent proposers or clients on a log scale (1..1024), the left
 * throughput (commits/s, requests/s), the right latency (p50 and p99, log scale), for the
 * in-process proposals and the HTTP writes, with the machine's floor (fdatasync + WebSocket
 * round trip) drawn in the latency panel. Both y axes are log scales too: HTTP and in-process
 * throughput differ by an order of magnitude or more.
 */

const WIDTH = 1040;
const HEIGHT = 580;
const PANEL = { top: 92, height: 320, width: 400 };
/** Legends sit under their panel, clear of the data. */
const LEGEND_Y = PANEL.top + PANEL.height + 66;
const LEFT_X = 90;
const RIGHT_X = 590;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const COLORS = { propose: '#1f62b4', http: '#d9480f', floor: '#6c757d' };

const escape = (text) =>
  String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fixed = (n) => Number(n.toFixed(1));

/** Ticks 1, 2, 5 x 10^k within [lo, hi], and the decades' positions. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade++) {
    for (const m of [1, 2, 5]) {
      const value = m * 10 ** decade;
      if (value >= lo * 0.999 && value <= hi * 1.001) ticks.push(value);
    }
  }
  return ticks;
}

function formatNumber(value) {
  if (value >= 1000)
    return `${value / 1000 >= 10 ? (value / 1000).toFixed(0) : Number((value / 1000).toFixed(1))}k`;
  if (value >= 1) return String(Number(value.toFixed(1)));
  return String(Number(value.toPrecision(2)));
}

function formatMs(value) {
  if (value >= 1000) return `${Number((value / 1000).toFixed(1))} s`;
  return `${formatNumber(value)} ms`;
}

/** The largest 1, 2 or 5 x 10^k at or below `value`, and the smallest at or above: a log axis's ends. */
function niceBelow(value) {
  const decade = 10 ** Math.floor(Math.log10(value));
  return [5, 2, 1].map((m) => m * decade).find((v) => v <= value * 1.0001);
}
function niceAbove(value) {
  const decade = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= value * 0.9999);
}

const scaleLog = (lo, hi, from, to) => (v) =>
  from + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (to - from);

/** Axes, grid, ticks and labels of one panel; returns its SVG and its scales. */
function panel({ x0, title, yLabel, yTicks, y, xTicks, x, yFormat }) {
  const bottom = PANEL.top + PANEL.height;
  const parts = [`<g>`];
  parts.push(
    `<text x="${x0 + PANEL.width / 2}" y="${PANEL.top - 14}" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${escape(title)}</text>`,
  );
  for (const tick of yTicks) {
    const ty = fixed(y(tick));
    parts.push(`<line x1="${x0}" y1="${ty}" x2="${x0 + PANEL.width}" y2="${ty}" stroke="#e3e6ea" />`);
    parts.push(
      `<text x="${x0 - 8}" y="${ty + 4}" text-anchor="end" font-size="12" fill="#333" ${FONT}>${escape(yFormat(tick))}</text>`,
    );
  }
  for (const tick of xTicks) {
    const tx = fixed(x(tick));
    parts.push(`<line x1="${tx}" y1="${PANEL.top}" x2="${tx}" y2="${bottom}" stroke="#eef0f2" />`);
    parts.push(`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 5}" stroke="#333" />`);
    parts.push(
      `<text x="${tx}" y="${bottom + 19}" text-anchor="middle" font-size="12" fill="#333" ${FONT}>${tick}</text>`,
    );
  }
  parts.push(
    `<rect x="${x0}" y="${PANEL.top}" width="${PANEL.width}" height="${PANEL.height}" fill="none" stroke="#333" />`,
  );
  parts.push(
    `<text x="${x0 + PANEL.width / 2}" y="${bottom + 40}" text-anchor="middle" font-size="13" ${FONT}>concurrent proposers / HTTP clients (log scale)</text>`,
  );
  const cy = PANEL.top + PANEL.height / 2;
  parts.push(
    `<text x="${x0 - 62}" y="${cy}" text-anchor="middle" font-size="13" transform="rotate(-90 ${x0 - 62} ${cy})" ${FONT}>${escape(yLabel)}</text>`,
  );
  parts.push('</g>');
  return parts.join('\n');
}

function series(points, x, y, { color, dash = '', marker = 'circle' }) {
  const valid = points.filter((p) => typeof p.y === 'number' && p.y > 0);
  if (valid.length === 0) return '';
  const path = valid.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(x(p.x))},${fixed(y(p.y))}`).join(' ');
  const parts = [
    `<path d="${path}" fill="none" stroke="${color}" stroke-width="2.2" ${dash ? `stroke-dasharray="${dash}"` : ''} />`,
  ];
  for (const p of valid) parts.push(markerAt(fixed(x(p.x)), fixed(y(p.y)), color, marker));
  return parts.join('\n');
}

function markerAt(cx, cy, color, marker) {
  if (marker === 'square') {
    return `<rect x="${cx - 4}" y="${cy - 4}" width="8" height="8" fill="white" stroke="${color}" stroke-width="2" />`;
  }
  return `<circle cx="${cx}" cy="${cy}" r="4" fill="${color}" stroke="white" stroke-width="1" />`;
}

function legend(x0, y0, entries, columns = 1) {
  const parts = [];
  const rows = Math.ceil(entries.length / columns);
  entries.forEach((entry, i) => {
    const ly = y0 + (i % rows) * 18;
    const lx = x0 + Math.floor(i / rows) * 200;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${entry.color}" stroke-width="2.2" ${entry.dash ? `stroke-dasharray="${entry.dash}"` : ''} />`,
    );
    if (entry.marker !== 'none') parts.push(markerAt(lx + 14, ly, entry.color, entry.marker ?? 'circle'));
    parts.push(`<text x="${lx + 36}" y="${ly + 4}" font-size="12" ${FONT}>${escape(entry.label)}</text>`);
  });
  return parts.join('\n');
}

/**
 * `propose` and `http`: [{ concurrency, perSecond, p50, p99 }]; `floorMs`: fdatasync p50 +
 * WebSocket round trip p50 (or null); `title`, `subtitle`: the run's date and machine.
 */
export function plotSvg({ propose, http, floorMs, title, subtitle }) {
  const xLo = 1;
  const xHi = 1024;
  const xTicks = [1, 4, 16, 64, 256, 1024];
  const throughputs = [...propose, ...http]
    .map((p) => p.perSecond)
    .filter((v) => typeof v === 'number' && v > 0);
  const latencies = [...propose, ...http]
    .flatMap((p) => [p.p50, p.p99])
    .filter((v) => typeof v === 'number' && v > 0);
  if (typeof floorMs === 'number' && floorMs > 0) latencies.push(floorMs);
  const bottom = PANEL.top + PANEL.height;

  const tLo = niceBelow(Math.min(...throughputs, 1e9) * 0.9);
  const tHi = niceAbove(Math.max(...throughputs, 10) * 1.1);
  const xLeft = scaleLog(xLo, xHi, LEFT_X, LEFT_X + PANEL.width);
  const yLeft = scaleLog(tLo, tHi, bottom, PANEL.top);

  const lLo = niceBelow(Math.min(...latencies, 1e9) * 0.9);
  const lHi = niceAbove(Math.max(...latencies, 1) * 1.1);
  const xRight = scaleLog(xLo, xHi, RIGHT_X, RIGHT_X + PANEL.width);
  const yRight = scaleLog(lLo, lHi, bottom, PANEL.top);

  const point = (key) => (p) => ({ x: p.concurrency, y: p[key] });
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white" />`,
    `<text x="${WIDTH / 2}" y="30" text-anchor="middle" font-size="18" font-weight="bold" ${FONT}>${escape(title)}</text>`,
    `<text x="${WIDTH / 2}" y="52" text-anchor="middle" font-size="13" fill="#444" ${FONT}>${escape(subtitle)}</text>`,
    panel({
      x0: LEFT_X,
      title: 'Throughput',
      yLabel: 'commits/s, requests/s (log scale)',
      yTicks: logTicks(tLo, tHi),
      y: yLeft,
      xTicks,
      x: xLeft,
      yFormat: formatNumber,
    }),
    series(propose.map(point('perSecond')), xLeft, yLeft, { color: COLORS.propose }),
    series(http.map(point('perSecond')), xLeft, yLeft, { color: COLORS.http }),
    legend(LEFT_X, LEGEND_Y, [
      { label: 'propose: commits/s (load in the leader process)', color: COLORS.propose },
      { label: 'HTTP PUT /kv: requests/s (separate client process)', color: COLORS.http },
    ]),
    panel({
      x0: RIGHT_X,
      title: 'Latency',
      yLabel: 'latency per write (log scale)',
      yTicks: logTicks(lLo, lHi),
      y: yRight,
      xTicks,
      x: xRight,
      yFormat: formatMs,
    }),
  ];
  if (typeof floorMs === 'number' && floorMs > 0) {
    const fy = fixed(yRight(floorMs));
    parts.push(
      `<line x1="${RIGHT_X}" y1="${fy}" x2="${RIGHT_X + PANEL.width}" y2="${fy}" stroke="${COLORS.floor}" stroke-width="1.5" stroke-dasharray="2 3" />`,
    );
  }
  parts.push(
    series(propose.map(point('p50')), xRight, yRight, { color: COLORS.propose }),
    series(propose.map(point('p99')), xRight, yRight, {
      color: COLORS.propose,
      dash: '6 4',
      marker: 'square',
    }),
    series(http.map(point('p50')), xRight, yRight, { color: COLORS.http }),
    series(http.map(point('p99')), xRight, yRight, { color: COLORS.http, dash: '6 4', marker: 'square' }),
    legend(
      RIGHT_X,
      LEGEND_Y,
      [
        { label: 'propose p50', color: COLORS.propose },
        { label: 'propose p99', color: COLORS.propose, dash: '6 4', marker: 'square' },
        { label: 'HTTP PUT p50', color: COLORS.http },
        { label: 'HTTP PUT p99', color: COLORS.http, dash: '6 4', marker: 'square' },
      ],
      2,
    ),
    typeof floorMs === 'number' && floorMs > 0
      ? legend(RIGHT_X, LEGEND_Y + 42, [
          {
            label: `floor: fdatasync p50 + WebSocket round trip p50 (${formatMs(floorMs)})`,
            color: COLORS.floor,
            dash: '2 3',
            marker: 'none',
          },
        ])
      : '',
    `<text x="${WIDTH / 2}" y="${HEIGHT - 14}" text-anchor="middle" font-size="11" fill="#666" ${FONT}>3 nodes on 127.0.0.1, FileStorage with fsync, WebSocket transport, 128-byte commands; closed loop: each proposer or client waits for its answer before the next</text>`,
    '</svg>',
  );
  return parts.filter((part) => part !== '').join('\n') + '\n';
}
