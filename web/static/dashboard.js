// The dashboard's charts, drawn by Chart.js from the figures' table (which
// stays on the page for whoever does not see the charts).
(function () {
  "use strict";
  var table = document.getElementById("days");
  if (!table || typeof Chart === "undefined") { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var labels = rows.map(function (tr) { return tr.cells[0].textContent.trim(); });
  var charts = {};
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var chart = th.getAttribute("data-chart");
    if (!chart) { return; }
    (charts[chart] = charts[chart] || []).push({
      label: th.textContent.trim(),
      data: rows.map(function (tr) { return Number(tr.cells[col].textContent); }),
      backgroundColor: th.getAttribute("data-color"),
      borderColor: th.getAttribute("data-color")
    });
  });
  function draw(id, datasets, stacked) {
    var canvas = document.getElementById(id);
    if (!canvas || !datasets) { return; }
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }
  draw("chart-checkins", charts.checkins, true);
  draw("chart-cases", charts.cases, false);
})();
