// Llama Ledger: sortable and filterable tables, and a hint on tables that scroll sideways.
// Plain DOM code served from the site (no CDN); runs again after Material's instant navigation.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.getAttribute("data-sort") || cell.textContent.trim();
  }

  function compare(a, b) {
    var x = parseFloat(a.replace(/,/g, "")), y = parseFloat(b.replace(/,/g, ""));
    var numeric = /^-?[\d,.]+$/.test(a) && /^-?[\d,.]+$/.test(b);
    if (numeric) return x - y;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, header, index) {
    var descending = header.getAttribute("aria-sort") === "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var order = compare(cellValue(r1, index), cellValue(r2, index));
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function makeSortable(table) {
    if (table.dataset.ledgerSortable) return;
    table.dataset.ledgerSortable = "1";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ledger-sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  function makeFilter(select) {
    if (select.dataset.ledgerFilter) return;
    select.dataset.ledgerFilter = "1";
    var id = select.getAttribute("data-table");
    var table = document.getElementById(id);
    select.addEventListener("change", function () {
      // Every filter of this table applies at once: a row shows when it matches them all.
      var selects = document.querySelectorAll('select.ledger-filter[data-table="' + id + '"]');
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = Array.prototype.every.call(selects, function (s) {
          return !s.value || row.getAttribute(s.getAttribute("data-attribute")) === s.value;
        });
        row.hidden = !match;
        if (match) shown += 1;
      });
      Array.prototype.forEach.call(selects, function (s) {
        var count = s.closest(".ledger-filters").querySelector(".ledger-filter-count");
        if (count) count.textContent = s === select ? shown + " shown" : "";
      });
    });
  }

  function markOverflow(wrapper) {
    var overflowing = wrapper.scrollWidth > wrapper.clientWidth + 1;
    wrapper.classList.toggle("ledger-scroll--overflowing", overflowing);
    if (overflowing) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute("aria-label", "Table, scrolls sideways");
    }
  }

  function nameSearchDialog() {
    // Material's search overlay has role="dialog" but no name; screen readers announce it as "Search".
    var dialog = document.querySelector(".md-search[role=dialog]");
    if (dialog && !dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
  }

  function setUp() {
    nameSearchDialog();
    document.querySelectorAll("table.ledger-sortable").forEach(makeSortable);
    document.querySelectorAll("select.ledger-filter").forEach(makeFilter);
    document.querySelectorAll(".ledger-scroll").forEach(markOverflow);
  }

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
  window.addEventListener("resize", function () {
    document.querySelectorAll(".ledger-scroll").forEach(markOverflow);
  });
})();
