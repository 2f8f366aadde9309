// Call page: poll processing status while a job is pending (queue position, stage, progress) and reload
// when it is done. The player, the transcript and the evidence links are static/player.js.
(function () {
  "use strict";
  const progress = document.getElementById("progress");
  if (!progress || progress.classList.contains("d-none")) return;
  const timer = setInterval(function () {
    fetch(progress.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.job) {
        document.getElementById("progress-bar").style.width = Math.round((s.job.progress || 0) * 100) + "%";
        document.getElementById("progress-label").textContent = s.job.label || s.job.state_label || s.job.state;
      }
      if (!s.pending) { clearInterval(timer); window.location.reload(); }
    }).catch(function () {});
  }, 3000);
})();
