// Llama Ledger: Material's header, drawer and search for keyboard and screen-reader users.
// Material opens its drawer and search with <label>s for hidden checkboxes, which Tab never reaches,
// and leaves the closed drawer's links (off-screen on a phone) and the search's empty output in the
// tab order. Here the labels become buttons, and whatever is closed is inert until it opens.
(function () {
  "use strict";

  // Material's breakpoints: below the first the primary sidebar is a drawer; below the second the
  // search is a full-screen overlay opened by its button.
  var DRAWER = window.matchMedia("(max-width: 76.234375em)");
  var OVERLAY = window.matchMedia("(max-width: 59.984375em)");

  function asButton(label, name) {
    if (!label || label.dataset.ledgerButton) return;
    label.dataset.ledgerButton = "1";
    label.setAttribute("role", "button");
    label.setAttribute("tabindex", "0");
    label.setAttribute("aria-label", name);
    label.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        event.stopPropagation(); // Material's own Enter on a label would click it a second time
        label.click();
      }
    });
  }

  function sync() {
    var drawer = document.getElementById("__drawer");
    var search = document.getElementById("__search");
    var nav = document.querySelector(".md-sidebar--primary");
    var menu = document.querySelector('.md-header label[for="__drawer"]');
    if (drawer && nav) nav.inert = DRAWER.matches && !drawer.checked;
    if (drawer && menu) menu.setAttribute("aria-expanded", String(drawer.checked));
    var overlay = document.querySelector(".md-search");
    if (search && overlay) overlay.inert = OVERLAY.matches && !search.checked;
  }

  // The colour toggle: two radio buttons, each followed by the label that switches to the other
  // scheme; only one label shows. Tab must land on the radio whose label shows (the first radio
  // otherwise, its label hidden, so the ring is drawn on nothing), and Enter or Space switch.
  function syncPalette() {
    document.querySelectorAll(".md-header__option .md-option").forEach(function (radio) {
      var label = radio.nextElementSibling;
      radio.tabIndex = label && label.tagName === "LABEL" && !label.hidden ? 0 : -1;
    });
  }

  document.addEventListener("keydown", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches(".md-header__option .md-option")) return;
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    radio.nextElementSibling.click();
    setTimeout(function () {
      syncPalette();
      var shown = document.querySelector('.md-header__option .md-option[tabindex="0"]');
      if (shown) shown.focus();
    }, 0);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".md-option")) setTimeout(syncPalette, 0);
  });

  function setUp() {
    syncPalette();
    asButton(document.querySelector('.md-header label[for="__drawer"]'), "Navigation menu");
    asButton(document.querySelector('.md-header > .md-header__inner > label[for="__search"]'), "Search");
    // An empty, zero-height box until there are results, whose own links are focusable: out of the
    // tab order (-1, not no tabindex: Chromium makes a scrolling box a focus stop by itself).
    var output = document.querySelector(".md-search__scrollwrap");
    if (output) output.setAttribute("tabindex", "-1");
    // The current section's tab and drawer link say so to screen readers too: "page" on the page
    // itself, "true" on a page inside it (an entity page; builder/sections.py marks it active).
    var current = ".md-tabs__item--active > .md-tabs__link, .md-nav--primary .md-nav__item--active > a.md-nav__link";
    document.querySelectorAll(current).forEach(function (link) {
      link.setAttribute("aria-current", link.pathname === location.pathname ? "page" : "true");
    });
    sync();
  }

  // Capture: the drawer and search open before Material's own listeners move focus into them.
  document.addEventListener("change", function (event) {
    if (event.target.id !== "__drawer" && event.target.id !== "__search") return;
    sync();
    var opened = event.target.checked;
    // Opened: focus moves into it (the drawer's first link, the search's box), not behind its overlay.
    if (opened && event.target.id === "__drawer" && DRAWER.matches) {
      var first = document.querySelector(".md-sidebar--primary a[href]");
      if (first) first.focus();
    }
    if (opened && event.target.id === "__search") {
      var query = document.querySelector(".md-search__input");
      if (query) query.focus();
    }
    // Closed with focus inside: back to the button that opened it.
    if (!opened) {
      var button = document.querySelector('.md-header label[for="' + event.target.id + '"][tabindex]');
      var active = document.activeElement;
      if (button && button.offsetParent && (!active || active === document.body || active.closest("[inert]"))) button.focus();
    }
  }, true);
  document.addEventListener("keydown", function (event) {
    var drawer = document.getElementById("__drawer");
    if (event.key === "Escape" && drawer && drawer.checked) drawer.click();
  });
  DRAWER.addEventListener("change", sync);
  OVERLAY.addEventListener("change", sync);

  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
