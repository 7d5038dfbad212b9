// qhost console: live updates by polling small JSON endpoints, and a client-side table filter. No library.
"use strict";
(function () {
  function poll(el) {
    var url = el.getAttribute("data-live"), every = +el.getAttribute("data-poll") || 2000;
    var totalSel = el.getAttribute("data-total"), dots = document.querySelectorAll(".live-dot");
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (data) {
          if (el.innerHTML.trim() !== data.html.trim()) { el.innerHTML = data.html; }
          if (totalSel && data.total !== undefined) {
            document.querySelector(totalSel).textContent = data.total + (data.capped ? "+" : "");
          }
          dots.forEach(function (d) { d.classList.remove("stale"); });
        })
        .catch(function () { dots.forEach(function (d) { d.classList.add("stale"); }); })
        .finally(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  function watchStatus(el) {
    var url = el.getAttribute("data-live-status"), shown = el.getAttribute("data-status");
    var every = +el.getAttribute("data-poll") || 2000;
    if (shown === "completed" || shown === "failed" || shown === "cancelled") { return; }
    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.status !== shown) { window.location.reload(); return; }
          if (data && data.progress) { showProgress(data.progress); }
          setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  var NOUNS = {pubs: ["PUB", "PUBs"], shots: ["shot", "shots"], circuits: ["circuit", "circuits"]};
  function seconds(s) {
    if (s < 1) { return Math.round(s * 1000) + " ms"; }
    return s < 120 ? s.toFixed(2) + " s" : (s / 60).toFixed(1) + " min";
  }
  function showProgress(p) {
    var bar = document.getElementById("progress-bar"), text = document.getElementById("progress-text");
    var eta = document.getElementById("progress-eta");
    if (!bar || !text) { return; }
    var noun = (NOUNS[p.unit] || [p.unit, p.unit])[p.total === 1 ? 0 : 1];
    bar.max = p.total; bar.value = p.done; bar.textContent = p.percent + "%";
    text.textContent = p.done + " of " + p.total + " " + noun;
    if (eta) { eta.textContent = p.eta_s === null ? "" : "· about " + seconds(p.eta_s) + " left"; }
  }
  function filterRows(input) {
    var rows = document.querySelectorAll(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(poll);
    document.querySelectorAll("[data-live-status]").forEach(watchStatus);
    document.querySelectorAll("input[data-filter]").forEach(filterRows);
  });
})();
