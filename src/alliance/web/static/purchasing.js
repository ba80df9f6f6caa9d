// Joint purchasing: the new campaign's tier-table editor. Rows and suppliers are added in the browser
// by copying the page's <template> elements (the CSP allows no inline script); the server reads the
// rows in the order they stand and names every wrong row beside it. Without script the form still
// works with the empty rows the server draws.
(function () {
  "use strict";

  function fromTemplate(id, quote) {
    var template = document.getElementById(id);
    if (!template) return null;
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__Q__/g, String(quote));
    return holder.firstElementChild;
  }

  function fromQuoteTemplate(quote) {
    var template = document.getElementById("quote-template");
    if (!template) return null;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__Q__/g, String(quote)).replace(/__N__/g, String(quote + 1));
    return holder.firstElementChild;
  }

  function addRow(body) {
    var row = fromTemplate("tier-row-template", body.dataset.quote);
    if (!row) return;
    body.appendChild(row);
    var first = row.querySelector("input");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var add = event.target.closest("[data-add-tier]");
    if (add) {
      var body = document.getElementById(add.dataset.addTier);
      if (body) addRow(body);
      return;
    }
    var remove = event.target.closest("[data-remove-tier]");
    if (remove) {
      var row = remove.closest("tr");
      if (!row) return;
      if (row.parentElement.querySelectorAll("tr").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
      return;
    }
    var addQuote = event.target.closest("[data-add-quote]");
    if (addQuote) {
      var list = document.getElementById(addQuote.dataset.addQuote);
      if (!list) return;
      var quote = list.querySelectorAll("[data-quote-block]").length;
      var block = fromQuoteTemplate(quote);
      if (!block) return;
      list.appendChild(block);
      var name = block.querySelector("input");
      if (name) name.focus();
    }
  });
})();
