// The fakeserver status page: renders /_fakeserver/api/status and polls the request log.
// Everything shown is set with textContent (never innerHTML): user names, table values and
// request paths are data, and may hold markup.
"use strict";

(() => {
  const API = location.origin + "/_fakeserver/api/";
  const REQUESTS_EVERY_MS = 1000;
  const STATUS_EVERY_MS = 3000;
  const MAX_ROWS = 500;
  const MARKS = { true: "✓", false: "✗", null: "?" };

  const byId = (id) => document.getElementById(id);
  const view = {
    latest: 0,
    filter: "",
    client: null, // {server_version, python_api_version}: null = the server's defaults
  };

  // One element, its attributes and its children (strings become text nodes).
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function facts(list, pairs) {
    list.replaceChildren(
      ...pairs.flatMap(([term, value, key]) => [
        el("dt", {}, term),
        el("dd", { "data-fact": key || term }, value),
      ]),
    );
  }

  function yesNo(value) {
    return value ? "yes" : "no";
  }

  function show(message, failed) {
    const box = byId("message");
    box.textContent = message;
    box.dataset.kind = failed ? "error" : "info";
    box.hidden = !message;
  }

  function connection(state, text) {
    const pill = byId("connection");
    pill.dataset.state = state;
    pill.textContent = text;
  }

  async function answer(response) {
    if (response.ok) return response.json();
    let detail = response.statusText;
    try {
      detail = (await response.json()).error || detail;
    } catch (ignored) {
      // not the error shape: keep the status text
    }
    throw new Error(`${response.status} ${detail}`);
  }

  async function getJSON(path) {
    return answer(await fetch(API + path, { cache: "no-store", headers: { Accept: "application/json" } }));
  }

  async function post(path, body) {
    const init = { method: "POST", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return answer(await fetch(API + path, init));
  }

  // -- the status -----------------------------------------------------------------------------

  function renderTarget(target) {
    byId("target-url").textContent = target.url || "";
    const host = target.host;
    const tls = target.tls;
    facts(byId("target-facts"), [
      ["server version", target.server_version, "server_version"],
      ["Python API version", target.python_api_version, "python_api_version"],
      ["exposed", target.exposed ? "yes (atoti API listed)" : "no (no atoti API, no descriptor)", "exposed"],
      ["host", `${host.kind}: ${host.name} (${host.this_machine ? "this machine" : "another machine"})`, "host"],
      ["host id", host.id, "host_id"],
      ["TLS", tls.enabled ? `on, client certificates ${tls.client_certificates}` : "off", "tls"],
      ["CA", tls.ca_path || "—", "ca_path"],
      ["pivot", target.paths.pivot, "pivot_path"],
      ["atoti", target.paths.atoti || "— (not exposed)", "atoti_path"],
    ]);
  }

  function renderSecurity(security) {
    const pairs = [
      ["secured", yesNo(security.enabled), "secured"],
      ["tokens", security.enabled ? `${security.tokens} (${security.token_type})` : "—", "tokens"],
      ["client certificates", security.client_certificates || "— (plain HTTP)", "client_certificates"],
    ];
    const oidc = security.oidc;
    if (oidc) {
      pairs.push(
        ["OAuth 2 issuer", `${oidc.issuer || oidc.path} (password grant, ${oidc.algorithm} JWTs)`, "oidc_issuer"],
        ["OAuth 2 clients", oidc.clients.join(", "), "oidc_clients"],
        ["audience / roles claim", `${oidc.audience} / ${oidc.roles_claim}`, "oidc_audience"],
      );
    }
    facts(byId("security-facts"), pairs);
    const rows = security.users.map((user) =>
      el("tr", { "data-user": user.name },
        el("td", {}, user.name),
        el("td", {}, user.roles.join(", ")),
        el("td", {}, user.tokens)));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 3, class: "muted" }, security.enabled ? "no users: nobody can log in" : "unsecured: everyone is anonymous")));
    const hidden = security.counts.users - security.users.length;
    if (hidden > 0) rows.push(el("tr", {}, el("td", { colspan: 3, class: "muted" }, `… and ${hidden} more users`)));
    byId("users").tBodies[0].replaceChildren(...rows);
  }

  function renderTiers(status) {
    const rules = status.rules;
    const head = [el("th", {}, "who"), el("th", {}, "roles")];
    for (const key of rules.keys) {
      head.push(el("th", { title: key, class: "condition" }, rules.letters[key]));
    }
    head.push(el("th", {}, "tier"), el("th", {}, "capabilities"));
    byId("tier-map-head").replaceChildren(...head);
    const rows = status.tiers.map((row) => {
      const who = row.who === null ? el("em", {}, "anonymous") : row.who;
      const cells = [el("td", { class: "who" }, who), el("td", {}, row.roles.join(", "))];
      for (const key of rules.keys) {
        const value = row.conditions === null ? null : row.conditions[key];
        cells.push(el("td", {
          class: "condition", "data-key": key, "data-value": String(value), title: `${key}: ${value}`,
        }, row.conditions === null ? "–" : MARKS[value]));
      }
      if (row.tier === null) {
        cells.push(el("td", { class: "tier", "data-tier": "", "data-error": row.error },
          el("span", { class: "badge failure" }, "connect fails (401)")));
      } else {
        cells.push(el("td", { class: "tier", "data-tier": row.tier },
          el("span", { class: `badge tier-${row.tier}` }, row.tier)));
      }
      const granted = new Set(row.capabilities);
      cells.push(el("td", { class: "capabilities", "data-capabilities": row.capabilities.join(" ") },
        ...rules.capabilities.map((name) =>
          el("span", { class: granted.has(name) ? "chip on" : "chip off" }, name))));
      return el("tr", { "data-who": row.who === null ? "" : row.who }, ...cells);
    });
    const hidden = status.security.counts.users - status.security.users.length;
    if (hidden > 0) {
      const columns = rules.keys.length + 4;
      rows.splice(rows.length - 1, 0, el("tr", {}, el("td", { colspan: columns, class: "muted" }, `… and ${hidden} more users`)));
    }
    byId("tier-map").tBodies[0].replaceChildren(...rows);
    const legend = rules.keys.map((key) => `${rules.letters[key]} ${key}`).join(" · ");
    byId("tier-legend").textContent =
      `Conditions (SPEC §2): ${legend}. ✓ met, ✗ not met, ? unknown: a target not exposed ` +
      `has no session descriptor. Tiers, best first: ${rules.tiers.join(" › ")}.`;
    const server = byId("client-server-version");
    const python = byId("client-python-api-version");
    if (document.activeElement !== server) server.value = status.client.server_version;
    if (document.activeElement !== python) python.value = status.client.python_api_version;
  }

  function renderFaults(faults) {
    const list = byId("fault-list");
    if (!faults.length) {
      list.replaceChildren(el("li", { class: "muted" }, "none configured (--fault KIND[:PATH][:KEY=VALUE,...])"));
      return;
    }
    list.replaceChildren(...faults.map((fault) => {
      const box = el("input", { type: "checkbox", "data-fault": fault.index, checked: fault.enabled });
      box.addEventListener("change", () => toggleFault(fault.index, box));
      return el("li", { "data-fault": fault.index },
        el("label", {}, box, " ", fault.description),
        el("span", { class: "muted" }, ` fired ${fault.fired}×`));
    }));
  }

  function renderData(data) {
    const tables = data.tables.map((table) => {
      const head = el("tr", {}, ...table.columns.map((column) =>
        el("th", { title: column.type },
          column.name, el("span", { class: "type" }, ` ${column.type}`),
          table.keys.includes(column.name) ? el("span", { class: "key" }, "key") : null)));
      const body = table.head.map((row) =>
        el("tr", {}, ...row.map((value) =>
          el("td", {}, value === null ? "null" : typeof value === "object" ? JSON.stringify(value) : value))));
      const more = table.rows > table.head.length ? `first ${table.head.length} of ` : "";
      const details = el("details", { open: true, "data-table": table.name, "data-rows": table.rows },
        el("summary", {}, el("strong", {}, table.name), ` — ${more}${table.rows} rows`,
          table.keys.length ? `, keys ${table.keys.join(", ")}` : ", no keys"),
        el("div", { class: "scroll" }, el("table", { class: "rows" }, el("thead", {}, head), el("tbody", {}, ...body))));
      return details;
    });
    if (!tables.length) tables.push(el("p", { class: "muted" }, "no tables"));
    if (data.counts.tables > data.tables.length) {
      tables.push(el("p", { class: "muted" }, `… and ${data.counts.tables - data.tables.length} more tables`));
    }
    byId("tables").replaceChildren(...tables);
    const cubes = data.cubes.map((cube) =>
      el("li", { "data-cube": cube.name },
        el("strong", {}, cube.name), ` on ${cube.table}: levels `,
        cube.levels.join(", ") || "—", "; measures ", cube.measures.join(", ") || "—"));
    if (!cubes.length) cubes.push(el("li", { class: "muted" }, "no cubes"));
    if (data.counts.cubes > data.cubes.length) {
      cubes.push(el("li", { class: "muted" }, `… and ${data.counts.cubes - data.cubes.length} more cubes`));
    }
    byId("cubes").replaceChildren(...cubes);
  }

  async function refreshStatus() {
    let path = "status";
    if (view.client) path += "?" + new URLSearchParams(view.client).toString();
    const status = await getJSON(path);
    renderTarget(status.target);
    renderSecurity(status.security);
    renderTiers(status);
    renderFaults(status.faults);
    renderData(status.data);
    document.body.dataset.loaded = "true";
  }

  // -- the request log --------------------------------------------------------------------------

  function requestRow(entry) {
    const time = new Date(entry.time * 1000).toLocaleTimeString([], { hour12: false });
    return el("tr", { "data-id": entry.id, "data-status": entry.status, class: `status-${Math.floor(entry.status / 100)}xx` },
      el("td", { class: "muted" }, entry.id),
      el("td", {}, time),
      el("td", {}, entry.method),
      el("td", { class: "path" }, entry.path),
      el("td", {}, entry.user === null ? "—" : entry.user),
      el("td", { class: "status" }, entry.status),
      el("td", { class: "number" }, entry.ms === null ? "" : entry.ms.toFixed(1)));
  }

  async function refreshRequests() {
    const query = new URLSearchParams({ after: view.latest, limit: MAX_ROWS });
    if (view.filter) query.set("status", view.filter);
    const filter = view.filter;
    const log = await getJSON("requests?" + query.toString());
    if (filter !== view.filter) return; // the filter changed while this was on its way
    // Two polls may cross (an action polls at once): never list an entry twice.
    const fresh = log.requests.filter((entry) => entry.id > view.latest);
    const body = byId("request-log").tBodies[0];
    body.prepend(...fresh.map(requestRow));
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
    view.latest = Math.max(view.latest, log.latest);
    byId("request-count").textContent = `${body.rows.length} shown; the server keeps the last ${log.kept}`;
  }

  // -- actions ----------------------------------------------------------------------------------

  async function act(label, path, body) {
    try {
      await post(path, body);
      show(`${label}: done`, false);
    } catch (error) {
      show(`${label} failed: ${error.message}`, true);
    }
    await tick(true);
  }

  function toggleFault(index, box) {
    act(`fault ${index} ${box.checked ? "on" : "off"}`, `faults/${index}`, { enabled: box.checked });
  }

  byId("reset").addEventListener("click", () => act("reset to baseline", "reset"));
  byId("restart").addEventListener("click", () => act("restart", "restart"));
  byId("status-filter").addEventListener("change", (event) => {
    view.filter = event.target.value;
    view.latest = 0;
    byId("request-log").tBodies[0].replaceChildren();
    tick(false);
  });
  byId("apply-versions").addEventListener("click", async () => {
    const previous = view.client;
    view.client = {
      server_version: byId("client-server-version").value.trim(),
      python_api_version: byId("client-python-api-version").value.trim(),
    };
    try {
      await refreshStatus();
      show("", false);
    } catch (error) {
      view.client = previous;
      show(`client versions refused: ${error.message}`, true);
    }
  });

  // -- polling ----------------------------------------------------------------------------------

  let lastStatus = 0;

  async function tick(statusNow) {
    try {
      if (statusNow || Date.now() - lastStatus >= STATUS_EVERY_MS) {
        lastStatus = Date.now();
        await refreshStatus();
      }
      await refreshRequests();
      connection("live", "live");
    } catch (error) {
      connection("down", `unreachable: ${error.message}`);
    }
  }

  async function loop() {
    await tick(false);
    setTimeout(loop, REQUESTS_EVERY_MS);
  }

  loop();
})();
