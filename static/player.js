// The call player (templates/calls/_player.html), shared by the call page and the review workspace:
// waveform with speaker-coloured regions (wavesurfer.js, drawn from server-computed peaks over the page's
// own <audio> element), transcript synced to playback (click or Enter on a line seeks; the line being
// heard is highlighted and kept in view), evidence links that seek and mark the cited lines, ?t=<seconds>,
// and keyboard control: space play/pause, ←/→ ±5 s, ↑/↓ (in the player or transcript) or k/j
// previous/next line. Without JavaScript the plain <audio controls> still plays.
(function () {
  "use strict";
  const audio = document.getElementById("player");
  if (!audio) return;
  window.qaPlayer = audio;
  const bar = document.getElementById("player-bar");
  const box = document.getElementById("transcript");
  const clock = document.getElementById("player-clock");
  const segs = Array.from(document.querySelectorAll("#transcript .seg"));
  const starts = segs.map(function (s) { return parseFloat(s.dataset.segStart); });
  const ends = segs.map(function (s) { return parseFloat(s.dataset.segEnd); });
  const COLORS = {
    agent: "rgba(13, 110, 253, 0.20)",
    customer: "rgba(253, 126, 20, 0.24)",
    ivr: "rgba(111, 66, 193, 0.18)",
    unknown: "rgba(108, 117, 125, 0.15)",
  };
  let current = -1;

  // the transcript column sticks below the (sticky) player bar: tell the CSS how tall the bar is
  function barHeight() { if (bar) document.documentElement.style.setProperty("--player-h", bar.offsetHeight + "px"); }
  barHeight();
  window.addEventListener("resize", barHeight);

  function mmss(t) {
    if (!isFinite(t) || t < 0) t = 0;
    const s = Math.floor(t), m = Math.floor(s / 60);
    const two = function (n) { return (n < 10 ? "0" : "") + n; };
    return m >= 60 ? Math.floor(m / 60) + ":" + two(m % 60) + ":" + two(s % 60) : two(m) + ":" + two(s % 60);
  }

  // index of the last line that started at or before t (-1 before the first line)
  function lineAt(t) {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.001) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function keepInView(el) {
    if (!box || !el) return;
    const top = el.offsetTop - box.offsetTop, bottom = top + el.offsetHeight;
    if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function highlight(t, scroll) {
    const i = lineAt(t);
    if (i !== current) {
      if (current >= 0) { segs[current].classList.remove("playing"); segs[current].removeAttribute("aria-current"); }
      current = i;
      if (i >= 0) {
        segs[i].classList.add("playing");
        segs[i].setAttribute("aria-current", "true");
        if (scroll) keepInView(segs[i]);
      }
    }
    if (clock) clock.textContent = mmss(t) + (isFinite(audio.duration) ? " / " + mmss(audio.duration) : "");
  }

  function seek(t, play) {
    t = Math.max(0, t);
    if (isFinite(audio.duration) && audio.duration > 0) t = Math.min(t, audio.duration);
    audio.currentTime = t;
    highlight(t, true);
    if (play) audio.play().catch(function () {});
  }

  function toggle() {
    if (audio.paused) audio.play().catch(function () {}); else audio.pause();
  }

  function focusLine(i) {
    segs.forEach(function (s, j) { s.tabIndex = j === i ? 0 : -1; });
    if (segs[i]) { segs[i].focus({ preventScroll: true }); keepInView(segs[i]); }
  }

  function step(dir) {
    if (!segs.length) return;
    const t = audio.currentTime;
    let i;
    if (dir > 0) {
      i = starts.findIndex(function (s) { return s > t + 0.05; });
      if (i < 0) return;
    } else {
      const at = lineAt(t);
      i = at >= 0 && t - starts[at] > 1.0 ? at : Math.max(0, at - 1);
    }
    seek(starts[i], false);
    focusLine(i);
  }

  const actions = {
    play: toggle,
    back: function () { seek(audio.currentTime - 5, false); },
    fwd: function () { seek(audio.currentTime + 5, false); },
    prev: function () { step(-1); },
    next: function () { step(1); },
  };
  document.querySelectorAll("[data-player]").forEach(function (btn) {
    btn.addEventListener("click", function () { actions[btn.dataset.player](); });
  });

  segs.forEach(function (el, i) {
    el.addEventListener("click", function () {
      if (String(window.getSelection ? window.getSelection() : "").trim()) return; // selecting words to comment
      focusLine(i);
      seek(starts[i], true);
    });
  });

  function markCited(start, end, segId) {
    segs.forEach(function (s, i) {
      const on = s.dataset.seg === segId || (starts[i] < end && ends[i] > start);
      s.classList.toggle("cited", on);
    });
    const first = box && box.querySelector(".seg.cited");
    if (first) keepInView(first);
  }

  document.addEventListener("click", function (ev) {
    const a = ev.target.closest && ev.target.closest("a.evidence");
    if (!a) return;
    ev.preventDefault();
    const start = parseFloat(a.dataset.start), end = parseFloat(a.dataset.end);
    markCited(start, end, a.dataset.seg);
    seek(start, true);
  });

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT|AUDIO|VIDEO)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const el = ev.target;
    if (typing(el)) return;
    const inPlayer = el === document.body || el === document.documentElement ||
      (bar && bar.contains(el)) || (box && box.contains(el));
    switch (ev.key) {
      case " ":
      case "Spacebar":
        if (el.closest && el.closest("button, a, summary, [role=button]")) return; // keeps activating them
        toggle();
        break;
      case "ArrowLeft": actions.back(); break;
      case "ArrowRight": actions.fwd(); break;
      case "ArrowUp": if (!inPlayer) return; step(-1); break;
      case "ArrowDown": if (!inPlayer) return; step(1); break;
      case "k": case "K": step(-1); break;
      case "j": case "J": step(1); break;
      case "Enter": {
        const i = segs.indexOf(el);
        if (i < 0) return;
        seek(starts[i], true);
        break;
      }
      default: return;
    }
    ev.preventDefault();
  });

  audio.addEventListener("timeupdate", function () { highlight(audio.currentTime, !audio.paused); });
  audio.addEventListener("seeked", function () { highlight(audio.currentTime, false); });
  audio.addEventListener("loadedmetadata", function () { highlight(audio.currentTime, false); });

  // ?t=<seconds>: start there (the server also puts it in the sources as a media fragment)
  const startAt = parseFloat((bar && bar.dataset.startAt) || new URLSearchParams(window.location.search).get("t"));
  if (isFinite(startAt) && startAt >= 0) {
    const i = lineAt(startAt);
    if (i >= 0) { segs[i].classList.add("cited"); focusLine(i); }
    const cue = function () { audio.currentTime = startAt; highlight(startAt, true); };
    cue();
    if (audio.readyState < 1) audio.addEventListener("loadedmetadata", cue, { once: true });
  } else {
    highlight(0, false);
  }

  // the waveform: peaks come from the server, the sound from the <audio> element above
  const wave = document.getElementById("waveform");
  if (wave && bar && bar.dataset.peaksUrl && window.WaveSurfer) {
    fetch(bar.dataset.peaksUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("peaks " + r.status); return r.json(); })
      .then(function (data) {
        if (!data.peaks || !data.peaks.length || !(data.duration > 0)) return;
        wave.hidden = false;
        barHeight();
        const plugins = [];
        const regions = window.WaveSurfer.Regions ? window.WaveSurfer.Regions.create() : null;
        if (regions) plugins.push(regions);
        const ws = window.WaveSurfer.create({
          container: wave,
          media: audio,
          peaks: [data.peaks],
          duration: data.duration,
          height: 56,
          normalize: true,
          waveColor: "#9aa4ae",
          progressColor: "#343a40",
          cursorColor: "#dc3545",
          cursorWidth: 2,
          barWidth: 2,
          barGap: 1,
          barRadius: 1,
          dragToSeek: true,
          plugins: plugins,
        });
        window.qaWaveSurfer = ws;
        if (regions) {
          ws.once("ready", function () {
            segs.forEach(function (s, i) {
              if (!(ends[i] > starts[i])) return;
              regions.addRegion({
                start: starts[i], end: ends[i], color: COLORS[s.dataset.role] || COLORS.unknown,
                drag: false, resize: false,
              });
            });
          });
        }
      })
      .catch(function () { wave.hidden = true; });
  }
})();
