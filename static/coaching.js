// Exemplar call page: cue the player at the evidence of the criterion (data-cue-start) and bring the cited
// lines into view. Clicking lines / the evidence link is handled by call.js, shared with the call page.
(function () {
  "use strict";
  const player = document.getElementById("player");
  if (!player) return;
  const start = parseFloat(player.dataset.cueStart);
  if (isNaN(start)) return;
  function cue() {
    try { player.currentTime = Math.max(0, start); } catch (e) { /* not seekable yet */ }
  }
  if (player.readyState >= 1) cue(); else player.addEventListener("loadedmetadata", cue, { once: true });
  const first = document.querySelector(".seg.cited");
  const box = document.getElementById("transcript");
  if (first && box) box.scrollTop = first.offsetTop - box.offsetTop - box.clientHeight / 3;
})();
