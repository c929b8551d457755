// dqe-mock dashboard (GET /__admin/ui): polls the admin API and draws what it answers.
// Every value from the server goes into the page through textContent or setAttribute, never
// innerHTML. Bounded: one refresh at a time, MAX_ROWS requests, MAX_SESSIONS sessions.
// Authentication rides on the page's cookie (same origin): see http/dashboard_auth.py.
(() => {
  "use strict";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const ADMIN = document.body.dataset.admin || "/__admin";
  const NAMESPACE = document.body.dataset.namespace || "";
  const POLL_MS = Math.max(200, Number(document.body.dataset.pollMs) || 1000);
  const MAX_ROWS = 200;
  const MAX_SESSIONS = 20;
  const MAX_PAGES = 5;
  const MAX_TOKENS = 2000;
  const ENDPOINT_ORDER = ["ACCESS_TOKEN", "IDMOBILE", "GET", "consent"];
  const OUTCOME_ORDER = ["success", "consent", "pending", "error"];

  const state = { cursor: 0, tokenIssued: new Map(), sessionKeys: new Map(), stopped: false };

  function adminUrl(path, params) {
    const url = new URL(ADMIN + path, window.location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      url.searchParams.set(key, String(value));
    }
    if (NAMESPACE) url.searchParams.set("namespace", NAMESPACE);
    return url;
  }

  async function getJson(url) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) {
      const error = new Error(`${url.pathname} answered HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      node.setAttribute(key, String(value));
    }
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // The mock's clock counts seconds on a monotonic scale (not a Unix time).
  function clock(at) {
    const seconds = Number(at);
    return Number.isFinite(seconds) ? seconds.toFixed(3) : String(at);
  }

  function short(text, size) {
    const value = text === null || text === undefined ? "" : String(text);
    return value.length > size ? `${value.slice(0, size)}…` : value;
  }

  // ---- requests (GET /__admin/journal, cursor = the last id shown) ----

  function rememberToken(entry) {
    const token = entry.response && entry.response.access_token;
    if (entry.endpoint !== "ACCESS_TOKEN" || typeof token !== "string") return;
    state.tokenIssued.set(token, entry.at);
    if (state.tokenIssued.size > MAX_TOKENS) {
      state.tokenIssued.delete(state.tokenIssued.keys().next().value);
    }
  }

  function requestRow(entry) {
    const row = el("tr", { class: `request ${entry.verdict || ""} fresh`, "data-id": entry.id });
    const errorOrFault = entry.fault ? `fault ${entry.fault}` : entry.error_id || "";
    const cells = [
      [entry.id, "num"],
      [clock(entry.at), "mono"],
      [entry.method, ""],
      [entry.path, "path mono"],
      [entry.status, "num status"],
      [entry.verdict, "verdict"],
      [short(entry.token, 14), "mono"],
      [entry.scenario_id || "", "scenario"],
      [errorOrFault, "error"],
      [
        Object.entries(entry.params || {})
          .map(([key, value]) => `${key}=${short(value, 60)}`)
          .join(" "),
        "params mono",
      ],
      [(entry.reasons || [])[0] || "", "reason"],
    ];
    for (const [value, cls] of cells) row.append(el("td", { class: cls || null }, value));
    return row;
  }

  async function journalPages() {
    let url =
      state.cursor === 0
        ? adminUrl("/journal", { limit: MAX_ROWS })
        : adminUrl("/journal", { cursor: state.cursor });
    const entries = [];
    for (let page = 0; page < MAX_PAGES && url; page += 1) {
      const data = await getJson(url);
      entries.push(...(data.entries || []));
      url = data.next ? new URL(data.next, window.location.origin) : null;
    }
    return entries;
  }

  async function refreshRequests() {
    const body = document.querySelector("#requests tbody");
    let entries = await journalPages();
    if (entries.length === 0 && state.cursor > 0) {
      // Nothing new: was the journal cleared or the mock reset (ids start again at 1)?
      const latest = (await getJson(adminUrl("/journal", { limit: 1 }))).entries || [];
      if (latest.length === 0 || latest[latest.length - 1].id < state.cursor) {
        body.replaceChildren();
        state.cursor = 0;
        entries = latest.length ? await journalPages() : [];
      }
    }
    for (const entry of entries) {
      rememberToken(entry);
      body.prepend(requestRow(entry));
      state.cursor = Math.max(state.cursor, Number(entry.id) || 0);
    }
    while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  }

  // ---- sessions (GET /__admin/sessions, oldest first: keep the last MAX_SESSIONS) ----

  function timelineEvents(session) {
    const events = (session.timeline || []).map((event) => ({
      at: Number(event.at),
      kind: String(event.kind),
      detail: event.detail === null || event.detail === undefined ? "" : String(event.detail),
    }));
    const issued = state.tokenIssued.get(session.token);
    if (issued !== undefined) events.unshift({ at: Number(issued), kind: "token", detail: "" });
    // Stable: events of the same instant keep the order the server gave.
    return events
      .map((event, index) => ({ event, index }))
      .sort((a, b) => a.event.at - b.event.at || a.index - b.index)
      .map((item) => item.event);
  }

  // Events closer than STACK_PX on the axis (the same instant, a tight polling loop) are
  // stacked below one another, so that none hides another.
  const STACK_PX = 9;
  const MAX_STACK = 6;

  function drawTimeline(events) {
    const width = 720;
    const height = 104;
    const left = 30;
    const right = width - 30;
    const axisY = 30;
    const chart = svg("svg", {
      class: "timeline",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": "session timeline",
    });
    chart.append(svg("line", { class: "axis", x1: left, y1: axisY, x2: right, y2: axisY }));
    if (events.length === 0) return chart;
    const start = events[0].at;
    const span = Math.max(events[events.length - 1].at - start, 0.001);
    const x = (at) => left + ((at - start) / span) * (right - left);
    chart.append(svg("text", { x: left, y: height - 4 }, "0 s"));
    chart.append(
      svg("text", { x: right, y: height - 4, "text-anchor": "end" }, `+${span.toFixed(2)} s`),
    );
    let anchorX = -Infinity;
    let level = 0;
    let lastLabelX = -Infinity;
    events.forEach((event, index) => {
      const cx = x(event.at);
      if (cx - anchorX < STACK_PX) {
        level += 1;
      } else {
        anchorX = cx;
        level = 0;
      }
      const cy = axisY + Math.min(level, MAX_STACK) * STACK_PX;
      const failed = event.kind === "done" && event.detail !== "success";
      const group = svg("g", {
        class: `ev ev-${event.kind.replace(/[^a-z_-]/gi, "")}${failed ? " error" : ""}`,
        "data-kind": event.kind,
        "data-at": event.at,
        "data-detail": event.detail,
        "data-index": index,
      });
      const offset = (event.at - start).toFixed(3);
      group.append(svg("title", {}, `${event.kind} ${event.detail} at +${offset} s`));
      const radius = event.kind === "poll" ? 3.5 : 5;
      group.append(svg("circle", { cx: cx.toFixed(1), cy, r: radius }));
      const label = event.kind === "done" ? event.detail || "done" : event.kind;
      if (event.kind !== "poll" && level === 0 && cx - lastLabelX > 36) {
        group.append(
          svg("text", { x: cx.toFixed(1), y: axisY - 11, "text-anchor": "middle" }, label),
        );
        lastLabelX = cx;
      } else if (event.kind !== "poll" && level > 0 && level <= MAX_STACK) {
        group.append(svg("text", { x: (cx + 9).toFixed(1), y: cy + 3 }, label));
      }
      chart.append(group);
    });
    return chart;
  }

  function sessionCard(session) {
    const card = el("article", { class: "session", "data-token": session.token });
    const head = el("div", { class: "session-head" });
    head.append(el("span", { class: "token mono" }, session.token));
    head.append(el("span", { class: "scope" }, session.scope));
    head.append(el("span", { class: "operator" }, session.operator));
    head.append(el("span", { class: "muted scenario" }, session.scenario));
    head.append(el("span", { class: "phase" }, session.phase));
    if (session.decision) head.append(el("span", { class: "decision" }, session.decision));
    // GET /__admin/sessions/{token}/scenario writes the session as a scenario file.
    const exportUrl = adminUrl(`/sessions/${encodeURIComponent(session.token)}/scenario`);
    head.append(
      el(
        "a",
        { class: "export", href: exportUrl.pathname + exportUrl.search, download: "" },
        "export as scenario",
      ),
    );
    card.append(head, drawTimeline(timelineEvents(session)));
    return card;
  }

  async function refreshSessions() {
    let url = adminUrl("/sessions", { limit: 1000 });
    let sessions = [];
    for (let page = 0; page < MAX_PAGES && url; page += 1) {
      const data = await getJson(url);
      sessions = sessions.concat(data.sessions || []).slice(-MAX_SESSIONS);
      url = data.next ? new URL(data.next, window.location.origin) : null;
    }
    sessions.reverse();
    const box = document.getElementById("sessions");
    const cards = [];
    const keys = new Map();
    for (const session of sessions) {
      const key = JSON.stringify([session, state.tokenIssued.get(session.token)]);
      keys.set(session.token, key);
      const old = box.querySelector(`article[data-token="${CSS.escape(session.token)}"]`);
      cards.push(old && state.sessionKeys.get(session.token) === key ? old : sessionCard(session));
    }
    state.sessionKeys = keys;
    if (cards.length === 0) cards.push(el("p", { class: "empty" }, "No session yet."));
    box.replaceChildren(...cards);
  }

  // ---- coverage heat map and findings (GET /__admin/report) ----

  function rank(order, value) {
    const found = order.indexOf(value);
    return found === -1 ? order.length : found;
  }

  function byOrder(order) {
    return (a, b) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0);
  }

  // The report's coverage (endpoint -> scope -> outcome -> count) as rows and columns.
  function heatMap(report) {
    const coverage = report.coverage || {};
    const rows = [];
    const outcomes = new Set();
    for (const endpoint of Object.keys(coverage).sort(byOrder(ENDPOINT_ORDER))) {
      for (const scope of Object.keys(coverage[endpoint] || {}).sort()) {
        const counts = coverage[endpoint][scope] || {};
        Object.keys(counts).forEach((outcome) => outcomes.add(outcome));
        rows.push({ endpoint, scope, counts });
      }
    }
    return { rows, outcomes: [...outcomes].sort(byOrder(OUTCOME_ORDER)) };
  }

  function drawCoverage(report) {
    const table = document.getElementById("coverage");
    const { rows, outcomes } = heatMap(report);
    const max = Math.max(1, ...rows.flatMap((row) => Object.values(row.counts).map(Number)));
    const head = el("tr");
    head.append(el("th", {}, "endpoint"), el("th", {}, "scope"));
    outcomes.forEach((outcome) => head.append(el("th", { class: "outcome" }, outcome)));
    const body = el("tbody");
    for (const row of rows) {
      const line = el("tr", { "data-endpoint": row.endpoint, "data-scope": row.scope });
      line.append(el("th", { class: "row" }, row.endpoint), el("th", { class: "row" }, row.scope));
      for (const outcome of outcomes) {
        const count = Number(row.counts[outcome] || 0);
        const cell = el(
          "td",
          {
            class: count ? "cell" : "cell zero",
            "data-endpoint": row.endpoint,
            "data-scope": row.scope,
            "data-outcome": outcome,
            title: `${row.endpoint} ${row.scope} ${outcome}: ${count}`,
          },
          count,
        );
        if (count) {
          const alpha = 0.15 + (0.85 * count) / max;
          cell.style.backgroundColor = `rgba(0, 82, 156, ${alpha.toFixed(3)})`;
          cell.style.color = alpha > 0.55 ? "#fff" : "#1d1d1f";
        }
        line.append(cell);
      }
      body.append(line);
    }
    const thead = el("thead");
    thead.append(head);
    table.replaceChildren(thead, body);

    const missing = document.getElementById("missing");
    const gaps = report.missing || {};
    const chips = [];
    for (const scope of gaps.scopes || []) chips.push(el("span", { class: "chip missing-scope" }, `scope ${scope}`));
    for (const id of gaps.error_ids || []) chips.push(el("span", { class: "chip missing-error" }, `error ${id}`));
    const parts = [];
    if (chips.length) parts.push(el("p", { class: "muted" }, "Never exercised:"), ...chips);
    missing.replaceChildren(...parts);
  }

  function drawFindings(report) {
    const list = document.getElementById("findings");
    const items = (report.findings || []).map((finding) => {
      const item = el("li", { class: "finding", "data-rule": finding.rule });
      item.append(el("span", { class: "rule" }, finding.rule));
      if (finding.session) item.append(el("span", { class: "mono" }, `${finding.session} `));
      const seqs = (finding.requests || []).map((seq) => `#${seq}`).join(", ");
      if (seqs) item.append(el("span", { class: "muted" }, `(${seqs}) `));
      item.append(el("span", { class: "message" }, finding.message));
      return item;
    });
    if (items.length === 0) items.push(el("li", { class: "empty" }, "No finding."));
    list.replaceChildren(...items);
  }

  async function refreshReport() {
    const status = document.getElementById("report-status");
    let report;
    try {
      report = await getJson(adminUrl("/report"));
    } catch (error) {
      if (error.status === 404) {
        status.textContent = "This server has no coverage report (GET /__admin/report answered 404).";
        return;
      }
      throw error;
    }
    const totals = report.totals || {};
    status.textContent =
      `${totals.requests ?? "?"} requests, ${totals.sessions ?? "?"} sessions, ` +
      `${totals.findings ?? "?"} findings since ${report.since ?? "the start"}`;
    drawCoverage(report);
    drawFindings(report);
  }

  // ---- the loop: one refresh at a time, then wait POLL_MS ----

  async function refresh() {
    const live = document.getElementById("live");
    try {
      await refreshRequests();
      await refreshSessions();
      await refreshReport();
      live.textContent = `live · ${new Date().toLocaleTimeString()}`;
      live.className = "live ok";
    } catch (error) {
      live.textContent = String(error.message || error);
      live.className = "live error";
      if (error.status === 401) state.stopped = true;
    }
  }

  async function loop() {
    if (!document.hidden) await refresh();
    if (!state.stopped) window.setTimeout(loop, POLL_MS);
  }

  window.dqeDashboard = { heatMap, timelineEvents };
  loop();
})();
