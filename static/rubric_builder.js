// Rubric builder (qa_app/templates/rubrics/builder.html): add / move / delete sections and criteria,
// a live weight summary, and on submit the form is serialised into one JSON document shaped like
// rubrics.io.to_dict (plus `automation_params` text per criterion). The server validates everything.
(function () {
  "use strict";
  var form = document.getElementById("rubric-builder");
  if (!form) return;
  var sectionsEl = document.getElementById("rb-sections");
  var tplSection = document.getElementById("rb-tpl-section");
  var tplCriterion = document.getElementById("rb-tpl-criterion");
  var lang = form.dataset.lang === "en" ? "en" : "zh";
  var dirty = false;

  function $(root, sel) { return root.querySelector(sel); }
  function $$(root, sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }
  function own(el, name) {
    // the field of this card only (criterion fields are nested inside section cards)
    var scope = el.classList.contains("rb-section") ? $(el, ".card-header") : el;
    return scope.querySelector('[data-f="' + name + '"]');
  }
  function val(el, name) { var f = own(el, name); return f ? f.value : ""; }
  function sections() { return $$(sectionsEl, ".rb-section"); }
  function criteriaOf(section) { return $$($(section, ".rb-criteria"), ".rb-criterion"); }
  function topField(name) {
    return form.querySelector('#rb-rubric [data-f="' + name + '"], input[type=hidden][data-f="' + name + '"]');
  }

  function number(raw) {
    var v = String(raw).trim();
    if (v === "") return null;
    var n = Number(v);
    return isFinite(n) ? n : v;
  }
  function fmt(n) {
    if (!isFinite(n)) return "–";
    return (Math.round(n * 10) / 10).toString();
  }
  function weightOf(c) {
    var n = Number(val(c, "weight"));
    return isFinite(n) && n > 0 ? n : 0;
  }
  function sectionTitle(s, i) {
    var t = val(s, lang === "en" ? "title_en" : "title_zh") || val(s, lang === "en" ? "title_zh" : "title_en");
    return (i + 1) + ". " + (t || form.dataset.labelSection + " " + (i + 1));
  }

  // --- derived display: numbering, titles, move-to selects, weights -----------------------------------
  function refresh() {
    var secs = sections();
    var total = 0;
    secs.forEach(function (s) { criteriaOf(s).forEach(function (c) { total += weightOf(c); }); });
    var summary = document.getElementById("rb-summary");
    summary.textContent = "";
    var criticalCount = 0;
    secs.forEach(function (s, si) {
      $(s, ".rb-num").textContent = String(si + 1);
      var sw = 0;
      var crits = criteriaOf(s);
      crits.forEach(function (c, ci) {
        var w = weightOf(c);
        sw += w;
        $(c, ".rb-num").textContent = (si + 1) + "." + (ci + 1);
        var title = val(c, lang === "en" ? "title_en" : "title_zh") || val(c, lang === "en" ? "title_zh" : "title_en");
        $(c, ".rb-ctitle").textContent = title || "—";
        $(c, ".rb-cid").textContent = val(c, "id");
        $(c, ".rb-cweight").textContent = fmt(w);
        $(c, ".rb-cshare").textContent = total ? fmt(100 * w / total) : "0";
        var badges = $(c, ".rb-badges");
        badges.textContent = "";
        var crit = val(c, "critical");
        if (crit) {
          criticalCount += 1;
          var b = document.createElement("span");
          b.className = "badge text-bg-danger";
          var opt = own(c, "critical").selectedOptions[0];
          b.textContent = opt.dataset.badge || opt.textContent;
          badges.appendChild(b);
        }
        var prim = val(c, "primitive");
        var a = document.createElement("span");
        a.className = "badge " + (prim ? "text-bg-info" : "text-bg-secondary") + " ms-1";
        a.textContent = prim || own(c, "primitive").options[0].textContent;
        badges.appendChild(a);
        // move-to select
        var sel = $(c, ".rb-move");
        sel.textContent = "";
        secs.forEach(function (t, ti) {
          var o = document.createElement("option");
          o.value = String(ti);
          o.textContent = "→ " + sectionTitle(t, ti);
          if (ti === si) o.selected = true;
          sel.appendChild(o);
        });
        $(c, ".rb-up").disabled = ci === 0;
        $(c, ".rb-down").disabled = ci === crits.length - 1;
        $(c, ".rb-max").classList.toggle("d-none", val(c, "scale_type") !== "points");
        $(c, ".rb-params").classList.toggle("d-none", !prim);
        var keysEl = $(c, ".rb-keys");
        var keys = prim ? own(c, "primitive").selectedOptions[0].dataset.keys : "";
        keysEl.textContent = keys ? keysEl.dataset.template.replace("{keys}", keys) : "";
      });
      $(s, ".rb-sweight").textContent = fmt(sw);
      $(s, ".rb-sshare").textContent = total ? fmt(100 * sw / total) : "0";
      $(s, ".card-header .rb-up").disabled = si === 0;
      $(s, ".card-header .rb-down").disabled = si === secs.length - 1;
      var tr = document.createElement("tr");
      var td1 = document.createElement("td");
      var link = document.createElement("a");
      link.href = "#";
      link.textContent = sectionTitle(s, si);
      link.addEventListener("click", function (e) { e.preventDefault(); s.scrollIntoView({ behavior: "smooth" }); });
      td1.appendChild(link);
      var td2 = document.createElement("td"); td2.className = "text-end"; td2.textContent = fmt(sw);
      var td3 = document.createElement("td"); td3.className = "text-end"; td3.textContent = total ? fmt(100 * sw / total) : "0";
      tr.appendChild(td1); tr.appendChild(td2); tr.appendChild(td3);
      summary.appendChild(tr);
    });
    document.getElementById("rb-total").textContent = fmt(total);
    var cc = document.getElementById("rb-critical-count");
    cc.textContent = cc.dataset.template.replace("{n}", String(criticalCount));
  }

  // --- structure changes --------------------------------------------------------------------------------
  function uniqueId(prefix, used) {
    var n = 1;
    while (used.indexOf(prefix + n) !== -1) n += 1;
    return prefix + n;
  }
  function usedIds(selector) {
    var out = [];
    $$(sectionsEl, selector).forEach(function (el) { var f = own(el, "id"); if (f) out.push(f.value); });
    return out;
  }
  function addCriterion(section) {
    var node = tplCriterion.content.firstElementChild.cloneNode(true);
    own(node, "id").value = uniqueId("item_", usedIds(".rb-criterion"));
    own(node, "weight").value = "5";
    $(section, ".rb-criteria").appendChild(node);
    markDirty();
    refresh();
    own(node, "title_zh").focus();
    return node;
  }
  function addSection() {
    var node = tplSection.content.firstElementChild.cloneNode(true);
    own(node, "id").value = uniqueId("section_", usedIds(".rb-section"));
    sectionsEl.appendChild(node);
    addCriterion(node);
    own(node, "title_zh").focus();
  }
  function move(el, delta) {
    var parent = el.parentNode;
    var sib = delta < 0 ? el.previousElementSibling : el.nextElementSibling;
    while (sib && !sib.classList.contains(el.classList.contains("rb-section") ? "rb-section" : "rb-criterion")) {
      sib = delta < 0 ? sib.previousElementSibling : sib.nextElementSibling;
    }
    if (!sib) return;
    if (delta < 0) parent.insertBefore(el, sib); else parent.insertBefore(sib, el);
    markDirty();
    refresh();
    el.scrollIntoView({ block: "nearest" });
  }
  function setOpen(card, open) {
    $(card, ".rb-body").classList.toggle("d-none", !open);
    var t = $(card, ".rb-toggle");
    t.textContent = open ? "▾" : "▸";
    t.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function markDirty() { dirty = true; }

  form.addEventListener("click", function (e) {
    var btn = e.target.closest("button");
    if (!btn) return;
    var card = btn.closest(".rb-criterion") || btn.closest(".rb-section");
    if (btn.classList.contains("rb-toggle")) {
      setOpen(card, $(card, ".rb-body").classList.contains("d-none"));
    } else if (btn.classList.contains("rb-up")) {
      move(card, -1);
    } else if (btn.classList.contains("rb-down")) {
      move(card, 1);
    } else if (btn.classList.contains("rb-del")) {
      var isSection = card.classList.contains("rb-section");
      if (window.confirm(isSection ? form.dataset.msgDeleteSection : form.dataset.msgDeleteCriterion)) {
        card.remove();
        markDirty();
        refresh();
      }
    } else if (btn.classList.contains("rb-add-criterion")) {
      addCriterion(btn.closest(".rb-section"));
    } else if (btn.id === "rb-add-section") {
      addSection();
    } else if (btn.id === "rb-expand" || btn.id === "rb-collapse") {
      $$(sectionsEl, ".rb-criterion").forEach(function (c) { setOpen(c, btn.id === "rb-expand"); });
    } else {
      return;
    }
    e.preventDefault();
  });

  form.addEventListener("change", function (e) {
    var sel = e.target.closest(".rb-move");
    if (sel) {
      var target = sections()[Number(sel.value)];
      var card = sel.closest(".rb-criterion");
      if (target && !target.contains(card)) {
        $(target, ".rb-criteria").appendChild(card);
        markDirty();
        refresh();
        card.scrollIntoView({ block: "nearest" });
      }
      return;
    }
    markDirty();
    refresh();
  });
  form.addEventListener("input", function (e) {
    markDirty();
    var f = e.target.getAttribute("data-f");
    if (f === "weight" || f === "title_zh" || f === "title_en" || f === "id") refresh();
  });

  // jump links in the error summary open the item
  $$(form, ".rb-jump").forEach(function (a) {
    a.addEventListener("click", function () {
      var el = document.querySelector(a.getAttribute("href"));
      if (el && el.classList.contains("rb-criterion")) setOpen(el, true);
    });
  });

  // --- serialisation ------------------------------------------------------------------------------------
  function pair(el, base) {
    return { zh: val(el, base + "_zh"), en: val(el, base + "_en") };
  }
  function serialise() {
    var doc = {
      title: { zh: topField("title_zh").value, en: topField("title_en").value },
      language: topField("language").value || "zh",
      sections: []
    };
    var dzh = topField("description_zh").value, den = topField("description_en").value;
    if (dzh || den) doc.description = { zh: dzh, en: den };
    sections().forEach(function (s) {
      var sd = { id: val(s, "id").trim(), title: pair(s, "title"), criteria: [] };
      criteriaOf(s).forEach(function (c) {
        var cd = { id: val(c, "id").trim(), title: pair(c, "title") };
        var g = pair(c, "guidance");
        if (g.zh || g.en) cd.guidance = g;
        cd.weight = number(val(c, "weight"));
        var kind = val(c, "scale_type");
        if (kind === "points") {
          var max = number(val(c, "scale_max"));
          cd.scale = max === null ? { type: "points" } : { type: "points", max: max };
        } else {
          cd.scale = kind;
        }
        cd.allow_na = own(c, "allow_na").checked;
        cd.critical = val(c, "critical") || null;
        cd.party = val(c, "party");
        var prim = val(c, "primitive");
        cd.automation = prim ? { primitive: prim } : null;
        cd.automation_params = prim ? val(c, "params") : "";
        sd.criteria.push(cd);
      });
      doc.sections.push(sd);
    });
    return doc;
  }

  // Enter in a text field must not submit (the first submit button may be "save my version anyway")
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type !== "submit") e.preventDefault();
  });

  form.addEventListener("submit", function () {
    form.querySelector('input[name="document"]').value = JSON.stringify(serialise());
    dirty = false;
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = form.dataset.msgUnsaved; }
  });

  // a re-rendered page with errors or a conflict still holds unsaved input
  if (document.getElementById("rb-errors") || document.getElementById("rb-conflict")) dirty = true;
  refresh();
  form.classList.remove("d-none");
})();
