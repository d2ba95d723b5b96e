// The service's web page: predict, show scores as bars, send feedback, poll monitoring.
// Only textContent is used for data from the server or the user (no HTML injection).
"use strict";

const $ = (id) => document.getElementById(id);
const pct = (x) => (x * 100).toFixed(1) + " %";
const num = (x, digits = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits));

function drawBars(container, values, highlight) {
  // values: [[name, fraction in 0..1, text], ...]
  container.replaceChildren();
  for (const [name, fraction, text] of values) {
    const label = document.createElement("span");
    label.textContent = name;
    const track = document.createElement("div");
    track.className = "bar-track";
    const fill = document.createElement("div");
    fill.className = "bar-fill" + (name === highlight ? " top" : "");
    fill.dataset.label = name;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = text;
    container.append(label, track, value);
    fill.style.width = (Math.max(0, Math.min(1, fraction)) * 100) + "%";
  }
}

function errorText(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) return body.detail.map((e) => e.msg).join("; ");
  return "request failed (HTTP " + status + ")";
}

async function callJson(url, options) {
  const answer = await fetch(url, options);
  let body = null;
  try { body = await answer.json(); } catch (_) { /* not JSON */ }
  if (!answer.ok) throw new Error(errorText(body, answer.status));
  return body;
}

let labels = [];

async function predict(event) {
  event.preventDefault();
  const text = $("text").value;
  const button = $("predict-button");
  $("error").hidden = true;
  button.disabled = true;
  try {
    const body = await callJson("/predict", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }),
    });
    showPrediction(body.predictions[0]);
    refreshMonitoring();
  } catch (err) {
    $("error").textContent = err.message;
    $("error").hidden = false;
  } finally {
    button.disabled = false;
  }
}

function showPrediction(p) {
  $("result-empty").hidden = true;
  $("result").hidden = false;
  $("result-label").textContent = p.label;
  $("result-score").textContent = pct(p.score);
  const rows = Object.entries(p.scores).sort((a, b) => b[1] - a[1]).map(([name, s]) => [name, s, pct(s)]);
  drawBars($("bars"), rows, p.label);
  const buttons = $("feedback-buttons");
  buttons.replaceChildren();
  $("feedback-note").hidden = true;
  for (const name of labels.length ? labels : Object.keys(p.scores)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = name;
    b.addEventListener("click", () => sendFeedback(p.id, name));
    buttons.append(b);
  }
}

async function sendFeedback(predictionId, label) {
  try {
    await callJson("/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: [{ prediction_id: predictionId, label }] }),
    });
    $("feedback-note").textContent = "Thanks: recorded “" + label + "”.";
  } catch (err) {
    $("feedback-note").textContent = "Feedback not recorded: " + err.message;
  }
  $("feedback-note").hidden = false;
  $("feedback-buttons").replaceChildren();
  refreshMonitoring();
}

async function refreshMonitoring() {
  let m;
  try { m = await callJson("/monitoring"); } catch (_) { return; }
  $("model-version").textContent = m.model_version;
  $("m-requests").textContent = m.requests.total;
  $("m-latency").textContent = m.latency_ms.p50 === null ? "–"
    : num(m.latency_ms.p50, 0) + " / " + num(m.latency_ms.p95, 0) + " ms";
  $("m-batch").textContent = num(m.batches.mean_size, 1);
  $("m-feedback").textContent = m.quality.count;
  $("m-accuracy").textContent = num(m.quality.accuracy);
  $("m-pr").textContent = m.quality.precision === null ? "–"
    : num(m.quality.precision, 2) + " / " + num(m.quality.recall, 2);
  $("m-f1").textContent = num(m.quality.f1);
  $("m-label-psi").textContent = num(m.drift.label_psi);
  $("m-length-psi").textContent = num(m.drift.length_psi);
  $("m-drift-status").textContent = m.drift.status + " (" + m.drift.window + " recent predictions)";
  $("m-reference").textContent = m.drift.reference;
  const total = m.predictions.total || 1;
  drawBars($("label-bars"), Object.entries(m.predictions.by_label).map(([name, n]) => [name, n / total, String(n)]));
}

async function init() {
  try {
    const ready = await callJson("/ready");
    labels = ready.labels;
    $("model-version").textContent = ready.model_version;
    $("char-limit").textContent = ready.limits.max_text_chars;
    $("text").maxLength = ready.limits.max_text_chars;
  } catch (err) {
    $("model-version").textContent = "not ready: " + err.message;
  }
  $("text").addEventListener("input", () => { $("char-count").textContent = $("text").value.length; });
  $("predict-form").addEventListener("submit", predict);
  refreshMonitoring();
  setInterval(refreshMonitoring, 2000);
}

document.addEventListener("DOMContentLoaded", init);
