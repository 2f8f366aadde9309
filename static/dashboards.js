// Dashboards: draw the charts described in <script type="application/json" id="dash-charts"> with ECharts
// (static/vendor/echarts). Every label comes translated from the server; the tables under the charts hold
// the same numbers, so nothing here is the only way to read a figure. Text from the database (agent and
// team names) only reaches the DOM through encodeHTML or the canvas.
(function () {
  "use strict";
  const blob = document.getElementById("dash-charts");
  if (!blob || !window.echarts) return;
  const specs = JSON.parse(blob.textContent || "{}");
  const locale = (document.documentElement.lang || "zh").toLowerCase().startsWith("zh") ? "ZH" : "EN";
  const esc = echarts.format.encodeHTML;
  const palette = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997", "#6c757d",
    "#0dcaf0", "#dc3545", "#ffc107", "#795548", "#3f51b5", "#8bc34a", "#9c27b0"];

  function fmt(v, suffix) {
    return v === null || v === undefined || v === "-" ? "—" : v + (suffix || "");
  }

  function empty(spec) {
    if (spec.kind === "heatmap") return !spec.cells.length;
    if (spec.kind === "gaps") return !spec.categories.length;
    return !spec.x.length || spec.series.every(function (s) { return s.data.every(function (v) { return v === null; }); });
  }

  function lines(spec) {
    const bar = spec.kind === "bars";
    const series = spec.series.map(function (s) {
      return {
        name: s.name,
        type: bar ? "bar" : "line",
        data: s.data,
        connectNulls: false,
        showSymbol: true,
        symbolSize: 6,
        emphasis: { focus: "series" },
      };
    });
    if (spec.benchmark !== null && spec.benchmark !== undefined && series.length) {
      series[0].markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { type: "dashed", color: "#212529" },
        label: { formatter: spec.benchmark_label + " " + spec.benchmark + "%", position: "insideStartTop" },
        data: [{ yAxis: spec.benchmark }],
      };
    }
    return {
      color: palette,
      aria: { enabled: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v); } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 24, top: 56, bottom: spec.x_name ? 32 : 8, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.x,
        name: spec.x_name || "",
        nameLocation: "middle",
        nameGap: 28,
        axisLabel: { hideOverlap: true },
      },
      yAxis: {
        type: "value",
        name: spec.y_name || "",
        max: spec.y_max === 100 ? function (v) { return Math.min(100, Math.ceil((v.max + 5) / 10) * 10); } : null,
        min: bar ? 0 : function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); },
      },
      series: series,
    };
  }

  function heatmap(spec) {
    const good = [], few = [];
    spec.cells.forEach(function (c) {
      (c[2] === null ? few : good).push([c[0], c[1], c[2] === null ? 0 : c[2], c[3]]);
    });
    function tip(p) {
      const v = p.value;
      const rate = p.seriesIndex === 0 ? v[2] + "%" : spec.labels.few;
      return esc(spec.y[v[1]]) + "<br>" + esc(spec.x[v[0]]) + ": <b>" + esc(rate) + "</b><br>" +
        esc(spec.labels.n) + ": " + v[3];
    }
    return {
      aria: { enabled: true },
      tooltip: { position: "top", formatter: tip },
      grid: { left: 8, right: 16, top: 8, bottom: 70, containLabel: true },
      xAxis: { type: "category", data: spec.x, splitArea: { show: true }, axisLabel: { interval: 0, rotate: 35 } },
      yAxis: { type: "category", data: spec.y, inverse: true, splitArea: { show: true } },
      visualMap: {
        seriesIndex: 0,
        dimension: 2, // the rate, not the count that follows it
        min: spec.min || 0,
        max: 100,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 160,
        text: ["100%", (spec.min || 0) + "%"],
        inRange: { color: ["#d73027", "#fdae61", "#fee08b", "#a6d96a", "#1a9850"] },
      },
      series: [
        {
          type: "heatmap",
          name: spec.labels.rate,
          data: good,
          label: { show: true, formatter: function (p) { return Math.round(p.value[2]); } },
          emphasis: { itemStyle: { borderColor: "#212529", borderWidth: 1 } },
        },
        {
          type: "heatmap",
          name: spec.labels.few,
          data: few,
          itemStyle: { color: "#e9ecef" },
          label: { show: true, color: "#6c757d", formatter: function (p) { return "n=" + p.value[3]; } },
        },
      ],
    };
  }

  function gaps(spec) {
    const rows = spec.categories.map(function (_, i) { return [i, spec.low[i], spec.high[i]]; });
    function whisker(params, api) {
      const y = api.value(0);
      const lo = api.coord([api.value(1), y]);
      const hi = api.coord([api.value(2), y]);
      const h = api.size([0, 1])[1] * 0.35;
      const style = { stroke: "#212529", lineWidth: 1.5 };
      return {
        type: "group",
        children: [
          { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
          { type: "line", shape: { x1: lo[0], y1: lo[1] - h / 2, x2: lo[0], y2: lo[1] + h / 2 }, style: style },
          { type: "line", shape: { x1: hi[0], y1: hi[1] - h / 2, x2: hi[0], y2: hi[1] + h / 2 }, style: style },
        ],
      };
    }
    return {
      aria: { enabled: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          const i = items[0].dataIndex;
          return esc(spec.categories[i]) + "<br>" + esc(spec.labels.gap) + ": <b>" + fmt(spec.gap[i]) + "</b><br>" +
            esc(spec.labels.ci) + ": " + fmt(spec.low[i]) + " … " + fmt(spec.high[i]);
        },
      },
      grid: { left: 8, right: 24, top: 12, bottom: 36, containLabel: true },
      xAxis: { type: "value", name: spec.labels.gap, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "category", data: spec.categories, inverse: true },
      series: [
        {
          type: "bar",
          name: spec.labels.gap,
          data: spec.gap.map(function (v) {
            return { value: v, itemStyle: { color: v > 0 ? "#dc3545" : "#198754", opacity: 0.75 } };
          }),
          barMaxWidth: 22,
        },
        {
          type: "custom",
          name: spec.labels.ci,
          renderItem: whisker,
          data: rows,
          encode: { y: 0, x: [1, 2] },
          z: 10,
        },
      ],
    };
  }

  const builders = { lines: lines, bars: lines, heatmap: heatmap, gaps: gaps };
  const drawn = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    const spec = specs[el.dataset.chart];
    if (!spec) { el.hidden = true; return; }
    if (empty(spec)) {
      el.classList.add("dash-empty");
      el.textContent = el.dataset.noData || "";
      el.style.height = "auto";
      return;
    }
    const chart = echarts.init(el, null, { locale: locale, renderer: "canvas" });
    chart.setOption(builders[spec.kind](spec));
    drawn.push(chart);
  });
  let pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { drawn.forEach(function (c) { c.resize(); }); }, 100);
  });
})();
