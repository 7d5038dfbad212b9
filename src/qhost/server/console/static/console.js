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
          setTimeout(tick, every);
        })
        .catch(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
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
