// automl dashboard: a jobs list and a live job page over the REST API (no build step).
"use strict";

const TOKEN_KEY = "automl-token";
const PAGE = 50;
const POLL_MS = 2000;
const state = { jobsOffset: 0, trialsOffset: 0, timer: null, lastOverview: "", trialNumber: null };

const $ = (id) => document.getElementById(id);
const token = () => localStorage.getItem(TOKEN_KEY);
const fmt = (v, digits = 5) => (v === null || v === undefined ? "–" : Number(v).toPrecision(digits));
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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

function signOut() { localStorage.removeItem(TOKEN_KEY); route(); }

async function signIn(event) {
  event.preventDefault();
  localStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  try { await api("/api/jobs?limit=1"); $("login-error").textContent = ""; route(); }
  catch (error) { localStorage.removeItem(TOKEN_KEY); $("login-error").textContent = error.message; }
}

function route() {
  clearInterval(state.timer);
  if (!token()) { show("login-view"); return; }
  const match = location.hash.match(/^#\/jobs\/([0-9a-f]+)/);
  if (match) { openJob(match[1]); } else { openJobs(); }
}

// Jobs list

function openJobs() {
  show("jobs-view");
  refreshJobs();
  state.timer = setInterval(refreshJobs, POLL_MS);
}

async function refreshJobs() {
  const page = await api(`/api/jobs?limit=${PAGE}&offset=${state.jobsOffset}`);
  $("jobs-table").tBodies[0].innerHTML = page.items.map((job) => `
    <tr data-id="${job.id}" class="job-row">
      <td><a href="#/jobs/${job.id}">${job.id.slice(0, 8)}</a></td>
      <td><span class="state ${job.state}">${job.state}</span></td>
      <td>${esc(job.spec.target)}</td>
      <td><div class="bar"><div style="width:${Math.round(job.progress.fraction * 100)}%"></div></div></td>
      <td>${job.progress.trials}</td>
      <td>${fmt(job.progress.best_score)}</td>
      <td>${new Date(job.created_at * 1000).toLocaleString()}</td>
    </tr>`).join("");
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
  $("trial-detail").hidden = true;
  refreshJob();
  state.timer = setInterval(refreshJob, POLL_MS);
}

async function refreshJob() {
  try {
    await Promise.all([refreshOverview(), refreshTrials()]);
    loadPlotly();
    $("job-error").textContent = "";
  } catch (error) {
    $("job-error").textContent = error.message;
  }
}

async function refreshOverview() {
  const data = await api(`/api/jobs/${state.jobId}/overview`);
  const text = JSON.stringify(data);
  if (text === state.lastOverview) return;
  state.lastOverview = text;
  const job = data.job;
  $("job-id").textContent = job.id.slice(0, 8);
  $("job-state").textContent = job.state;
  $("job-state").className = `state ${job.state}`;
  const saved = data.compute.saved === null ? "–" : `${Math.round(data.compute.saved * 100)}%`;
  $("job-facts").innerHTML = [
    ["Best " + (data.metric || "score"), fmt(job.progress.best_score)],
    ["Progress", `${Math.round(job.progress.fraction * 100)}%`],
    ["Trials", `${job.progress.trials} (${job.progress.pruned} stopped early, ${job.progress.failed} failed)`],
    ["Compute", `${data.compute.cpu_seconds.toFixed(1)} CPU s`],
    ["Full-fidelity estimate", data.compute.full_fidelity_cpu_seconds === null ? "–" : `${data.compute.full_fidelity_cpu_seconds.toFixed(1)} CPU s`],
    ["Compute saved", saved],
  ].map(([k, v]) => `<div>${esc(k)}<b>${esc(v)}</b></div>`).join("");
  $("job-error").textContent = job.error || "";
  $("cancel-button").hidden = !["queued", "running"].includes(job.state);
  $("resume-button").hidden = !["cancelled", "failed"].includes(job.state);
  $("model-link").hidden = !job.has_model;
  drawCharts(data);
}

// plotly.js is 4.6 MB: it loads after the job's numbers and trial table are on screen, then
// the charts are drawn.
function loadPlotly() {
  if (window.Plotly || document.getElementById("plotly-script")) return;
  const script = document.createElement("script");
  script.id = "plotly-script";
  script.src = "/static/plotly.min.js";
  script.onload = () => { state.lastOverview = ""; if (!$("job-view").hidden) refreshOverview(); };
  document.head.appendChild(script);
}

function drawCharts(data) {
  if (!window.Plotly) return;
  const layout = (x, y) => ({ margin: { t: 10, r: 10, b: 40, l: 60 }, xaxis: { title: { text: x } }, yaxis: { title: { text: y } } });
  const line = (points) => [{ x: points.map((p) => p.x), y: points.map((p) => p.best), mode: "lines+markers", line: { shape: "hv" } }];
  Plotly.react("best-time", line(data.best_over_time), layout("seconds", data.metric));
  Plotly.react("best-compute", line(data.best_over_compute), layout("CPU seconds", data.metric));
  Plotly.react("curves", curveTraces(data.curves), { ...layout("step", data.metric), legend: { orientation: "h" } });
  const names = Object.keys(data.importance).reverse();
  Plotly.react("importance", [{ type: "bar", orientation: "h", x: names.map((n) => data.importance[n]), y: names }],
    { ...layout("share of score variance", ""), margin: { t: 10, r: 10, b: 40, l: 200 } });
  state.parallel = () => Plotly.react("parallel", parallelTrace(data.parallel, data.importance), { margin: { t: 60, r: 60, b: 20, l: 60 } });
  if (state.parallelVisible) state.parallel();
}

// Parallel coordinates need WebGL, whose set-up costs about a second without a GPU: draw them
// once they scroll into view, not before the rest of the page.
function watchParallel() {
  new IntersectionObserver((entries) => {
    state.parallelVisible = entries.some((entry) => entry.isIntersecting);
    if (state.parallelVisible && state.parallel) state.parallel();
  }).observe($("parallel"));
}

// All curves in three traces (complete, stopped, forecasts), joined with gaps: hundreds of
// separate traces would make Plotly slow on a big job.
function curveTraces(curves) {
  const lines = { complete: { x: [], y: [], text: [] }, stopped: { x: [], y: [], text: [] } };
  const forecasts = { x: [], y: [], error: [], text: [] };
  for (const curve of curves) {
    const line = curve.state === "complete" ? lines.complete : lines.stopped;
    for (const point of curve.points) {
      line.x.push(point.step); line.y.push(point.value); line.text.push(`trial ${curve.trial}`);
    }
    line.x.push(null); line.y.push(null); line.text.push("");
    if (curve.forecast && curve.points.length) {
      forecasts.x.push(finalStep(curve.points)); forecasts.y.push(curve.forecast.mean);
      forecasts.error.push(curve.forecast.std || 0); forecasts.text.push(`forecast, trial ${curve.trial}`);
    }
  }
  return [
    { ...lines.complete, mode: "lines", name: "complete", opacity: 0.5, line: { width: 1 } },
    { ...lines.stopped, mode: "lines", name: "stopped early", opacity: 0.5, line: { width: 1, dash: "dot" } },
    { x: forecasts.x, y: forecasts.y, text: forecasts.text, mode: "markers", name: "forecast of the final score",
      marker: { symbol: "x", size: 6 }, error_y: { type: "data", array: forecasts.error, thickness: 1 } },
  ];
}

// Where a curve ends at full fidelity: the last step over its fidelity (share of the full run).
function finalStep(points) {
  const last = points[points.length - 1];
  return last.fidelity ? last.step / last.fidelity : last.step * 1.5;
}

// The parameters that matter most (by importance), then the score: a readable number of axes.
function parallelTrace(parallel, importance) {
  if (!parallel.rows.length) return [];
  const ranked = Object.keys(importance).filter((name) => parallel.params.includes(name));
  const names = [...ranked, ...parallel.params.filter((name) => !ranked.includes(name))].slice(0, 8);
  const dimensions = names.map((name) => {
    const values = parallel.rows.map((r) => r.config[name]);
    if (values.every((v) => v === null || v === undefined || typeof v === "number")) {
      return { label: name, values: values.map((v) => (v === null || v === undefined ? NaN : v)) };
    }
    const levels = [...new Set(values.map(String))];
    return { label: name, values: values.map((v) => levels.indexOf(String(v))), tickvals: levels.map((_, i) => i), ticktext: levels };
  });
  const scores = parallel.rows.map((r) => r.score);
  dimensions.push({ label: "score", values: scores });
  return [{ type: "parcoords", labelangle: -12, line: { color: scores, colorscale: "Viridis", showscale: true }, dimensions }];
}

async function refreshTrials() {
  const sort = $("trial-sort").value;
  const filter = $("trial-state").value;
  const query = `limit=${PAGE}&offset=${state.trialsOffset}&sort=${sort}` + (filter ? `&state=${filter}` : "");
  const page = await api(`/api/jobs/${state.jobId}/trials?${query}`);
  $("trial-table").tBodies[0].innerHTML = page.items.map((t) => `
    <tr class="trial-row" data-number="${t.number}">
      <td>${t.number}</td><td>${t.state}</td><td>${fmt(t.score)}</td>
      <td>${esc(t.config.model || "")}</td><td>${fmt(t.fidelity, 3)}</td>
      <td>${fmt(t.cpu_seconds, 3)}</td><td>${esc((t.error || "").slice(0, 80))}</td>
    </tr>`).join("");
  $("trials-total").textContent = `(${page.total})`;
  $("trials-page").textContent = `${page.total ? state.trialsOffset + 1 : 0}–${state.trialsOffset + page.items.length} of ${page.total}`;
  $("trials-prev").disabled = state.trialsOffset === 0;
  $("trials-next").disabled = state.trialsOffset + PAGE >= page.total;
}

async function openTrial(number) {
  const trial = await api(`/api/jobs/${state.jobId}/trials/${number}`);
  $("trial-detail").hidden = false;
  $("trial-number").textContent = `${trial.number} (${trial.state}, score ${fmt(trial.score)})`;
  $("trial-config").textContent = JSON.stringify({ config: trial.config, forecast: trial.forecast, error: trial.error }, null, 2);
  const traces = [{ x: trial.curve.map((p) => p.step), y: trial.curve.map((p) => p.value), mode: "lines+markers", name: "reported" }];
  $("trial-curve-note").textContent = trial.curve.length ? "" : "This trial reported no intermediate scores (its model has no rounds to report).";
  if (trial.forecast && trial.forecast.mean !== undefined && trial.curve.length) {
    traces.push({ x: [finalStep(trial.curve)], y: [trial.forecast.mean], mode: "markers", name: "forecast of the final score",
      error_y: { type: "data", array: [trial.forecast.std || 0] } });
  }
  if (window.Plotly) {
    Plotly.react("trial-curve", traces, { margin: { t: 10, r: 10, b: 40, l: 60 }, xaxis: { title: { text: "step" } } });
  }
  $("trial-detail").scrollIntoView({ behavior: "smooth" });
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
  $("trial-table").addEventListener("click", (event) => {
    const row = event.target.closest("tr.trial-row");
    if (row) openTrial(row.dataset.number);
  });
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
