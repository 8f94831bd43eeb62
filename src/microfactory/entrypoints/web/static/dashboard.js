// microfactory dashboard: progress polling for long jobs and a confirmation before a site goes down.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var text = form.getAttribute("data-confirm");
    if (!text) { return; }
    form.addEventListener("submit", function (event) {
      if (!window.confirm(text)) { event.preventDefault(); }
    });
  });

  var card = document.querySelector("[data-job]");
  if (!card || card.getAttribute("data-status") !== "running") { return; }
  var id = card.getAttribute("data-job");
  var bar = card.querySelector(".bar");
  var meter = card.querySelector(".progress");

  function show(job) {
    var pct = Math.round(job.progress * 100);
    bar.style.width = pct + "%";
    meter.setAttribute("aria-valuenow", String(pct));
    card.querySelector(".job-status").textContent = job.status;
    card.querySelector(".job-message").textContent = job.message;
    card.querySelector(".job-elapsed").textContent = job.elapsed_s;
    card.setAttribute("data-status", job.status);
    if (job.error) {
      var err = card.querySelector(".job-error");
      err.textContent = job.error; err.hidden = false;
    }
    if (job.result) {
      var body = card.querySelector(".job-result tbody");
      body.textContent = "";
      Object.keys(job.result).forEach(function (key) {
        var row = document.createElement("tr");
        var th = document.createElement("th"); th.textContent = key;
        var td = document.createElement("td");
        var value = job.result[key];
        td.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
        row.appendChild(th); row.appendChild(td); body.appendChild(row);
      });
      card.querySelector(".job-result").hidden = false;
    }
  }

  function poll() {
    fetch("/ui/jobs/" + encodeURIComponent(id), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        show(job);
        if (job.status === "running") { window.setTimeout(poll, 400); }
        else { window.location.reload(); }  // the page renders the finished job's summary
      })
      .catch(function () { window.setTimeout(poll, 1500); });
  }
  poll();
})();
