// The timeline plot of the patient page: pregnancies (date × gestational age, outcome by shape,
// counted losses filled and ringed; one mark per pregnancy) and results over time
// (antiphospholipid titres with the 12-week repeat window shaded; TSH against its threshold).
// SVG built with createElementNS and textContent only: record text is never parsed as markup.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const DAY = 86400000;
  const APL = ["lupus_anticoagulant", "anticardiolipin_igg", "anticardiolipin_igm", "anti_b2gpi_igg", "anti_b2gpi_igm"];
  const POSITIVE = ["positive", "high", "abnormal"];
  const SHAPES = {
    miscarriage: "circle", biochemical: "diamond", ectopic: "triangle", molar: "square",
    stillbirth: "down", live_birth: "star", termination: "cross", ongoing: "ongoing",
  };

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    const t = svg("text", Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = content;
    return t;
  }
  function date(s) { return s ? new Date(s + "T00:00:00Z").getTime() : null; }
  function iso(t) { return new Date(t).toISOString().slice(0, 10); }

  /** The path of an outcome's shape centred on (x, y). */
  function shapePath(shape, x, y, r) {
    switch (shape) {
      case "diamond": return `M${x},${y - r}L${x + r},${y}L${x},${y + r}L${x - r},${y}Z`;
      case "triangle": return `M${x},${y - r}L${x + r},${y + r * 0.8}L${x - r},${y + r * 0.8}Z`;
      case "down": return `M${x},${y + r}L${x + r},${y - r * 0.8}L${x - r},${y - r * 0.8}Z`;
      case "square": return `M${x - r * 0.8},${y - r * 0.8}h${r * 1.6}v${r * 1.6}h${-r * 1.6}Z`;
      case "cross": return `M${x - r},${y - r * 0.3}h${r * 0.7}v${-r * 0.7}h${r * 0.6}v${r * 0.7}h${r * 0.7}v${r * 0.6}h${-r * 0.7}v${r * 0.7}h${-r * 0.6}v${-r * 0.7}h${-r * 0.7}Z`;
      case "star": {
        let d = "";
        for (let i = 0; i < 10; i++) {
          const a = Math.PI / 5 * i - Math.PI / 2;
          const rr = i % 2 ? r * 0.45 : r * 1.1;
          d += (i ? "L" : "M") + (x + rr * Math.cos(a)).toFixed(1) + "," + (y + rr * Math.sin(a)).toFixed(1);
        }
        return d + "Z";
      }
      default: return `M${x - r},${y}a${r},${r} 0 1,0 ${r * 2},0a${r},${r} 0 1,0 ${-r * 2},0Z`;
    }
  }

  function axisX(g, x, y, from, to, width) {
    svg("line", { x1: x(from), x2: x(to), y1: y, y2: y, class: "axis" }, g);
    const years = [];
    for (let yr = new Date(from).getUTCFullYear(); yr <= new Date(to).getUTCFullYear() + 1; yr++) years.push(yr);
    const step = Math.max(1, Math.ceil(years.length / 10));
    for (const yr of years.filter((_, i) => i % step === 0)) {
      const t = Date.UTC(yr, 0, 1);
      if (t < from || t > to) continue;
      svg("line", { x1: x(t), x2: x(t), y1: y, y2: y + 4, class: "axis" }, g);
      text(g, x(t), y + 15, String(yr), { "text-anchor": "middle" });
    }
    void width;
  }

  /**
   * Builds the timeline. `pregnancies` and `results` are API objects; `checklist` the checklist
   * (its counted pregnancy ids and due dates); `today` the evaluation date (YYYY-MM-DD).
   */
  function timeline(pregnancies, results, checklist, today) {
    const W = 900, left = 70, right = 20;
    const counted = new Set((checklist && checklist.eligibility && checklist.eligibility.counted_pregnancy_ids) || []);
    const end = date(today);
    const times = [end];
    for (const p of pregnancies) if (p.ended_on) times.push(date(p.ended_on));
    for (const r of results) if (r.collected_on) times.push(date(r.collected_on));
    for (const i of (checklist && checklist.items) || []) if (i.due_on) times.push(date(i.due_on));
    const from = Math.min(...times) - 60 * DAY, to = Math.max(...times) + 60 * DAY;
    const x = (t) => left + (t - from) / (to - from) * (W - left - right);

    const root = svg("svg", { viewBox: `0 0 ${W} 520`, class: "plot", role: "img", "aria-labelledby": "plot-title plot-desc" });
    const title = svg("title", { id: "plot-title" }, root);
    title.textContent = "Timeline of pregnancies and results";
    const desc = svg("desc", { id: "plot-desc" }, root);
    desc.textContent = `${pregnancies.length} pregnancies, ${counted.size} counted as losses; antiphospholipid and TSH results over time.`;

    // Panel 1: pregnancies, gestational age in weeks (0–42) against the date they ended.
    const p1 = svg("g", { class: "panel pregnancies" }, root);
    const top = 20, h = 190, y = (w) => top + h - (Math.min(w, 42) / 42) * h;
    text(p1, 4, top - 6, "Pregnancies: gestational age (weeks) by date ended", { "font-weight": "600" });
    for (const w of [0, 10, 20, 30, 40]) {
      svg("line", { x1: left, x2: W - right, y1: y(w), y2: y(w), class: "grid" }, p1);
      text(p1, left - 6, y(w) + 4, String(w), { "text-anchor": "end" });
    }
    axisX(p1, x, top + h, from, to, W);
    for (const p of pregnancies) {
      const ga = p.gestational_age_weeks == null ? 0 : p.gestational_age_weeks + (p.gestational_age_days || 0) / 7;
      const t = p.ended_on ? date(p.ended_on) : end;
      const isCounted = counted.has(p.id);
      const shape = SHAPES[p.outcome] || "circle";
      const label = `${p.outcome.replace(/_/g, " ")}${p.ended_on ? " ended " + p.ended_on : " (ongoing)"}` +
        `${p.gestational_age_weeks == null ? "" : ` at ${p.gestational_age_weeks}+${p.gestational_age_days || 0} weeks`}` +
        (isCounted ? "; counted as a loss" : "; not counted");
      const mark = svg("g", { class: "pregnancy-mark", "data-outcome": p.outcome, "data-counted": String(isCounted), role: "img", "aria-label": label }, p1);
      svg("title", {}, mark).textContent = label;
      svg("path", { d: shapePath(shape, x(t), y(ga), 7), class: isCounted ? "counted" : "not-counted" }, mark);
      if (isCounted) svg("circle", { cx: x(t), cy: y(ga), r: 11, class: "ring" }, mark);
    }

    // Panel 2: antiphospholipid titres; a positive result shades the 12 weeks before its repeat.
    const p2 = svg("g", { class: "panel apl" }, root);
    const top2 = 260, h2 = 110;
    text(p2, 4, top2 - 6, "Antiphospholipid antibodies (titre); shaded: 12 weeks before the repeat", { "font-weight": "600" });
    const apl = results.filter((r) => APL.includes(r.test) && r.collected_on);
    const aplMax = Math.max(1, ...apl.map((r) => (r.value && r.value.quantity) || 0)) * 1.15;
    const y2 = (v) => top2 + h2 - (v / aplMax) * h2;
    for (const r of apl.filter((r) => POSITIVE.includes(r.interpretation) || (r.value && r.value.finding === "positive"))) {
      const t = date(r.collected_on);
      svg("rect", { x: x(t), y: top2, width: Math.max(1, x(t + 84 * DAY) - x(t)), height: h2, class: "window" }, p2);
      svg("line", { x1: x(t + 84 * DAY), x2: x(t + 84 * DAY), y1: top2, y2: top2 + h2, class: "threshold" }, p2);
      const nearEnd = x(t + 84 * DAY) > W - 160;
      text(p2, x(t + 84 * DAY) + (nearEnd ? -4 : 4), top2 + 12, "repeat from " + iso(t + 84 * DAY), { "text-anchor": nearEnd ? "end" : "start" });
    }
    svg("line", { x1: left, x2: W - right, y1: top2 + h2, y2: top2 + h2, class: "axis" }, p2);
    axisX(p2, x, top2 + h2, from, to, W);
    if (!apl.length) text(p2, left + 10, top2 + h2 / 2, "No antiphospholipid results");
    for (const r of apl) {
      const q = r.value && r.value.quantity;
      const high = POSITIVE.includes(r.interpretation) || (r.value && r.value.finding === "positive");
      const label = `${r.test.replace(/_/g, " ")} ${q == null ? (r.value && r.value.finding) || "" : q + " " + ((r.value && r.value.unit) || "")} on ${r.collected_on}${high ? " (positive)" : ""}`;
      const g = svg("g", { class: "result-mark", role: "img", "aria-label": label }, p2);
      svg("title", {}, g).textContent = label;
      svg("path", { d: shapePath(high ? "diamond" : "circle", x(date(r.collected_on)), y2(q == null ? aplMax / 2 : q), 5), class: "point" + (high ? " high" : "") }, g);
    }

    // Panel 3: TSH against its threshold (the lab's upper limit, else 4.0 mIU/L).
    const p3 = svg("g", { class: "panel tsh" }, root);
    const top3 = 420, h3 = 70;
    const tsh = results.filter((r) => r.test === "tsh" && r.collected_on && r.value && r.value.quantity != null);
    const limit = (tsh.find((r) => r.reference_range && r.reference_range.high != null) || { reference_range: { high: 4.0 } }).reference_range.high;
    text(p3, 4, top3 - 6, `TSH (mIU/L) against the threshold ${limit}`, { "font-weight": "600" });
    const tshMax = Math.max(limit * 1.5, ...tsh.map((r) => r.value.quantity)) * 1.1;
    const y3 = (v) => top3 + h3 - (v / tshMax) * h3;
    svg("line", { x1: left, x2: W - right, y1: y3(limit), y2: y3(limit), class: "threshold" }, p3);
    text(p3, left - 6, y3(limit) + 4, String(limit), { "text-anchor": "end" });
    svg("line", { x1: left, x2: W - right, y1: top3 + h3, y2: top3 + h3, class: "axis" }, p3);
    axisX(p3, x, top3 + h3, from, to, W);
    if (!tsh.length) text(p3, left + 10, top3 + h3 / 2, "No TSH results");
    for (const r of tsh) {
      const high = r.value.quantity > limit;
      const label = `TSH ${r.value.quantity} on ${r.collected_on}${high ? " (above threshold)" : ""}`;
      const g = svg("g", { class: "result-mark", role: "img", "aria-label": label }, p3);
      svg("title", {}, g).textContent = label;
      svg("path", { d: shapePath(high ? "diamond" : "circle", x(date(r.collected_on)), y3(r.value.quantity), 5), class: "point" + (high ? " high" : "") }, g);
    }
    return root;
  }

  /** The legend: each outcome's shape, and how a counted loss looks. */
  function legend() {
    const list = document.createElement("ul");
    list.className = "legend";
    const entries = Object.entries(SHAPES).filter(([, s]) => s !== "ongoing").map(([o, s]) => [o.replace(/_/g, " "), s, "not-counted"]);
    entries.push(["counted loss (filled, ringed)", "circle", "counted"]);
    for (const [name, shape, cls] of entries) {
      const li = document.createElement("li");
      const icon = svg("svg", { width: 24, height: 24, viewBox: "0 0 24 24", "aria-hidden": "true", class: "plot-icon" });
      svg("path", { d: shapePath(shape, 12, 12, 7), class: cls }, icon);
      if (cls === "counted") svg("circle", { cx: 12, cy: 12, r: 10, class: "ring" }, icon);
      li.appendChild(icon);
      li.appendChild(document.createTextNode(" " + name));
      list.appendChild(li);
    }
    return list;
  }

  window.RplPlot = { timeline, legend };
})();
