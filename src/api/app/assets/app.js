// The clinician's dashboard: worklist, patient page (timeline, checklist, reviews, profiles side
// by side, as-of), signed in with a bearer token kept in sessionStorage only. Uses nothing but the
// public REST API, so it doubles as a worked example for integrators. Record text only ever goes
// into the page through textContent / text nodes, never as HTML.
"use strict";
(function () {
  const KEY = "rpl-workup-token";

  // A `#token=` fragment signs in and leaves the address bar at once (history and screenshots).
  (function takeFragmentToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
  })();

  // Script errors and CSP violations, kept for anyone checking the page (the browser tests do).
  const errors = [];
  window.rplErrors = errors;
  window.addEventListener("error", (e) => errors.push(String(e.message)));
  window.addEventListener("unhandledrejection", (e) => errors.push(String(e.reason)));
  document.addEventListener("securitypolicyviolation", (e) => errors.push("CSP: " + e.violatedDirective + " " + e.blockedURI));

  const main = document.getElementById("main");
  const signOut = document.getElementById("sign-out");
  let flash = "";

  /** An element with attributes (`text` sets textContent) and children (strings become text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: "application/json", Authorization: "Bearer " + sessionStorage.getItem(KEY) };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, {
      method: opts.method || "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "omit",
    });
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : null;
    if (res.status === 401) {
      sessionStorage.removeItem(KEY);
      showSignIn("The service refused the token (expired or invalid): sign in again.");
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  function problemText(e) {
    const p = e.problem;
    if (!p) return e.message;
    let s = (p.title || "HTTP " + e.status) + (p.detail ? ": " + p.detail : "");
    if (Array.isArray(p.errors)) s += " (" + p.errors.map((x) => x.field + ": " + x.message).join("; ") + ")";
    return s;
  }

  /** Every item of a (possibly paged) list. */
  async function allPages(path) {
    let items = [];
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const body = await api(path + "?limit=500" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      if (Array.isArray(body)) return body;
      items = items.concat(body.items || []);
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  const STATUS = {
    outstanding: ["Outstanding", "○"], pending: ["Pending", "◔"], repeat_due: ["Repeat due", "↻"],
    abnormal: ["Abnormal", "!"], needs_review: ["Needs review", "?"], complete: ["Complete", "✓"],
    optional: ["Optional", "·"], not_recommended: ["Not recommended", "×"],
    not_indicated: ["Not indicated", "–"], declined: ["Declined", "×"], not_applicable: ["Not applicable", "–"],
  };
  const OPEN = ["outstanding", "pending", "repeat_due", "abnormal", "needs_review"];
  const COLOURED = OPEN.concat(["complete"]);
  const ACTIONS = [["acknowledge", "Acknowledge"], ["ordered", "Ordered"], ["declined", "Declined"], ["not_applicable", "Not applicable"]];

  /** A status in words (any status the service may add renders too). */
  function statusLabel(s) {
    return STATUS[s] ? STATUS[s][0] : String(s).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  }
  function badge(s) {
    return el("span", { class: "badge " + (COLOURED.includes(s) ? "s-" + s : "s-other"), "data-status": s },
      el("span", { "aria-hidden": "true", text: (STATUS[s] ? STATUS[s][1] : "•") + " " }), statusLabel(s));
  }

  function render(...nodes) {
    main.replaceChildren(...nodes);
    // Time to first render, for anyone measuring (the browser tests read it).
    if (!performance.getEntriesByName("rpl-rendered").length) performance.mark("rpl-rendered");
  }
  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  function showSignIn(message) {
    signOut.hidden = true;
    document.title = "Sign in · RPL workup";
    const input = el("textarea", { id: "token", name: "token", required: true, autocomplete: "off", spellcheck: "false" });
    const form = el("form", { class: "signin", onsubmit: (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(KEY, input.value.trim());
      route();
    } },
    el("h1", { text: "Sign in" }),
    message ? el("p", { class: "error", role: "alert", text: message }) : null,
    el("p", { text: "Paste an access token (JWT) issued for your clinic. It is kept in this browser tab only and forgotten when the tab closes." }),
    el("label", { for: "token", text: "Access token" }), input,
    el("p", {}, el("button", { type: "submit", text: "Sign in" })));
    render(form);
    input.focus();
  }

  async function route() {
    if (!sessionStorage.getItem(KEY)) return showSignIn();
    signOut.hidden = false;
    const m = /^\/app\/patients\/([0-9a-fA-F-]{36})\/?$/.exec(location.pathname);
    try {
      if (m) await patientPage(m[1]);
      else await worklistPage();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      render(el("p", { class: "error", role: "alert", text: problemText(e) }));
    }
  }

  // ---------------------------------------------------------------- worklist
  async function worklistPage() {
    document.title = "Worklist · RPL workup";
    const params = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    for (const k of ["status", "overdue", "profile", "cursor"]) if (params.get(k)) query.set(k, params.get(k));
    query.set("limit", "25");
    const [profiles, page] = await Promise.all([api("/v1/profiles"), api("/v1/worklist?" + query)]);

    const select = (name, label, options) => el("div", {},
      el("label", { for: "f-" + name, text: label }),
      el("select", { id: "f-" + name, name },
        options.map(([v, t]) => el("option", { value: v, selected: (params.get(name) || "") === v, text: t }))));
    const filters = el("form", { class: "filters", method: "get", action: "/app/", "aria-label": "Filters" },
      select("status", "Open item status", [["", "Any"]].concat(OPEN.map((s) => [s, statusLabel(s)]))),
      select("overdue", "Overdue", [["", "Any"], ["true", "Overdue only"], ["false", "Not overdue"]]),
      select("profile", "Profile", [["", "Any"]].concat((profiles.items || []).map((p) => [p.id, p.title]))),
      el("div", {}, el("button", { type: "submit", text: "Apply filters" })));

    const rows = page.items || [];
    const table = el("table", { id: "worklist" },
      el("caption", { text: rows.length ? `${rows.length} patients with open work on this page` : "No patient matches these filters" }),
      el("thead", {}, el("tr", {}, ["MRN", "Profile", "Losses counted", "Open items", "Next due"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("th", { scope: "row" }, el("a", { href: "/app/patients/" + encodeURIComponent(r.patient_id), text: r.mrn })),
        el("td", { text: r.profile }),
        el("td", { text: r.losses_counted == null ? "—" : r.losses_counted }),
        el("td", {}, OPEN.filter((s) => r.counts[s] > 0).map((s) => el("span", {}, badge(s), " " + r.counts[s] + " "))),
        el("td", {}, r.next_due_on || "—", r.overdue ? el("span", { class: "badge s-abnormal", text: " overdue" }) : null)))));

    const pager = el("nav", { class: "pager", "aria-label": "Pages" });
    if (params.get("cursor")) {
      const first = new URLSearchParams(params);
      first.delete("cursor");
      pager.appendChild(el("a", { href: "/app/?" + first, text: "First page" }));
    }
    if (page.next_cursor) {
      const next = new URLSearchParams(params);
      next.set("cursor", page.next_cursor);
      pager.appendChild(el("a", { href: "/app/?" + next, rel: "next", text: "Next page" }));
    }
    render(el("h1", { text: "Worklist" }), filters, table, pager);
  }

  // ----------------------------------------------------------------- patient
  function age(birth, on) {
    if (!birth) return "not recorded";
    const b = new Date(birth + "T00:00:00Z"), d = new Date(on + "T00:00:00Z");
    let years = d.getUTCFullYear() - b.getUTCFullYear();
    if (d.getUTCMonth() < b.getUTCMonth() || (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())) years--;
    return years + " years";
  }

  async function patientPage(id) {
    const params = new URLSearchParams(location.search);
    const asOf = params.get("as_of") || "";
    const view = params.get("view") === "side" ? "side" : "checklist";
    const when = asOf ? "?as_of=" + encodeURIComponent(asOf) : "";
    const base = "/v1/patients/" + encodeURIComponent(id);
    const [patient, pregnancies, results, checklist, side] = await Promise.all([
      api(base), allPages(base + "/pregnancies"), allPages(base + "/results"),
      api(base + "/checklist" + when),
      view === "side" ? api(base + "/checklists" + when) : Promise.resolve(null),
    ]);
    document.title = "Patient " + patient.mrn + " · RPL workup";
    const on = checklist.evaluated_on;
    const e = checklist.eligibility;
    const header = el("section", { "aria-labelledby": "patient-title" },
      el("h1", { id: "patient-title" }, "Patient ", el("span", { class: "mrn", text: patient.mrn })),
      el("dl", { class: "facts" },
        el("dt", { text: "Age" }), el("dd", { text: age(patient.birth_date, on) }),
        el("dt", { text: "Profile" }), el("dd", { text: checklist.profile.title + (patient.profile ? " (her own profile)" : " (clinic default)") }),
        el("dt", { text: "RPL definition" }), el("dd", { id: "definition" },
          el("strong", { text: e.meets_definition ? "Met" : (e.early_workup ? "Not met — early workup requested" : "Not met") }),
          ` — ${e.losses_counted} losses counted. `, e.explanation),
        el("dt", { text: asOf ? "As of" : "Evaluated on" }), el("dd", { id: "evaluated-on", text: on })));

    const controls = el("form", { class: "controls", method: "get", action: "/app/patients/" + encodeURIComponent(id), "aria-label": "As of a past day" },
      el("div", {}, el("label", { for: "as-of", text: "As of (past day)" }),
        el("input", { id: "as-of", name: "as_of", type: "date", value: asOf, max: today() })),
      el("input", { type: "hidden", name: "view", value: view }),
      el("div", {}, el("button", { type: "submit", text: "Show as of" })),
      asOf ? el("div", {}, el("a", { href: "?view=" + view, text: "Back to today" })) : null,
      el("div", {}, el("button", { type: "button", class: "secondary", onclick: () => window.print(), text: "Print" })));

    const tab = (v, label) => el("a", { href: "?view=" + v + (asOf ? "&as_of=" + encodeURIComponent(asOf) : ""), "aria-current": v === view ? "page" : null, text: label });
    const tabs = el("nav", { class: "tabs", "aria-label": "View" }, tab("checklist", "Checklist"), tab("side", "Profiles side by side"));

    const inRange = (d) => !asOf || !d || d <= asOf;
    const plot = el("section", { "aria-labelledby": "timeline-title" },
      el("h2", { id: "timeline-title", text: "Timeline" }),
      window.RplPlot.timeline(pregnancies.filter((p) => inRange(p.ended_on)), results.filter((r) => inRange(r.collected_on)), checklist, on),
      window.RplPlot.legend(),
      asOf ? el("p", { class: "note", text: "The plot shows today's record up to that day; the checklist is the record as it was then." }) : null);

    const status = el("p", { role: "status", id: "flash", class: "note", text: flash });
    flash = "";
    const body = view === "side" ? sideBySide(side) : checklistView(id, checklist, !asOf);
    render(header, controls, tabs, status, plot, body);
  }

  function checklistView(id, checklist, editable) {
    const section = el("section", { "aria-labelledby": "checklist-title", id: "checklist" },
      el("h2", { id: "checklist-title", text: "Checklist (" + checklist.profile.title + ")" }));
    if (!editable) section.appendChild(el("p", { class: "note", text: "A past day: read only." }));
    section.appendChild(el("p", { class: "note print-only", text: "Printed " + today() + ". Optional, not recommended and not indicated items are left out of the printout; citations are in the service." }));
    const e = checklist.eligibility;
    if (editable && !e.meets_definition && !e.early_workup) {
      section.appendChild(el("p", { class: "no-print" }, el("button", { type: "button", id: "early-workup", onclick: () =>
        act(api("/v1/patients/" + encodeURIComponent(id) + "/early-workup", { method: "POST", body: {} }), "Early workup requested") ,
      text: "Request early workup" })));
    }
    const known = Object.keys(STATUS);
    const statuses = known.concat([...new Set(checklist.items.map((i) => i.status))].filter((s) => !known.includes(s)));
    for (const s of statuses) {
      const items = checklist.items.filter((i) => i.status === s);
      if (!items.length) continue;
      section.appendChild(el("div", { class: "group g-" + s },
        el("h3", {}, badge(s), ` ${items.length} item${items.length > 1 ? "s" : ""}`),
        el("ul", { class: "items" }, items.map((item) => itemView(id, item, editable)))));
    }
    return section;
  }

  function itemView(id, item, editable) {
    const path = "/v1/patients/" + encodeURIComponent(id) + "/checklist/" + encodeURIComponent(item.id) + "/reviews";
    const li = el("li", { class: "item", id: "item-" + item.id, "data-status": item.status },
      el("h4", {}, el("span", { text: item.title }), badge(item.status)),
      el("p", { text: item.reason }),
      item.missing && item.missing.length ? el("p", {}, el("strong", { text: "Missing: " }), item.missing.join(", ").replace(/_/g, " ")) : null,
      item.due_on ? el("p", {}, el("strong", { text: "Due on: " }), item.due_on, item.overdue ? " (overdue)" : "") : null,
      item.recommendation ? el("p", { class: "cite" }, `${item.recommendation.source} · ${item.recommendation.strength}: `, item.recommendation.text) : null);
    if (item.reviews && item.reviews.length) {
      li.appendChild(el("ul", { class: "reviews", "aria-label": "Reviews" }, item.reviews.map((r) => el("li", {},
        `${statusLabel(r.action)} by ${r.by} on ${String(r.at).slice(0, 10)}`, r.note ? " — " + r.note : "", " ",
        editable ? el("button", { type: "button", class: "secondary", onclick: () =>
          act(api(path + "/" + encodeURIComponent(r.id), { method: "DELETE" }), "Review withdrawn: " + item.title),
        text: "Withdraw", "aria-label": "Withdraw " + statusLabel(r.action) + " of " + item.title }) : null))));
    }
    if (editable) {
      const action = el("select", { id: "action-" + item.id, name: "action" }, ACTIONS.map(([v, t]) => el("option", { value: v, text: t })));
      const note = el("input", { id: "note-" + item.id, name: "note", type: "text", maxlength: "2000" });
      li.appendChild(el("form", { class: "review-form", "aria-label": "Review " + item.title, onsubmit: (ev) => {
        ev.preventDefault();
        const body = { action: action.value };
        if (note.value.trim()) body.note = note.value.trim();
        act(api(path, { method: "POST", body }), "Recorded " + statusLabel(action.value).toLowerCase() + ": " + item.title);
      } },
      el("div", {}, el("label", { for: "action-" + item.id, text: "Review" }), action),
      el("div", {}, el("label", { for: "note-" + item.id, text: "Note (optional)" }), note),
      el("button", { type: "submit", text: "Record" })));
    }
    return li;
  }

  async function act(request, done) {
    try {
      await request;
      flash = done;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      flash = "Not recorded: " + problemText(e);
    }
    await route();
    const f = document.getElementById("flash");
    if (f) f.focus();
  }

  function sideBySide(side) {
    const lists = side.checklists;
    const disagree = new Set(side.disagreements.map((d) => d.item));
    const ids = [];
    const titles = {};
    for (const c of lists) for (const i of c.items) if (!ids.includes(i.id)) { ids.push(i.id); titles[i.id] = i.title; }
    const table = el("table", { class: "side", id: "side-by-side" },
      el("caption", { text: `${lists.length} profiles; ${side.disagreements.length} items on which they disagree are marked “differs”` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Item" }), lists.map((c) => el("th", { scope: "col", text: c.profile.title })))),
      el("tbody", {}, ids.map((id) => el("tr", { class: disagree.has(id) ? "disagree" : null, "data-item": id },
        el("th", { scope: "row" }, titles[id], disagree.has(id) ? el("strong", { text: " ≠ differs" }) : null),
        lists.map((c) => {
          const item = c.items.find((i) => i.id === id);
          return el("td", { class: disagree.has(id) ? "disagree" : null }, item ? badge(item.status) : "not in this profile");
        })))));
    const details = el("section", { "aria-labelledby": "disagreements-title" },
      el("h3", { id: "disagreements-title", text: "Where the profiles disagree" }),
      side.disagreements.length ? el("ul", { class: "items" }, side.disagreements.map((d) => el("li", { class: "item" },
        el("h4", { text: d.title }),
        el("ul", {}, d.profiles.map((p) => el("li", {}, el("strong", { text: p.profile + ": " }),
          p.status ? badge(p.status) : "not in this profile", p.reason ? " — " + p.reason : "")))))) :
        el("p", { text: "The profiles agree on every item." }));
    return el("section", { "aria-labelledby": "side-title", id: "side" },
      el("h2", { id: "side-title", text: "Profiles side by side" }), table, details);
  }

  signOut.addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    showSignIn("Signed out.");
  });
  route();
})();
