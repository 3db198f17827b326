"use strict";
// The calculator: read the form, post it to /api/score and /api/plan, show the answers.
(() => {
  const $ = (id) => document.getElementById(id);
  const schema = JSON.parse($("schema").textContent);
  const inputs = schema.inputs;
  const byName = Object.fromEntries(inputs.map((i) => [i.name, i]));
  const itemLabel = Object.fromEntries(schema.items.map((i) => [i.id, i.label]));
  const standard = schema.policy.standard;
  // Fractional points (`points 0.01 round …`) are shown with the policy's places.
  const places = schema.policy.places || 0;
  const pts = (x) => (places ? Number(x).toFixed(places) : String(x));
  const units = { yuan: "元", months: "个月", years: "年" };
  const form = $("facts");

  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const label = (name) => (byName[name] && byName[name].label) || name;

  // A value as people read it: variant labels, 是/否, units.
  function show(name, v) {
    const def = byName[name];
    if (v === null || v === undefined || v === "absent") return "无";
    if (!def) return String(v);
    if (def.kind === "bool") return v === true || v === "true" ? "是" : "否";
    if (def.kind === "enum") {
      const found = (def.variants || []).find((x) => x.name === v);
      return found ? found.label || found.name : String(v);
    }
    const n = String(v).replace(/ (yuan|months|years)$/, "");
    return def.unit ? n + " " + units[def.unit] : n;
  }

  // Rows of a list of records: each added from the list's template, its ids numbered.
  const ROW = "__row__";
  let rowCount = 0;
  const rowsOf = (def) => Array.from($("rows-" + def.name).children);

  function renumber(def) {
    const rows = rowsOf(def);
    rows.forEach((li, k) => {
      li.querySelector(".n").textContent = String(k + 1);
      li.querySelector("[data-remove-row]").setAttribute("aria-label", "删除第 " + (k + 1) + " 行 · remove row " + (k + 1));
    });
    const add = form.querySelector('[data-add-row="' + def.name + '"]');
    add.disabled = rows.length >= def.max_rows;
  }

  // A row, filled from `values` (an object of the record's fields) when given.
  function addRow(def, values) {
    if (rowsOf(def).length >= def.max_rows) return null;
    const n = String(++rowCount);
    const li = $("row-" + def.name).content.firstElementChild.cloneNode(true);
    for (const e of li.querySelectorAll("[id], [for], [data-absent-for]")) {
      for (const attr of ["id", "for", "data-absent-for"]) {
        const v = e.getAttribute(attr);
        if (v) e.setAttribute(attr, v.replace(ROW, n));
      }
    }
    li.dataset.row = n;
    $("rows-" + def.name).append(li);
    for (const f of def.fields) {
      const v = values ? values[f.name] : undefined;
      const field = $("f-" + def.name + "-" + n + "-" + f.name);
      const absent = $("absent-" + def.name + "-" + n + "-" + f.name);
      if (v === undefined) continue;
      if (f.kind === "bool") field.checked = v === true || v === "true";
      else if (absent && v === null) absent.checked = true;
      else {
        field.value = String(v).replace(/ (yuan|months|years)$/, "");
        if (absent) absent.checked = false;
      }
    }
    renumber(def);
    return li;
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    const remove = event.target.closest("[data-remove-row]");
    if (add) {
      const def = byName[add.dataset.addRow];
      const li = addRow(def);
      if (li) li.querySelector("input, select").focus();
    } else if (remove) {
      const li = remove.closest("li.row");
      const def = byName[li.closest("fieldset.list").dataset.name];
      li.remove();
      renumber(def);
      form.querySelector('[data-add-row="' + def.name + '"]').focus();
    } else return;
    schedule();
  });

  // The rows as the JSON applicant reader takes them: an array of objects, a key a field
  // given (an empty field is left out: its default, or absent, or "required" below).
  function rows(def, missing) {
    return rowsOf(def).map((li, k) => {
      const row = {};
      for (const f of def.fields) {
        const key = def.name + "-" + li.dataset.row + "-" + f.name;
        const field = $("f-" + key);
        const absent = $("absent-" + key);
        if (f.kind === "bool") {
          row[f.name] = field.checked;
          continue;
        }
        if (absent && absent.checked) continue;
        const raw = field.value.trim();
        if (raw === "") {
          if (field.validity && field.validity.badInput) row[f.name] = "?";
          else if (f.required) {
            missing.push({ name: def.name + "-" + li.dataset.row, label: label(def.name) + " 第 " + (k + 1) + " 行 " + (f.label || f.name) });
          }
          continue;
        }
        row[f.name] = f.kind === "enum" || f.kind === "date" || !Number.isFinite(Number(raw)) ? raw : Number(raw);
      }
      return row;
    });
  }

  // Where the server's error about `periods[1].base` is shown: beside that row.
  function errorFor(key) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]/.exec(key);
    const def = m && byName[m[1]];
    if (def && def.kind === "list") {
      const li = rowsOf(def)[Number(m[2])];
      if (li) return $("err-" + def.name + "-" + li.dataset.row);
      return $("err-" + def.name);
    }
    return $("err-" + key);
  }

  function syncAbsent() {
    for (const box of form.querySelectorAll("[data-absent-for]")) {
      $("f-" + box.dataset.absentFor).disabled = box.checked;
    }
  }

  // Initial values from the query string: /?age=30&education=bachelor_with_degree
  for (const [name, v] of new URLSearchParams(location.search)) {
    const def = byName[name];
    const field = $("f-" + name);
    if (!def || !field) continue;
    if (def.kind === "list") {
      let given = [];
      try {
        given = JSON.parse(v);
      } catch (_) {}
      if (Array.isArray(given)) given.forEach((r) => addRow(def, r && typeof r === "object" ? r : {}));
      continue;
    }
    const absent = $("absent-" + name);
    if (def.kind === "bool") field.checked = /^(1|true|yes|on)$/i.test(v);
    else if (absent && (v === "" || v === "absent")) absent.checked = true;
    else {
      field.value = v;
      if (absent) absent.checked = false;
    }
  }
  syncAbsent();

  // The facts as JSON, and the required ones still empty.
  function facts() {
    const out = {};
    const missing = [];
    const query = new URLSearchParams();
    for (const def of inputs) {
      const field = $("f-" + def.name);
      const absent = $("absent-" + def.name);
      if (def.kind === "list") {
        out[def.name] = rows(def, missing);
        if (out[def.name].length) query.set(def.name, JSON.stringify(out[def.name]));
        continue;
      }
      if (def.kind === "bool") {
        out[def.name] = field.checked;
        if (field.checked !== def.default) query.set(def.name, field.checked);
        continue;
      }
      if (absent && absent.checked) continue;
      const raw = field.value.trim();
      if (raw === "") {
        if (field.validity && field.validity.badInput) out[def.name] = "?";
        else if (def.required) missing.push(def);
        continue;
      }
      out[def.name] = def.kind === "enum" || def.kind === "date" || !Number.isFinite(Number(raw)) ? raw : Number(raw);
      if (String(def.default) !== raw) query.set(def.name, raw);
    }
    return { out, missing, query };
  }

  function clearErrors() {
    for (const e of form.querySelectorAll(".err")) e.textContent = "";
    for (const e of form.querySelectorAll(".invalid")) e.classList.remove("invalid");
    $("message").textContent = "";
  }

  // No answer for these facts: nothing stale stays on screen.
  function clearResults() {
    $("total").textContent = "–";
    $("items").tBodies[0].replaceChildren();
    $("plan").replaceChildren(el("p", "—", "muted"));
  }

  function setSummary(state, verdict, meets) {
    $("summary").className = state;
    $("verdict").textContent = verdict;
    $("verdict").dataset.meets = meets;
  }

  function why(item) {
    if (item.reason) return item.reason;
    if (item.points !== 0 || !item.trace) return "";
    const facts = Object.entries(item.trace.facts || {}).map(([k, v]) => label(k) + " = " + show(k, v));
    return "未得分 · no points: " + facts.join("；");
  }

  function renderScore(s) {
    $("total").textContent = pts(s.total);
    $("standard").textContent = s.standard === null ? "—" : pts(s.standard);
    if (s.standard === null) {
      // No standard: the verdict is eligible and not vetoed.
      const ok = s.eligible && !s.vetoed;
      const reasons = s.ineligible_reasons.concat(s.vetoes).join("；");
      setSummary(ok ? "meets" : "short", ok ? "符合条件 ✓ eligible" : "不符合条件 ✗ not eligible: " + reasons, String(ok));
    } else if (s.meets_standard) {
      setSummary("meets", "达标 ✓ meets the standard (" + pts(s.total) + " ≥ " + pts(s.standard) + ")", "true");
    } else {
      const parts = [];
      if (!s.eligible) parts.push("不符合申请条件 not eligible: " + s.ineligible_reasons.join("；"));
      if (s.vetoed) parts.push("一票否决 vetoed: " + s.vetoes.join("；"));
      if (s.total < s.standard) {
        const scale = 10 ** places;
        const d = pts((Math.round(s.standard * scale) - Math.round(s.total * scale)) / scale);
        parts.push("未达标 ✗ does not reach the standard — 差 " + d + " 分 (" + d + " short)");
      }
      setSummary("short", parts.join(" · "), "false");
    }
    const body = $("items").tBodies[0];
    body.replaceChildren();
    const sections = schema.sections;
    for (const sec of sections) {
      const points = (s.sections || []).find((x) => x.id === sec.id);
      const head = el("tr", undefined, "section");
      const th = el("th", sec.label + (points ? " · " + pts(points.points) + " 分" : ""));
      th.colSpan = 3;
      head.append(th);
      body.append(head);
      for (const item of s.items.filter((i) => i.section === sec.id)) {
        const tr = el("tr", undefined, item.points > 0 ? "pos" : item.points < 0 ? "neg" : "zero");
        tr.dataset.item = item.id;
        const name = el("td", item.label);
        name.append(el("code", item.id, "key"));
        tr.append(name, el("td", pts(item.points), "pts"), el("td", why(item), "why"));
        body.append(tr);
      }
    }
  }

  function describe(p) {
    const parts = p.changes.map(
      (c) => (c.implied ? "（" : "") + label(c.input) + "：" + show(c.input, c.from) + " → " + show(c.input, c.to) + (c.implied ? "）" : ""),
    );
    if (p.wait_years > 0) parts.push("等待 " + p.wait_years + " 年 (wait " + p.wait_years + (p.wait_years === 1 ? " year)" : " years)"));
    return parts.join("，");
  }

  const deltas = (items) => items.map(([id, d]) => (itemLabel[id] || id) + " " + (d > 0 ? "+" : "") + d).join("，");

  function renderPlan(p) {
    const box = $("plan");
    box.replaceChildren();
    if (p.meets_standard) box.append(el("p", "已达到标准分值 · meets the standard already."));
    else if (!p.plans.length) box.append(el("p", "在至多 2 项改变、10 年等待内没有找到方案 · no plan with at most 2 changes and 10 years of waiting."));
    else {
      box.append(el("p", "达到 " + standard + " 分的方式，改变最少的在前 · ways to reach it, fewest changes first:"));
      const ol = el("ol", undefined, "plans");
      for (const plan of p.plans) {
        const li = el("li", describe(plan) + " → ");
        li.append(el("strong", plan.total + " 分"), el("span", " (" + deltas(plan.items) + ")", "muted"));
        ol.append(li);
      }
      box.append(ol);
    }
    if (p.waiting.length) {
      box.append(el("h3", "只等待 · waiting alone"));
      const ul = el("ul", undefined, "waiting");
      for (const w of p.waiting.slice(0, 5)) {
        const li = el("li", w.years + " 年后 (after " + w.years + (w.years === 1 ? " year" : " years") + ")：" + w.total + " 分" + (w.meets_standard ? " ✓" : ""));
        ul.append(li);
      }
      box.append(ul);
    }
  }

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { ok: r.ok, body: await r.json() };
  }

  let seq = 0;
  async function update() {
    const mine = ++seq;
    clearErrors();
    const { out, missing, query } = facts();
    const q = query.toString();
    history.replaceState(null, "", q ? "?" + q : location.pathname);
    if (missing.length) {
      clearResults();
      setSummary("pending", "请填写必填项 · fill in: " + missing.map((d) => d.label || d.name).join("、"), "");
      for (const d of missing) $("err-" + d.name).textContent = "必填 required";
      return;
    }
    const body = JSON.stringify(out);
    try {
      const s = await post("/api/score?explain=1", body);
      if (mine !== seq) return;
      if (!s.ok) {
        clearResults();
        setSummary("error", "无法计算 · cannot score: " + s.body.error, "");
        const key = s.body.key && errorFor(s.body.key);
        if (key) {
          key.textContent = s.body.error + (s.body.help ? " — " + s.body.help : "");
          key.parentElement.classList.add("invalid");
        }
        return;
      }
      renderScore(s.body);
      $("plan").replaceChildren(el("p", "计算中… computing the plan", "muted"));
      const p = await post("/api/plan", body);
      if (mine !== seq) return;
      if (p.ok) renderPlan(p.body);
      else $("plan").replaceChildren(el("p", p.body.error, "muted"));
    } catch (e) {
      if (mine === seq) $("message").textContent = "无法连接服务器 · cannot reach the server: " + e;
    }
  }

  let timer = 0;
  const schedule = () => {
    syncAbsent();
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  update();
})();
