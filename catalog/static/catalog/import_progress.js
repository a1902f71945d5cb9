// Live progress of a catalogue import: poll the job's progress URL until it finishes, then reload.
(function () {
  "use strict";
  var panel = document.getElementById("import-job");
  if (!panel || panel.dataset.finished === "1") { return; }
  var url = panel.dataset.progressUrl;
  var bar = panel.querySelector("progress");
  function show(data) {
    ["status_display", "percent", "phase_display"].forEach(function (name) {
      var el = panel.querySelector('[data-field="' + name + '"]');
      if (el) { el.textContent = data[name]; }
    });
    if (bar) { bar.value = data.percent; }
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        show(data);
        if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
