// Review workspace form (templates/review/workspace.html): the override reason is revealed and required
// when an answer differs from the automated verdict; a live total preview (the saved total always comes
// from the server); comments anchored to the player time or to words selected in the transcript; submit
// asks for confirmation. Without JavaScript the form still posts and the server checks everything.
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form) return;
  const rows = Array.from(form.querySelectorAll("tr.criterion-row"));
  const player = window.qaPlayer;

  // --- answers -------------------------------------------------------------------------------------
  function answer(row) {
    const kind = row.dataset.scale;
    const na = row.querySelector('input[name^="result-"][value="na"]:checked');
    if (na) return { result: "na", points: null };
    if (kind === "pass_fail") {
      const r = row.querySelector('input[type=radio][name^="result-"]:checked');
      return r ? { result: r.value, points: null } : null;
    }
    const input = row.querySelector(".points-input");
    if (!input || input.value.trim() === "" || !isFinite(parseFloat(input.value))) return null;
    const p = parseFloat(input.value);
    return { result: p <= parseFloat(row.dataset.min) ? "fail" : "pass", points: p };
  }

  function differs(row, a) {
    const machine = row.dataset.machine;
    if (!machine || !a) return false;
    if (a.result !== machine) return true;
    const mp = row.dataset.machinePoints;
    return a.points !== null && mp !== "" && parseFloat(mp) !== a.points;
  }

  function syncReason(row) {
    const a = answer(row);
    const box = row.querySelector(".reason-box");
    const area = box && box.querySelector("textarea");
    if (!area) return;
    const need = differs(row, a);
    box.hidden = !need && area.value.trim() === "";
    area.required = need;
    area.setAttribute("aria-required", need ? "true" : "false");
  }

  // --- live preview of the total (same rules as scoring.totals.compute; the server's total counts) ----
  function fraction(row, a) {
    if (row.dataset.scale === "pass_fail" || a.points === null) return a.result === "pass" ? 1 : 0;
    const lo = parseFloat(row.dataset.min), hi = parseFloat(row.dataset.max);
    if (!(hi > lo)) return a.result === "pass" ? 1 : 0;
    return (Math.min(Math.max(a.points, lo), hi) - lo) / (hi - lo);
  }

  function preview() {
    const answers = rows.map(function (row) { return { row: row, a: answer(row) }; });
    const failedSections = new Set();
    let failedAll = false;
    answers.forEach(function (x) {
      if (!x.a || x.a.result !== "fail") return;
      if (x.row.dataset.critical === "evaluation") failedAll = true;
      if (x.row.dataset.critical === "section") failedSections.add(x.row.dataset.section);
    });
    let earned = 0, possible = 0;
    answers.forEach(function (x) {
      if (!x.a || x.a.result === "na") return;
      const w = parseFloat(x.row.dataset.weight) || 0;
      possible += w;
      if (!failedAll && !failedSections.has(x.row.dataset.section)) earned += w * fraction(x.row, x.a);
    });
    const box = document.getElementById("total-preview-box");
    const out = document.getElementById("total-preview");
    if (!box || !out) return;
    box.hidden = false;
    out.textContent = possible > 0 ? (failedAll ? 0 : 100 * earned / possible).toFixed(1) : "—";
    document.getElementById("preview-critical").hidden = !(failedAll || failedSections.size);
  }

  rows.forEach(function (row) {
    row.addEventListener("change", function () { syncReason(row); preview(); });
    row.addEventListener("input", function (ev) {
      if (ev.target.classList.contains("points-input")) { syncReason(row); preview(); }
    });
    syncReason(row);
  });
  preview();

  // --- comments --------------------------------------------------------------------------------------
  const tbody = document.getElementById("comment-rows");
  const template = document.getElementById("comment-template");
  const fromSelection = document.getElementById("comment-from-selection");
  const atTime = document.getElementById("comment-at-time");

  function clock(t) {
    const s = Math.max(0, t), m = Math.floor(s / 60), rest = (s - m * 60).toFixed(1);
    return m ? m + ":" + (rest < 10 ? "0" : "") + rest : rest;
  }

  function emptyRow() {
    const last = tbody.querySelector("tr.comment-row:last-child");
    if (last && !last.querySelector("textarea").value.trim() && !last.querySelector('input[name$="-start"]').value) {
      return last;
    }
    const next = tbody.querySelectorAll("tr.comment-row").length;
    const html = template.innerHTML.replace(/__i__/g, String(next));
    tbody.insertAdjacentHTML("beforeend", html);
    return tbody.querySelector("tr.comment-row:last-child");
  }

  function addComment(start, end, segment, quote) {
    const row = emptyRow();
    row.querySelector('input[name$="-start"]').value = clock(start);
    row.querySelector('input[name$="-end"]').value = clock(end);
    row.querySelector('input[name$="-segment"]').value = segment === null ? "" : segment;
    row.querySelector('input[name$="-quote"]').value = quote || "";
    row.querySelector(".comment-quote").textContent = quote ? "“" + quote + "”" : "";
    const text = row.querySelector("textarea");
    text.focus();
    return row;
  }

  function selectedLine() {
    const sel = window.getSelection ? window.getSelection() : null;
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    const quote = String(sel).trim();
    if (!quote) return null;
    const node = sel.getRangeAt(0).commonAncestorContainer;
    const el = (node.nodeType === 1 ? node : node.parentElement);
    const seg = el && el.closest ? el.closest("#transcript .seg") : null;
    return seg ? { seg: seg, quote: quote.slice(0, 500) } : null;
  }

  let lastSelection = null;
  document.addEventListener("selectionchange", function () {
    const s = selectedLine();
    if (s) lastSelection = s;
    if (fromSelection) fromSelection.disabled = !s && !lastSelection;
  });
  if (fromSelection) {
    fromSelection.addEventListener("click", function () {
      const s = selectedLine() || lastSelection;
      if (!s) return;
      addComment(parseFloat(s.seg.dataset.segStart), parseFloat(s.seg.dataset.segEnd), s.seg.dataset.seg, s.quote);
      lastSelection = null;
      fromSelection.disabled = true;
    });
  }
  if (atTime) {
    atTime.addEventListener("click", function () {
      const t = player ? player.currentTime : 0;
      const line = document.querySelector("#transcript .seg.playing");
      const end = line && parseFloat(line.dataset.segEnd) > t ? parseFloat(line.dataset.segEnd) : t + 5;
      addComment(t, end, line ? line.dataset.seg : null, "");
    });
  }

  // --- submit with confirmation ------------------------------------------------------------------------
  const submit = document.getElementById("submit-review");
  const confirmBtn = document.getElementById("confirm-submit");
  const modalEl = document.getElementById("submit-confirm");
  let confirmed = false;
  if (submit && confirmBtn && modalEl && window.bootstrap) {
    const modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
    submit.addEventListener("click", function (ev) {
      if (confirmed) return;
      ev.preventDefault();
      const missing = rows.filter(function (row) { return !answer(row); }).length;
      const needReason = rows.filter(function (row) {
        const area = row.querySelector(".reason-box textarea");
        return area && area.required && !area.value.trim();
      }).length;
      const parts = [];
      if (missing) parts.push(modalEl.dataset.missing.replace("{n}", missing));
      if (needReason) parts.push(modalEl.dataset.reasons.replace("{n}", needReason));
      document.getElementById("confirm-summary").textContent = parts.join(" ");
      modal.show();
    });
    modalEl.addEventListener("shown.bs.modal", function () { confirmBtn.focus(); });
    confirmBtn.addEventListener("click", function () {
      confirmed = true;
      modal.hide();
      if (form.requestSubmit) form.requestSubmit(submit); else submit.click();
    });
  }

  // --- leaving with unsaved changes ----------------------------------------------------------------------
  let dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ""; }
  });
})();
