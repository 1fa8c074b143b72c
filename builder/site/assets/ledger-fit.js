// Llama Ledger: a table shows the columns its width has room for. Where a table would scroll sideways
// (a data preview of twenty columns on a desktop), its rightmost columns are hidden one by one until it
// fits, and a note above it names them and where they are (the row's page, the downloads). Recomputed
// when the window is resized; rows loaded later (a list's other pages) follow the same rule.
(function () {
  "use strict";

  var made = 0;

  function ruleFor(table) {
    if (!table.dataset.ledgerFit) table.dataset.ledgerFit = String(++made);
    var id = "ledger-fit-" + table.dataset.ledgerFit;
    var style = document.getElementById(id);
    if (!style) {
      style = document.createElement("style");
      style.id = id;
      style.className = "ledger-fit-rule";
      document.head.appendChild(style);
    }
    return style;
  }

  function show(table, style, shown, columns) {
    style.textContent = shown < columns
      ? 'table[data-ledger-fit="' + table.dataset.ledgerFit + '"] tr > :nth-child(n+' + (shown + 1) + ") { display: none; }"
      : "";
  }

  // Where a hidden column's values are: a list whose rows link to their pages has them there; a data
  // preview, or rows with no page (a timeline event), only in the downloads.
  function whereHidden(table) {
    var paged = !table.classList.contains("ledger-preview") && !!table.querySelector("tbody > tr > td:first-child a");
    return paged ? " on each row's page and in the downloads." : " in the downloads.";
  }

  function note(wrapper, hidden, columns) {
    var p = wrapper.previousElementSibling;
    if (!p || !p.classList.contains("ledger-fit-note")) {
      if (!hidden.length) return;
      p = document.createElement("p");
      p.className = "ledger-fit-note";
      wrapper.parentNode.insertBefore(p, wrapper);
    }
    p.hidden = !hidden.length;
    p.textContent = hidden.length
      ? "Showing " + (columns - hidden.length) + " of " + columns + " columns at this width; " +
        hidden.join(", ") + " " + (hidden.length > 1 ? "are" : "is") + whereHidden(wrapper.querySelector("table.ledger-table"))
      : "";
  }

  function fit(wrapper) {
    var table = wrapper.querySelector("table.ledger-table");
    if (!table || !table.tHead || !table.tHead.rows.length) return;
    var headings = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent.trim(); });
    var columns = headings.length, shown = columns;
    var style = ruleFor(table);
    show(table, style, shown, columns);
    // A phone shows rows as blocks (ledger.css): no columns to choose there.
    if (getComputedStyle(table).display === "table") {
      while (shown > 2 && wrapper.scrollWidth > wrapper.clientWidth + 1) {
        shown -= 1;
        show(table, style, shown, columns);
      }
    }
    note(wrapper, headings.slice(shown), columns);
    if (wrapper.scrollWidth <= wrapper.clientWidth + 1 && wrapper.classList.contains("ledger-scroll--overflowing")) {
      // ledger.js marked it as scrolling before the columns were chosen: it no longer does.
      wrapper.classList.remove("ledger-scroll--overflowing");
      ["tabindex", "role", "aria-label"].forEach(function (name) { wrapper.removeAttribute(name); });
    }
  }

  function fitAll() {
    document.querySelectorAll(".ledger-scroll").forEach(fit);
  }

  function setUp() {
    // After Material's instant navigation the old page's rules are stale.
    document.querySelectorAll("style.ledger-fit-rule").forEach(function (style) { style.remove(); });
    made = 0;
    fitAll();
  }

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(fitAll, 100);
  });
})();
