// apiguard report: filters and the attack-path graph's highlighting. No
// network, no libraries. Sets window.__apiguardReady when initialised.
(function () {
  "use strict";
  var doc = document;

  // Findings: checkboxes by layer, severity and status.
  function initFindingFilters() {
    var form = doc.getElementById("finding-filters");
    if (!form) return;
    var findings = Array.prototype.slice.call(doc.querySelectorAll("article.finding"));
    var sections = Array.prototype.slice.call(doc.querySelectorAll("section.layer"));
    var mores = Array.prototype.slice.call(doc.querySelectorAll("details.more")).map(function (d) {
      return {el: d, rows: Array.prototype.slice.call(d.querySelectorAll("tbody tr"))};
    });
    var total = findings.length;
    mores.forEach(function (m) { total += m.rows.length; });
    var shown = doc.getElementById("findings-shown");
    function checked(name) {
      var out = {};
      form.querySelectorAll("input[name=" + name + "]").forEach(function (i) { if (i.checked) out[i.value] = true; });
      return out;
    }
    function apply() {
      var l = checked("layer"), s = checked("severity"), st = checked("status"), n = 0;
      findings.forEach(function (f) {
        var ok = l[f.dataset.layer] && s[f.dataset.severity] && st[f.dataset.status];
        // a finding linked to (#ID) is shown whatever the filters say
        if (location.hash && location.hash.slice(1) === f.id) ok = true;
        f.classList.toggle("hidden", !ok);
        if (ok) n++;
      });
      mores.forEach(function (m) {
        var open = l[m.el.dataset.layer] && s[m.el.dataset.severity], k = 0;
        m.rows.forEach(function (r) {
          var ok = open && st[r.dataset.status];
          r.classList.toggle("hidden", !ok);
          if (ok) k++;
        });
        m.el.classList.toggle("hidden", k === 0);
        n += k;
      });
      sections.forEach(function (sec) {
        sec.classList.toggle("hidden", !sec.querySelector("article.finding:not(.hidden),details.more:not(.hidden)"));
      });
      shown.textContent = n + " of " + total + " findings shown";
    }
    form.addEventListener("change", apply);
    window.addEventListener("hashchange", apply);
    apply();
  }

  // Generic tables: selects filter rows on data-f1..3.
  function initTableFilters() {
    doc.querySelectorAll("form.tfilters").forEach(function (form) {
      var table = doc.getElementById(form.dataset.table);
      if (!table) return;
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      var shown = form.querySelector(".shown");
      var main = rows.filter(function (r) { return !r.classList.contains("detail"); }).length;
      function apply() {
        var want = {};
        form.querySelectorAll("select").forEach(function (s) { if (s.value) want["f" + s.dataset.slot] = s.value; });
        var n = 0;
        rows.forEach(function (r) {
          var ok = true;
          for (var k in want) if (r.dataset[k] !== want[k]) ok = false;
          r.classList.toggle("hidden", !ok);
          if (ok && !r.classList.contains("detail")) n++;
        });
        shown.textContent = n + " of " + main + " shown";
      }
      form.addEventListener("change", apply);
      apply();
    });
  }

  // The graph: a click (or Enter) on a subject highlights its paths.
  function initGraph() {
    var svg = doc.getElementById("attack-graph");
    if (!svg) return;
    var data = JSON.parse(doc.getElementById("graph-data").textContent || "{}");
    var paths = data.paths || {}, edges = data.edges || [];
    var nodeEls = {}, edgeEls = {}, labelEls = {};
    svg.querySelectorAll("g.node").forEach(function (g) { nodeEls[g.dataset.node] = g; });
    svg.querySelectorAll("g.edge").forEach(function (g) { edgeEls[g.dataset.edge] = g; });
    svg.querySelectorAll("text.elabel").forEach(function (t) { labelEls[t.dataset.edge] = t; });
    var panel = doc.getElementById("selection");

    function clear() {
      svg.classList.remove("focus");
      svg.querySelectorAll(".hl,.selected").forEach(function (e) { e.classList.remove("hl", "selected"); });
    }
    function mark(ids) {
      ids.forEach(function (id) {
        var e = edges[id];
        if (edgeEls[id]) edgeEls[id].classList.add("hl");
        if (labelEls[id]) labelEls[id].classList.add("hl");
        if (e) {
          if (nodeEls[e.from]) nodeEls[e.from].classList.add("hl");
          if (nodeEls[e.to]) nodeEls[e.to].classList.add("hl");
        }
      });
    }
    function text(el) { return el ? el.textContent : ""; }
    function select(id) {
      clear();
      var ps = paths[id] || [];
      if (!ps.length) { panel.innerHTML = "<p>No subject selected.</p>"; return; }
      svg.classList.add("focus");
      nodeEls[id].classList.add("selected", "hl");
      ps.forEach(mark);
      panel.textContent = "";
      var h = doc.createElement("p");
      h.innerHTML = "<strong></strong>: " + ps.length + " shortest path(s), " + ps[0].length + " step(s) each.";
      h.firstChild.textContent = nodeEls[id].dataset.subject;
      panel.appendChild(h);
      ps.forEach(function (p, i) {
        var ol = doc.createElement("ol");
        ol.setAttribute("aria-label", "path " + (i + 1));
        p.forEach(function (eid) {
          var li = doc.createElement("li");
          var t = edgeEls[eid] && edgeEls[eid].querySelector("title");
          li.textContent = text(t);
          ol.appendChild(li);
        });
        panel.appendChild(ol);
      });
    }
    svg.addEventListener("click", function (ev) {
      var g = ev.target.closest ? ev.target.closest("g.node.subject") : null;
      if (g) select(g.dataset.node); else { clear(); panel.innerHTML = "<p>No subject selected.</p>"; }
    });
    svg.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter" && ev.key !== " ") return;
      var g = ev.target.closest ? ev.target.closest("g.node.subject") : null;
      if (g) { ev.preventDefault(); select(g.dataset.node); }
    });
    // the cut ranking: highlight the steps a binding allows
    doc.querySelectorAll("button.cut-hl").forEach(function (b) {
      b.addEventListener("click", function () {
        clear();
        svg.classList.add("focus");
        var want = b.dataset.binding, ids = [];
        Object.keys(edgeEls).forEach(function (id) {
          var via = edgeEls[id].dataset.via || "";
          via.split("; ").forEach(function (part) {
            if (part === want || part.indexOf(want + " \u2192 ") === 0) ids.push(+id);
          });
        });
        mark(ids);
        panel.textContent = want + " allows " + ids.length + " of the steps drawn (highlighted).";
        svg.scrollIntoView({block: "nearest"});
      });
    });
  }

  function init() {
    try {
      initFindingFilters();
      initTableFilters();
      initGraph();
    } finally {
      window.__apiguardReady = true;
    }
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init); else init();
})();
