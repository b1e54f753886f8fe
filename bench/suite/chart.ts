/**
 * The suite's bar chart: each program's time on each tier divided by native time, on a log scale, drawn as SVG and
 * rendered to PNG with @resvg/resvg-js (text in the system's sans-serif font; Debian's fonts-dejavu-core has one).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Summary } from './report.js';
import { tiers } from './report.js';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
const W = 960;
const LEFT = 150;
const RIGHT = 70;
const BAR = 14;
const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = lo; p <= hi; p *= 10) for (const m of [1, 2, 5]) if (p * m <= hi) out.push(p * m);
  return out;
}

/** chartSvg draws the ratios of `s` as grouped horizontal bars (one group per program, one bar per built tier). */
export function chartSvg(s: Summary): string {
  const all = tiers();
  const built = all.filter((t) => s.tiers[t].built);
  const ratios = s.rows.flatMap((r) => built.filter((t) => r.tiers[t]).map((t) => r.tiers[t].ratio));
  const lo = 10 ** Math.floor(Math.log10(Math.min(1, ...ratios)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...ratios)));
  const x = (v: number) => LEFT + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - LEFT - RIGHT);
  const group = built.length * BAR + 14;
  const top = 78;
  const H = top + s.rows.length * group + 60;
  const el: string[] = [
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold">bpftime-vm time / native time (gcc -O2), log scale, lower is better</text>`,
  ];
  all.forEach((t, i) => {
    const lx = LEFT + i * Math.min(200, (W - LEFT) / all.length);
    el.push(`<rect x="${lx}" y="40" width="14" height="14" fill="${s.tiers[t].built ? COLORS[i % COLORS.length] : '#ddd'}"/>`);
    el.push(`<text x="${lx + 20}" y="52" font-size="13">${esc(t)}${s.tiers[t].built ? '' : ' (not built)'}</text>`);
  });
  for (const v of ticks(lo, hi)) {
    const gx = x(v).toFixed(1);
    el.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 50}" stroke="${v === 1 ? '#333' : '#ddd'}" stroke-width="${v === 1 ? 1.5 : 1}"/>`);
    el.push(`<text x="${gx}" y="${H - 34}" text-anchor="middle" font-size="11">${v}x</text>`);
  }
  s.rows.forEach((r, gi) => {
    const gy = top + gi * group;
    el.push(`<text x="${LEFT - 8}" y="${gy + (built.length * BAR) / 2 + 4}" text-anchor="end" font-size="13">${esc(r.program)}${r.kind === 'call' ? ' (call)' : ''}</text>`);
    built.forEach((t, bi) => {
      const y = gy + bi * BAR;
      if (!r.tiers[t]) {
        el.push(`<text x="${LEFT + 4}" y="${y + BAR - 3}" font-size="11" fill="#c00">${esc(t)}: ${esc(r.errors[t] ? 'failed (see the table)' : 'not run')}</text>`);
        return;
      }
      const v = r.tiers[t].ratio;
      const color = COLORS[all.indexOf(t) % COLORS.length];
      el.push(`<rect x="${LEFT}" y="${y}" width="${Math.max(1, x(v) - LEFT).toFixed(1)}" height="${BAR - 2}" fill="${color}"/>`);
      el.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + BAR - 3}" font-size="11">${v < 10 ? v.toFixed(2) : v.toFixed(0)}x</text>`);
    });
  });
  el.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="11" fill="#555">${esc(`${s.date.slice(0, 10)}, Node ${s.node}, ${s.command}; 1x = as fast as native; (call): call-overhead programs`)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">${el.join('')}</svg>`;
}

/** writeChart renders the chart to a PNG file; warns when no system font is there for its text. */
export async function writeChart(s: Summary, path: string): Promise<void> {
  if (!existsSync('/usr/share/fonts')) process.stderr.write('bench suite: no fonts in /usr/share/fonts: chart text will be empty (install fonts-dejavu-core)\n');
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(chartSvg(s), { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  writeFileSync(path, png);
}
