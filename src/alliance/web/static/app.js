// Alliance web workspace: the little script the pages need (the content security policy allows no
// inline script, so charts are described as JSON data blocks and drawn from here).
(function () {
  "use strict";

  // Every htmx request carries the session's CSRF token (writes are refused without it).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
  });

  // Uploads show how much has been sent: a form with data-progress="ID" fills <progress id="ID">.
  function progressOf(elt) {
    var form = elt && elt.closest ? elt.closest("[data-progress]") : null;
    return form ? document.getElementById(form.dataset.progress) : null;
  }
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = progressOf(event.target);
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.textContent = bar.value + "%";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var bar = progressOf(event.target);
    if (bar) bar.hidden = true;
  });

  var charts = new Map();

  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var old = charts.get(el);
      if (old) old.dispose();
      var option = JSON.parse(source.textContent);
      var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
      var chart = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
      if (dark) option.backgroundColor = "transparent";
      chart.setOption(option);
      // A data item with an `href` (a heat map's cell) opens its page when clicked.
      chart.on("click", function (params) {
        if (params.data && params.data.href) window.location.assign(params.data.href);
      });
      charts.set(el, chart);
      el.dataset.chartReady = "true";
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  // Range inputs show their value beside them as they move.
  function bindOutputs(root) {
    root.querySelectorAll("input[type=range][data-output]").forEach(function (input) {
      var out = document.getElementById(input.dataset.output);
      if (!out) return;
      input.addEventListener("input", function () { out.textContent = input.value; });
    });
  }

  // "Line N" beside an agreement's problem: select that line in the editor and bring it into view.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-goto-line]") : null;
    if (!button) return;
    var editor = document.getElementById(button.dataset.target);
    if (!editor) return;
    // Lines end where YAML says they do (the server counts the same breaks).
    var text = editor.value, breaks = /\r\n|[\n\r\u0085\u2028\u2029]/g;
    var wanted = parseInt(button.dataset.gotoLine, 10), line = 1, start = 0, end = text.length, found;
    while ((found = breaks.exec(text)) !== null) {
      if (line === wanted) { end = found.index; break; }
      line += 1;
      start = found.index + found[0].length;
    }
    editor.focus();
    editor.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(editor).lineHeight) || 20;
    editor.scrollTop = Math.max(0, (wanted - 3) * lineHeight);
  });

  // A button with data-copy="ID" copies the text of element ID (a command to run) and shows the
  // element data-copy-status names; without clipboard access it selects the text to copy by hand.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var status = document.getElementById(button.dataset.copyStatus || "");
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    function copied() { if (status) status.hidden = false; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(copied, select);
    } else {
      select();
    }
  });

  function init(root) {
    draw(root);
    bindOutputs(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.detail.elt); });
})();
