// automl dashboard: a jobs list and a live job page over the REST API (no build step).
"use strict";

const TOKEN_KEY = "automl-token";
const PAGE = 50;
const POLL_MS = 2000;
const ROBUST_SHARE = 0.95; // the curves' y axis shows the best 95% of scores
const state = { jobsOffset: 0, trialsOffset: 0, timer: null, lastOverview: "", trialNumber: null, overview: null };

const $ = (id) => document.getElementById(id);
const token = () => localStorage.getItem(TOKEN_KEY);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Numbers for people: integers as they are, other numbers to 4 significant digits.
function num(v) {
  if (v === null || v === undefined || v === "") return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

// Scores of one table with the same decimals: 4 significant digits of the largest.
function scoreDecimals(values) {
  const largest = Math.max(1e-12, ...values.filter((v) => v !== null && v !== undefined).map(Math.abs));
  return Math.max(0, 4 - Math.max(0, Math.floor(Math.log10(largest)) + 1));
}
const score = (v, decimals = 4) => (v === null || v === undefined ? "–" : Number(v).toFixed(decimals));

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json();
  if (response.status === 401) { signOut(); }
  if (!response.ok) throw new Error(body && body.detail ? body.detail : `HTTP ${response.status}`);
  return body;
}

function show(view) {
  for (const id of ["login-view", "jobs-view", "job-view"]) $(id).hidden = id !== view;
  $("logout-button").hidden = view === "login-view";
}

function signOut() { localStorage.removeItem(TOKEN_KEY); $("who").textContent = ""; route(); }

async function signIn(event) {
  event.preventDefault();
  localStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  try { await api("/api/me"); $("login-error").textContent = ""; route(); }
  catch (error) { localStorage.removeItem(TOKEN_KEY); $("login-error").textContent = error.message; }
}

async function showUser() {
  if ($("who").textContent) return;
  const me = await api("/api/me");
  $("who").textContent = `signed in as ${me.name}`;
}

function route() {
  clearInterval(state.timer);
  if (!token()) { show("login-view"); return; }
  showUser().catch(() => {});
  const match = location.hash.match(/^#\/jobs\/([0-9a-f]+)/);
  if (match) { openJob(match[1]); } else { openJobs(); }
}

// Jobs list

function openJobs() {
  show("jobs-view");
  loadStrategies();
  refreshJobs();
  state.timer = setInterval(refreshJobs, POLL_MS);
}

async function loadStrategies() {
  if (state.strategiesLoaded) return;
  const choices = await api("/api/choices");
  $("strategy-input").innerHTML = choices.strategies.map((name) => `<option>${esc(name)}</option>`).join("");
  state.strategiesLoaded = true;
}

async function refreshJobs() {
  const page = await api(`/api/jobs?limit=${PAGE}&offset=${state.jobsOffset}`);
  const decimals = scoreDecimals(page.items.map((job) => job.progress.best_score));
  $("jobs-table").tBodies[0].innerHTML = page.items.map((job) => `
    <tr data-id="${job.id}" class="job-row">
      <td><a href="#/jobs/${job.id}">${job.id.slice(0, 8)}</a></td>
      <td><span class="state ${job.state}">${job.state}</span></td>
      <td>${esc(job.spec.target)}</td>
      <td><div class="bar"><div style="width:${Math.round(job.progress.fraction * 100)}%"></div></div></td>
      <td>${job.progress.trials}</td>
      <td>${score(job.progress.best_score, decimals)}</td>
      <td>${new Date(job.created_at * 1000).toLocaleString()}</td>
    </tr>`).join("");
  $("jobs-empty").hidden = page.total > 0;
  $("jobs-page").textContent = `${page.total ? state.jobsOffset + 1 : 0}–${state.jobsOffset + page.items.length} of ${page.total}`;
  $("jobs-prev").disabled = state.jobsOffset === 0;
  $("jobs-next").disabled = state.jobsOffset + PAGE >= page.total;
}

async function submitJob(event) {
  event.preventDefault();
  $("submit-error").textContent = "";
  $("submit-button").disabled = true;
  try {
    const form = new FormData();
    form.append("file", $("file-input").files[0]);
    const dataset = await api("/api/datasets", { method: "POST", body: form });
    const job = await api("/api/jobs", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        dataset_id: dataset.id,
        target: $("target-input").value.trim(),
        time_budget: Number($("time-input").value),
        strategy: $("strategy-input").value,
        ...($("space-input").value.trim() ? { space: $("space-input").value.trim() } : {}),
      }),
    });
    location.hash = `#/jobs/${job.id}`;
  } catch (error) {
    $("submit-error").textContent = error.message;
  } finally {
    $("submit-button").disabled = false;
  }
}

// Job page

function openJob(id) {
  show("job-view");
  state.jobId = id;
  state.trialsOffset = 0;
  state.lastOverview = "";
  state.trialNumber = null;
  $("trial-detail").hidden = true;
  refreshJob();
  state.timer = setInterval(refreshJob, POLL_MS);
}

async function refreshJob() {
  try {
    await Promise.all([refreshOverview(), refreshTrials()]);
    if (state.trialNumber !== null) await refreshTrial(state.trialNumber);
    loadPlotly();
    $("job-error").textContent = state.overview ? state.overview.job.error || "" : "";
  } catch (error) {
    $("job-error").textContent = error.message;
  }
}

async function refreshOverview() {
  const data = await api(`/api/jobs/${state.jobId}/overview`);
  const text = JSON.stringify(data);
  if (text === state.lastOverview) return;
  state.lastOverview = text;
  state.overview = data;
  const job = data.job;
  $("job-id").textContent = job.id.slice(0, 8);
  $("job-state").textContent = job.state;
  $("job-state").className = `state ${job.state}`;
  const counts = data.counts;
  const total = counts.complete + counts.pruned + counts.fail + counts.running;
  const saved = data.compute.saved === null ? "–" : `${Math.round(data.compute.saved * 100)}%`;
  const parts = [`${counts.complete} complete`];
  if (counts.cut_short) parts.push(`${counts.cut_short} of them cut short`);
  parts.push(`${counts.pruned} stopped early`, `${counts.fail} failed`);
  if (counts.running) parts.push(`${counts.running} running`);
  $("job-facts").innerHTML = [
    ["Best trial " + (data.metric || "score"), score(job.progress.best_score)],
    ["Progress", `${Math.round(job.progress.fraction * 100)}%`],
    ["Trials", `${total} (${parts.join(", ")})`],
    ["Compute", `${data.compute.cpu_seconds.toFixed(1)} CPU s`],
    ["Full-fidelity estimate", data.compute.full_fidelity_cpu_seconds === null ? "–" : `${data.compute.full_fidelity_cpu_seconds.toFixed(1)} CPU s`],
    ["Compute saved", saved],
  ].map(([k, v]) => `<div>${esc(k)}<b>${esc(v)}</b></div>`).join("");
  $("cancel-button").hidden = !["queued", "running"].includes(job.state);
  $("resume-button").hidden = !["cancelled", "failed"].includes(job.state);
  $("model-link").hidden = !job.has_model;
  drawModel(data);
  drawNotes(data);
  drawCharts(data);
  refreshEvents();
}

function drawModel(data) {
  const model = data.job.model;
  if (!model) {
    $("model-summary").innerHTML = `<p class="note">${data.job.has_model ? "The saved model's members were not recorded (job from an older version)." : "No model yet: it is refit when the search ends."}</p>`;
    return;
  }
  const members = Object.entries(model.members).sort((a, b) => b[1] - a[1]);
  const kind = members.length > 1 ? `an ensemble of ${members.length} trials` : "the best trial, refit on all rows";
  $("model-summary").innerHTML = `
    <p>The saved model is ${kind}.</p>
    <div class="facts"><div>Validation ${esc(data.metric || "score")} of the model<b>${score(model.validation_score)}</b></div></div>
    <table><thead><tr><th>Trial</th><th>Weight</th></tr></thead><tbody>
    ${members.map(([trial, weight]) => `<tr class="trial-row" data-number="${trial}"><td>${trial}</td><td>${Math.round(weight * 100)}%</td></tr>`).join("")}
    </tbody></table>`;
}

function drawNotes(data) {
  $("crosses-note").textContent = data.crosses.length
    ? `Feature crosses the trials could use (cross.encoding), with the held-out log loss each removed: ${data.crosses.join(", ")}.`
    : "";
  $("importance-note").textContent = data.importance_note;
  $("slice-note").textContent = `y: ${data.score_basis}`;
  const few = data.scored.rows.length < 2;
  $("parallel-note").textContent = few
    ? "Appears once two trials have a score."
    : `The eight parameters that matter most, then the score (${data.score_basis}). Drag along an axis to filter.`;
  $("curves-note").textContent = data.curves.length
    ? `x: ${data.axis.label}. Lines: scores reported while training (dotted: stopped early); squares: final scores; ×: forecasts of the final score for trials stopped early.`
    : "No trial has reported intermediate scores yet.";
}

// plotly.js is 4.6 MB: it loads after the job's numbers and trial table are on screen, then
// the charts are drawn.
function loadPlotly() {
  if (window.Plotly || document.getElementById("plotly-script")) return;
  const script = document.createElement("script");
  script.id = "plotly-script";
  script.src = "/static/plotly.min.js";
  script.onload = () => { state.lastOverview = ""; if (!$("job-view").hidden) refreshJob(); };
  document.head.appendChild(script);
}

const CONFIG = { displaylogo: false, responsive: true };

function layout(x, y, extra = {}) {
  return { margin: { t: 10, r: 10, b: 45, l: 60 }, xaxis: { title: { text: x } }, yaxis: { title: { text: y } }, showlegend: false, ...extra };
}

function drawCharts(data) {
  if (!window.Plotly) return;
  const best = (points) => ({ x: points.map((p) => p.x), y: points.map((p) => p.best), mode: "lines", name: "best so far", line: { shape: "hv" } });
  const history = { x: data.history.x, y: data.history.score, text: data.history.trial.map((n) => `trial ${n}`), mode: "markers", name: "trial", marker: { size: 5, opacity: 0.5 } };
  Plotly.react("best-time", [history, best(data.best_over_time)], layout("seconds since the first trial", data.metric), CONFIG);
  Plotly.react("best-compute", [best(data.best_over_compute)], layout("CPU seconds", data.metric), CONFIG);
  Plotly.react("curves", curveTraces(data.curves), curveLayout(data), CONFIG);
  const names = Object.keys(data.importance).slice(0, 15).reverse();
  Plotly.react("importance", names.length ? [{ type: "bar", orientation: "h", x: names.map((n) => data.importance[n]), y: names }] : [],
    { ...layout("share of score variance", ""), yaxis: { automargin: true } }, CONFIG);
  drawSlice(data);
  state.parallel = () => Plotly.react("parallel", parallelTrace(data.scored), { margin: { t: 70, r: 70, b: 25, l: 140 } }, CONFIG);
  if (state.parallelVisible) state.parallel();
}

// All curves in a few traces (complete, stopped, single points, finals, forecasts), joined with
// gaps: hundreds of separate traces, or a marker on every point, would make Plotly slow on a
// big job. Curves of one point (stopped at the first rung) get a marker so they show.
function curveTraces(curves) {
  const lines = { complete: { x: [], y: [], text: [] }, stopped: { x: [], y: [], text: [] } };
  const single = { x: [], y: [], text: [] };
  const finals = { x: [], y: [], text: [] };
  const forecasts = { x: [], y: [], error: [], text: [] };
  const knots = { x: [], y: [], text: [] };
  for (const curve of curves) {
    const line = curve.state === "complete" ? lines.complete : lines.stopped;
    const label = `trial ${curve.trial}` + (curve.stop ? ` (${curve.stop})` : "");
    curve.x.forEach((x, i) => { line.x.push(x); line.y.push(curve.y[i]); line.text.push(label); });
    if (curve.final) {
      line.x.push(curve.final.x); line.y.push(curve.final.value); line.text.push(`${label}: final score`);
      finals.x.push(curve.final.x); finals.y.push(curve.final.value); finals.text.push(`trial ${curve.trial}: final score`);
    } else if (curve.x.length === 1) {
      single.x.push(curve.x[0]); single.y.push(curve.y[0]); single.text.push(label);
    }
    line.x.push(null); line.y.push(null); line.text.push("");
    (curve.knots || []).forEach((x, k) => {  // a Chain of LoRA is scored at every knot
      const at = curve.x.indexOf(x);
      if (at < 0) return;
      knots.x.push(x); knots.y.push(curve.y[at]); knots.text.push(`trial ${curve.trial}: knot ${k + 1} (link merged)`);
    });
    if (curve.forecast && curve.state !== "complete") {
      forecasts.x.push(curve.forecast.x); forecasts.y.push(curve.forecast.mean);
      forecasts.error.push(curve.forecast.std || 0); forecasts.text.push(`trial ${curve.trial}: forecast`);
    }
  }
  return [
    { ...lines.complete, mode: "lines", opacity: 0.6, name: "complete", line: { width: 1 } },
    { ...lines.stopped, mode: "lines", opacity: 0.6, name: "stopped early", line: { width: 1, dash: "dot" } },
    { ...single, mode: "markers", name: "stopped at the first report", marker: { size: 5, opacity: 0.6 } },
    { ...finals, mode: "markers", name: "final score", marker: { symbol: "square", size: 7 } },
    { ...knots, mode: "markers", name: "knot: LoRA link merged", marker: { symbol: "diamond-open", size: 8 },
      visible: knots.x.length ? true : "legendonly", showlegend: knots.x.length > 0 },
    { ...forecasts, mode: "markers", name: "forecast of the final score", marker: { symbol: "x", size: 7 },
      error_y: { type: "data", array: forecasts.error, thickness: 1 } },
  ];
}

// A y range that leaves out the worst 5% of scores, so one poor trial does not squeeze every
// other curve into a corner (double-click the chart to see everything).
function curveLayout(data) {
  const values = [];
  for (const curve of data.curves) {
    for (const y of curve.y) if (y !== null) values.push(y);
    if (curve.final) values.push(curve.final.value);
  }
  const base = layout(data.axis.label, data.metric, { showlegend: true, legend: { orientation: "h", y: -0.25 } });
  base.margin.b = 80;
  if (data.axis.kind === "data_fraction") base.xaxis.tickformat = ".0%";
  if (values.length < 20) return base;
  values.sort((a, b) => a - b);
  const cut = Math.floor(values.length * (1 - ROBUST_SHARE));
  const low = data.maximize ? values[cut] : values[0];
  const high = data.maximize ? values[values.length - 1] : values[values.length - 1 - cut];
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.01 || 0.01;
  base.yaxis.range = [low - pad, high + pad];
  return base;
}

function drawSlice(data) {
  const select = $("slice-param");
  const params = data.scored.params;
  const chosen = params.includes(select.value) ? select.value : params[0];
  select.innerHTML = params.map((name) => `<option${name === chosen ? " selected" : ""}>${esc(name)}</option>`).join("");
  if (!chosen) { Plotly.react("slice", [], layout("", data.metric), CONFIG); return; }
  const rows = data.scored.rows.filter((row) => row.config[chosen] !== undefined && row.config[chosen] !== null);
  const values = rows.map((row) => row.config[chosen]);
  const numeric = values.every((v) => typeof v === "number");
  const trace = {
    x: numeric ? values : values.map(String), y: rows.map((row) => row.score),
    text: rows.map((row) => `trial ${row.trial} (${row.state})`), mode: "markers", marker: { size: 6, opacity: 0.6 },
  };
  const extra = numeric ? {} : { xaxis: { title: { text: chosen }, type: "category", automargin: true } };
  Plotly.react("slice", [trace], { ...layout(chosen, data.metric), ...extra }, CONFIG);
}

// Parallel coordinates need WebGL, whose set-up costs about a second without a GPU: draw them
// once they scroll into view, not before the rest of the page.
function watchParallel() {
  new IntersectionObserver((entries) => {
    state.parallelVisible = entries.some((entry) => entry.isIntersecting);
    if (state.parallelVisible && state.parallel) state.parallel();
  }).observe($("parallel"));
}

// The parameters that matter most (the server orders them; constant ones are left out), then
// the score: a readable number of axes, with short tick labels. A parameter another model
// family does not have is "not set" for that trial: a tick of its own below the values (a
// missing value would leave the trial's whole line undrawn).
function parallelTrace(scored) {
  if (scored.rows.length < 2) return [];
  const dimensions = scored.params.slice(0, 8).map((name) => {
    const values = scored.rows.map((r) => r.config[name]);
    const unset = (v) => v === null || v === undefined;
    if (values.every((v) => unset(v) || typeof v === "number")) return numericAxis(name, values.map((v) => (unset(v) ? null : v)));
    const levels = [...new Set(values.map((v) => (unset(v) ? "not set" : String(v))))];
    return { label: name, values: values.map((v) => levels.indexOf(unset(v) ? "not set" : String(v))), tickvals: levels.map((_, i) => i), ticktext: levels };
  });
  const scores = scored.rows.map((r) => r.score);
  dimensions.push({ label: "score", values: scores, tickformat: ".4~f" });
  return [{ type: "parcoords", labelangle: -20, labelside: "top", labelfont: { size: 10 }, line: { color: scores, colorscale: "Viridis", showscale: true }, dimensions }];
}

function numericAxis(name, values) {
  const set = values.filter((v) => v !== null);
  const low = Math.min(...set);
  const high = Math.max(...set);
  if (set.length === values.length) return { label: name, values, tickformat: ".3~g" };
  const below = low - ((high - low) * 0.15 || Math.abs(low) * 0.15 || 1);
  const ticks = [0, 1, 2, 3].map((i) => low + ((high - low) * i) / 3);
  return {
    label: name, values: values.map((v) => (v === null ? below : v)), range: [below, high],
    tickvals: [below, ...ticks], ticktext: ["not set", ...ticks.map(num)],
  };
}

async function refreshTrials() {
  const sort = $("trial-sort").value;
  const filter = $("trial-state").value;
  const query = `limit=${PAGE}&offset=${state.trialsOffset}&sort=${sort}` + (filter ? `&state=${filter}` : "");
  const page = await api(`/api/jobs/${state.jobId}/trials?${query}`);
  const decimals = scoreDecimals(page.items.map((t) => t.score));
  $("trial-table").tBodies[0].innerHTML = page.items.map((t) => `
    <tr class="trial-row${t.number === state.trialNumber ? " selected" : ""}" data-number="${t.number}">
      <td>${t.number}</td><td><span class="trial-state ${t.state}">${trialState(t)}</span></td><td>${score(t.score, decimals)}</td>
      <td title="${esc(t.model_summary || "")}">${esc(t.config.model || "")}</td><td title="${esc(t.origin || "drawn by the search strategy")}">${originTag(t)}</td><td>${t.fidelity === null ? "–" : `${Math.round(t.fidelity * 100)}%`}</td>
      <td>${num(t.cpu_seconds)}</td><td>${esc((t.stopped || t.error || "").slice(0, 90))}</td>
    </tr>`).join("");
  $("trials-total").textContent = `(${page.total})`;
  $("trials-page").textContent = `${page.total ? state.trialsOffset + 1 : 0}–${state.trialsOffset + page.items.length} of ${page.total}`;
  $("trials-prev").disabled = state.trialsOffset === 0;
  $("trials-next").disabled = state.trialsOffset + PAGE >= page.total;
}

const trialState = (t) => (t.cut_short ? "cut short" : t.state);
// Where a trial came from: a past study (warm start), a starting point, or the strategy's sampler.
const originTag = (t) => (!t.origin ? "sampler" : t.origin.startsWith("warm start") ? "warm start" : "starting point");

function openTrial(number) {
  state.trialNumber = Number(number);
  refreshTrial(state.trialNumber).then(() => $("trial-detail").scrollIntoView({ behavior: "smooth" }));
}

// The trial panel is redrawn on every poll while it is open, so it follows the trial's state.
async function refreshTrial(number) {
  const trial = await api(`/api/jobs/${state.jobId}/trials/${number}`);
  $("trial-detail").hidden = false;
  $("trial-number").textContent = `${trial.number}: ${trialState(trial)}, score ${score(trial.score)}` +
    (trial.fidelity !== null && trial.fidelity < 1 ? ` at ${Math.round(trial.fidelity * 100)}% fidelity` : "");
  $("trial-reason").textContent = `${trial.model_summary ? `${trial.model_summary}. ` : ""}` +
    `${trial.origin ? `Tried first: ${trial.origin}. ` : ""}${trialReason(trial)}`;
  $("trial-config").innerHTML = Object.entries(trial.config)
    .map(([name, value]) => `<tr><th>${esc(name)}</th><td>${esc(num(value))}</td></tr>`).join("");
  $("trial-curve-note").textContent = trial.curve.length ? `x: ${trial.axis ? trial.axis.label : "step"}` :
    trial.state === "running" ? "Running: no intermediate score reported yet." :
    "This trial reported no intermediate scores: it was evaluated at full fidelity only.";
  for (const row of $("trial-table").tBodies[0].rows) row.classList.toggle("selected", Number(row.dataset.number) === trial.number);
  if (!window.Plotly) return;
  const x = trial.curve.map((p) => p.x);
  const traces = [{ x, y: trial.curve.map((p) => p.value), mode: "lines+markers", name: "reported" }];
  if (trial.forecast && trial.forecast.mean !== undefined && trial.curve.length && trial.forecast.fidelity) {
    const last = trial.curve[trial.curve.length - 1];
    const full = trial.axis && trial.axis.kind === "data_fraction" ? 1 : last.x / trial.forecast.fidelity;
    traces.push({ x: [full], y: [trial.forecast.mean], mode: "markers", name: "forecast of the final score",
      marker: { symbol: "x", size: 9 }, error_y: { type: "data", array: [trial.forecast.std || 0] } });
  }
  const extra = trial.axis && trial.axis.kind === "data_fraction" ? { xaxis: { title: { text: trial.axis.label }, tickformat: ".0%" } } : {};
  Plotly.react("trial-curve", trial.curve.length ? traces : [], { ...layout(trial.axis ? trial.axis.label : "step", ""), ...extra }, CONFIG);
}

function trialReason(trial) {
  if (trial.stop_reason) return `Stopped early: ${trial.stop_reason.text}.`;
  if (trial.cut_short) return `Cut short: its fit was still improving when the trial's time limit came${trial.iterations ? `, after ${trial.iterations} iterations` : ""}; the score is that of the model it had, not of this configuration at full fidelity.`;
  if (trial.state === "pruned") return "Stopped early (the pruner recorded no reason: a study from an older version).";
  if (trial.state === "fail") return `Failed: ${trial.error || "no error recorded"}`;
  if (trial.state === "running") return "Running.";
  return trial.forecast && trial.forecast.mean !== undefined
    ? `Complete. The last forecast was ${num(trial.forecast.mean)} (${Math.round((trial.forecast.p_better || 0) * 100)}% chance of beating the best then).`
    : "Complete, at full fidelity.";
}

async function refreshEvents() {
  const events = await api(`/api/jobs/${state.jobId}/events`);
  $("events-table").tBodies[0].innerHTML = events.slice().reverse().slice(0, 100).map((e) => `
    <tr><td>${new Date(e.at * 1000).toLocaleTimeString()}</td><td>${esc(e.kind.replace(/_/g, " "))}</td>
    <td>${esc(e.worker_id || "")}</td><td>${esc(e.detail || "")}</td></tr>`).join("");
}

async function act(action) {
  try { await api(`/api/jobs/${state.jobId}/${action}`, { method: "POST" }); state.lastOverview = ""; refreshJob(); }
  catch (error) { $("job-error").textContent = error.message; }
}

async function downloadModel(event) {
  event.preventDefault();
  const response = await fetch(`/api/jobs/${state.jobId}/model`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) { $("job-error").textContent = (await response.json()).detail; return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `automl-${state.jobId}.automl`;
  link.click();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", signIn);
  $("logout-button").addEventListener("click", signOut);
  $("submit-form").addEventListener("submit", submitJob);
  $("jobs-prev").addEventListener("click", () => { state.jobsOffset = Math.max(0, state.jobsOffset - PAGE); refreshJobs(); });
  $("jobs-next").addEventListener("click", () => { state.jobsOffset += PAGE; refreshJobs(); });
  $("trials-prev").addEventListener("click", () => { state.trialsOffset = Math.max(0, state.trialsOffset - PAGE); refreshTrials(); });
  $("trials-next").addEventListener("click", () => { state.trialsOffset += PAGE; refreshTrials(); });
  $("trial-sort").addEventListener("change", () => { state.trialsOffset = 0; refreshTrials(); });
  $("trial-state").addEventListener("change", () => { state.trialsOffset = 0; refreshTrials(); });
  $("slice-param").addEventListener("change", () => { if (state.overview && window.Plotly) drawSlice(state.overview); });
  for (const id of ["trial-table", "model-summary"]) {
    $(id).addEventListener("click", (event) => {
      const row = event.target.closest("tr.trial-row");
      if (row) openTrial(row.dataset.number);
    });
  }
  $("jobs-table").addEventListener("click", (event) => {
    const row = event.target.closest("tr.job-row");
    if (row) location.hash = `#/jobs/${row.dataset.id}`;
  });
  $("cancel-button").addEventListener("click", () => act("cancel"));
  $("resume-button").addEventListener("click", () => act("resume"));
  $("model-link").addEventListener("click", downloadModel);
  window.addEventListener("hashchange", route);
  watchParallel();
  route();
});
