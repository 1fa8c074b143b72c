// Llama Ledger: sortable and filterable tables, a hint on tables that scroll sideways, a copy button on citations.
// Plain DOM code served from the site (no CDN); runs again after Material's instant navigation.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var text = cell.getAttribute("data-sort") || cell.textContent.trim();
    return text === "—" ? "" : text;  // the dash an empty cell shows is no value
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
      var a = cellValue(r1, index), b = cellValue(r2, index);
      // An empty value (an undated source) says nothing about order: last in either direction.
      if (!a || !b) return (!a) - (!b);
      var order = compare(a, b);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  // A paginated list (data-all-rows) shows one page; its first sort or filter loads every row from
  // the list's rows.json (the same <tr>s its pages show), so both act on all of them, not one page.
  var loading = new WeakMap();

  function number(n) { return Number(n).toLocaleString("en-US"); }

  function setStatus(text, back) {
    document.querySelectorAll(".ledger-pager").forEach(function (nav) {
      var status = nav.querySelector(".ledger-pager-status");
      status.textContent = text;
      if (back) {
        var links = nav.querySelector(".ledger-pager-links");
        links.hidden = true;
        var again = document.createElement("a");
        again.href = location.pathname;
        again.textContent = back;
        status.appendChild(document.createTextNode(" "));
        status.appendChild(again);
      }
    });
  }

  function describe(table) {
    // Which view the reader has: every row (sorted, filtered) or one page of them.
    if (table.dataset.ledgerAll !== "loaded") return;
    var total = Number(table.getAttribute("data-total"));
    var shown = Array.prototype.filter.call(table.tBodies[0].rows, function (row) { return !row.hidden; }).length;
    var chosen = Array.prototype.filter.call(
      document.querySelectorAll('select.ledger-filter[data-table="' + CSS.escape(table.id) + '"]'),
      function (s) { return s.value; }
    ).map(function (s) {
      return s.closest("label").firstChild.textContent.replace(/^Show\s*|:\s*$/g, "") + ": " + s.options[s.selectedIndex].text;
    });
    var text = chosen.length ? number(shown) + " of all " + number(total) + " rows (" + chosen.join(", ") + ")" : "All " + number(total) + " rows";
    var sorted = table.querySelector("th[aria-sort]");
    text += sorted ? ", sorted by " + sorted.textContent.trim() + " (" + sorted.getAttribute("aria-sort") + ")." : ", in the list's order.";
    setStatus(text, "Back to page " + table.getAttribute("data-page") + " of " + table.getAttribute("data-pages"));
  }

  function loadAll(table) {
    if (table.dataset.ledgerAll === "loaded") return Promise.resolve(true);
    if (loading.has(table)) return loading.get(table);
    setStatus("Loading all " + number(table.getAttribute("data-total")) + " rows…");
    var first = new URL(table.getAttribute("data-first-page"), location.href);
    var promise = fetch(new URL(table.getAttribute("data-all-rows"), location.href))
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var holder = document.createElement("template");
        holder.innerHTML = "<table><tbody>" + data.rows + "</tbody></table>";
        var body = holder.content.querySelector("tbody");
        // The rows' links are relative to the list's first page.
        body.querySelectorAll("a[href]").forEach(function (a) {
          a.setAttribute("href", new URL(a.getAttribute("href"), first).href);
        });
        table.replaceChild(document.importNode(body, true), table.tBodies[0]);
        table.dataset.ledgerAll = "loaded";
        return true;
      })
      .catch(function () {
        // Opened from a file, say: the page still sorts and filters its own rows.
        table.removeAttribute("data-all-rows");
        setStatus("Could not load the other pages' rows: sorting and filters act on this page only.");
        return false;
      });
    loading.set(table, promise);
    return promise;
  }

  function withAllRows(table, action) {
    if (!table.hasAttribute("data-all-rows") || table.dataset.ledgerAll === "loaded") {
      action();
      describe(table);
      return;
    }
    loadAll(table).then(function () {
      action();
      applyFilters(table);
      describe(table);
    });
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
      button.addEventListener("click", function () {
        withAllRows(table, function () { sortBy(table, th, index); });
      });
    });
  }

  function applyFilters(table, changed) {
    // Every filter of this table applies at once: a row shows when it matches them all.
    var selects = document.querySelectorAll('select.ledger-filter[data-table="' + CSS.escape(table.id) + '"]');
    if (!selects.length) return;
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
      if (count && changed) count.textContent = s === changed ? (shown ? shown + " shown" : noMatch(selects)) : "";
    });
  }

  function noMatch(selects) {
    // An empty result says so, naming every filter that is set (the count is a live region).
    var chosen = Array.prototype.filter.call(selects, function (s) { return s.value; }).map(function (s) {
      return s.closest("label").firstChild.textContent.replace(/^Show\s*|:\s*$/g, "") + " " + s.options[s.selectedIndex].text;
    });
    return "No rows match " + chosen.join(" and ") + ": choose \u201call\u201d in a filter to see more.";
  }

  function makeFilter(select) {
    if (select.dataset.ledgerFilter) return;
    select.dataset.ledgerFilter = "1";
    var table = document.getElementById(select.getAttribute("data-table"));
    select.addEventListener("change", function () {
      withAllRows(table, function () { applyFilters(table, select); });
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

  function addCopyButton(pre) {
    // The BibTeX of "Cite this": one click copies the entry as text (selected instead where the
    // clipboard is refused, so Ctrl+C still works).
    if (pre.dataset.ledgerCopy) return;
    pre.dataset.ledgerCopy = "1";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ledger-copy";
    button.textContent = "Copy BibTeX";
    button.addEventListener("click", function () {
      var text = pre.textContent;
      var done = function () { button.textContent = "Copied"; };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, select);
      } else {
        select();
      }
    });
    pre.parentNode.insertBefore(button, pre.nextSibling);
  }

  function setUp() {
    nameSearchDialog();
    document.querySelectorAll(".ledger-cite pre.ledger-bibtex").forEach(addCopyButton);
    // The pager above the list announces which view it shows (once: the one below says the same).
    var status = document.querySelector(".ledger-pager .ledger-pager-status");
    if (status) status.setAttribute("aria-live", "polite");
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
