// Charts of a room's media over time, both sides on one chart per figure (uPlot: it styles
// through the CSSOM only, so the page's CSP needs no 'unsafe-inline').
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "../dom.js";

const COLORS = { professional: "#2563eb", client: "#d97706" };

export const FIGURES = [
  { key: "rtt_ms", title: "Round-trip time", unit: "ms", series: [["rtt_ms", ""]] },
  { key: "jitter_ms", title: "Jitter", unit: "ms", series: [["jitter_ms", ""]] },
  { key: "loss_pct", title: "Packet loss", unit: "%", series: [["loss_pct", ""]] },
  {
    key: "bitrate",
    title: "Bitrate",
    unit: "kbps",
    series: [
      ["bitrate_in_kbps", "in"],
      ["bitrate_out_kbps", "out"],
    ],
  },
];

/** Samples of both sides → uPlot's aligned columns: one x (seconds) and a column per series. */
export function columns(figure, sides) {
  const times = new Set();
  for (const side of sides) for (const s of side.samples) times.add(Date.parse(s.at) / 1000);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols = [xs];
  for (const side of sides) {
    for (const [field] of figure.series) {
      const col = new Array(xs.length).fill(null);
      for (const s of side.samples) col[index.get(Date.parse(s.at) / 1000)] = s[field] ?? null;
      cols.push(col);
    }
  }
  return cols;
}

function seriesOf(figure, sides) {
  const out = [{}];
  for (const side of sides) {
    for (const [, suffix] of figure.series) {
      out.push({
        label: `${side.label}${suffix ? ` ${suffix}` : ""}`,
        stroke: COLORS[side.role],
        width: 2,
        dash: suffix === "out" ? [6, 4] : undefined,
        spanGaps: true,
        points: { show: false },
        value: (_, v) => (v == null ? "—" : `${v} ${figure.unit}`),
      });
    }
  }
  return out;
}

/** One chart: a figure of both sides over time. */
export class FigureChart {
  constructor(figure, sides) {
    this.figure = figure;
    this.plotArea = h("div", { class: "plot" });
    this.element = h(
      "figure",
      { class: "chart", dataset: { figure: figure.key } },
      h("figcaption", {}, `${figure.title} (${figure.unit})`),
      this.plotArea,
    );
    this.plot = new uPlot(
      {
        width: 400,
        height: 170,
        scales: { x: { time: true }, y: { range: (_, min, max) => [0, Math.max(max ?? 0, figure.unit === "%" ? 5 : 10) * 1.1] } },
        series: seriesOf(figure, sides),
        axes: [{}, { size: 56 }],
        legend: { live: false },
      },
      columns(figure, sides),
      this.plotArea,
    );
    this.resize = new ResizeObserver(() => {
      const width = Math.floor(this.plotArea.clientWidth);
      if (width > 0) this.plot.setSize({ width, height: 170 });
    });
    this.resize.observe(this.plotArea);
  }

  update(sides) {
    this.plot.setData(columns(this.figure, sides));
  }

  destroy() {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
