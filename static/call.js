// Call page: click a transcript line or a piece of evidence to seek; highlight the line being played;
// poll processing status while a job is pending; ?t=<seconds> cues the player at that moment.
(function () {
  "use strict";
  const player = document.getElementById("player");
  const segs = Array.from(document.querySelectorAll(".seg"));

  function seek(t) {
    if (!player) return;
    player.currentTime = Math.max(0, t);
    player.play().catch(function () {});
  }
  segs.forEach(function (el) {
    el.addEventListener("click", function () { seek(parseFloat(el.dataset.start)); });
  });
  document.querySelectorAll(".evidence").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      ev.preventDefault();
      segs.forEach(function (s) { s.classList.remove("cited"); });
      const start = parseFloat(el.dataset.start), end = parseFloat(el.dataset.end);
      segs.forEach(function (s) {
        const a = parseFloat(s.dataset.start), b = parseFloat(s.dataset.end);
        if (s.id === "seg-" + el.dataset.seg || (a < end && b > start)) s.classList.add("cited");
      });
      const first = document.querySelector(".seg.cited");
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
      seek(start);
    });
  });
  if (player) {
    player.addEventListener("timeupdate", function () {
      const t = player.currentTime;
      let current = null;
      segs.forEach(function (s) {
        const on = t >= parseFloat(s.dataset.start) && t < parseFloat(s.dataset.end);
        s.classList.toggle("playing", on);
        if (on) current = s;
      });
      if (current && !player.paused) {
        const box = document.getElementById("transcript");
        const r = current.getBoundingClientRect(), br = box.getBoundingClientRect();
        if (r.top < br.top || r.bottom > br.bottom) current.scrollIntoView({ block: "nearest" });
      }
    });
  }
  // ?t=<seconds> (a link from transcript search): mark and show that line, cue the player there.
  const t0 = parseFloat(new URLSearchParams(window.location.search).get("t"));
  if (isFinite(t0) && t0 >= 0) {
    const hit = segs.find(function (s) { return Math.floor(parseFloat(s.dataset.start)) === Math.floor(t0); }) ||
      segs.find(function (s) { return t0 >= parseFloat(s.dataset.start) && t0 < parseFloat(s.dataset.end); });
    if (hit) {
      hit.classList.add("cited");
      hit.scrollIntoView({ block: "center" });
    }
    if (player) {
      const cue = function () { player.currentTime = hit ? parseFloat(hit.dataset.start) : t0; };
      if (player.readyState >= 1) cue(); else player.addEventListener("loadedmetadata", cue, { once: true });
    }
  }
  const progress = document.getElementById("progress");
  if (progress && !progress.classList.contains("d-none")) {
    const timer = setInterval(function () {
      fetch(progress.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
        if (s.job) {
          document.getElementById("progress-bar").style.width = Math.round((s.job.progress || 0) * 100) + "%";
          document.getElementById("progress-label").textContent = (s.job.stage_label || s.job.stage || "") + " · " + (s.job.state_label || s.job.state);
        }
        if (!s.pending) { clearInterval(timer); window.location.reload(); }
      }).catch(function () {});
    }, 3000);
  }
})();
