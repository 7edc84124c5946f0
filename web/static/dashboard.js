// The dashboard's charts, drawn by Chart.js from the figures' table (which
// stays on the page for whoever does not see the charts). Written for a
// tablet held upright and for a phone: legends and axes in the page's
// language at a size one reads at arm's length, the days' labels short and
// level (the tooltip gives the whole date).
(function () {
  "use strict";
  var table = document.getElementById("days");
  if (!table || typeof Chart === "undefined") { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var labels = rows.map(function (tr) { return tr.cells[0].textContent.trim(); });
  var short = rows.map(function (tr) {
    var time = tr.cells[0].querySelector("time");
    return (time && time.getAttribute("data-short")) || tr.cells[0].textContent.trim();
  });
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
  var narrow = window.matchMedia("(max-width: 40rem)").matches;
  Chart.defaults.font.size = narrow ? 13 : 14;
  Chart.defaults.color = "#333";
  function title(text) {
    return { display: !!text, text: text, color: "#333", font: { weight: "600" } };
  }
  function draw(id, datasets, stacked) {
    var canvas = document.getElementById(id);
    if (!canvas || !datasets) { return; }
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        locale: document.documentElement.lang || undefined,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "top", align: "start", labels: { boxWidth: 14, boxHeight: 14, padding: 12 } }
        },
        scales: {
          x: {
            stacked: stacked,
            title: narrow ? { display: false } : title(canvas.getAttribute("data-x-title")),
            ticks: {
              maxRotation: 0,
              autoSkip: true,
              autoSkipPadding: 12,
              callback: function (value, index) { return short[index]; }
            }
          },
          y: {
            stacked: stacked,
            beginAtZero: true,
            title: title(canvas.getAttribute("data-y-title")),
            ticks: { precision: 0 }
          }
        }
      }
    });
  }
  draw("chart-checkins", charts.checkins, true);
  draw("chart-cases", charts.cases, false);
})();
