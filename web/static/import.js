// The register's upload shows its progress: a large register over a slow
// line takes a while, then the server checks every line before it answers.
(function () {
  "use strict";
  if (window.wellcheckImport) return; // the page's main part is swapped with this script in it
  window.wellcheckImport = true;
  document.addEventListener("htmx:xhr:progress", function (e) {
    var box = document.getElementById("upload-progress");
    if (!box || !e.detail.lengthComputable) return;
    var bar = box.querySelector("progress"), state = document.getElementById("upload-state");
    var done = Math.round((e.detail.loaded * 100) / e.detail.total);
    box.hidden = false;
    bar.value = done;
    var words = done < 100 ? state.dataset.sending : state.dataset.checking;
    if (state.textContent !== words) state.textContent = words;
  });
  // A refused file (422, 413) is a page to show, like any report.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.requestConfig && e.detail.requestConfig.path === "/persons/import" && e.detail.xhr.status >= 400 && e.detail.xhr.status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
