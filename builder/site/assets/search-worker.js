// Llama Ledger: Material's own search worker, with one change to its results: their order.
// 1. Pages whose title is exactly what the reader typed come first. Lunr matches every word as a prefix
//    and scores pages alike when they share the words ("LLaMA" is a word of every Llama model's name,
//    "Google" of "Google DeepMind"), so the page named by the query could rank below the pages that
//    extend its name.
// 2. Then pages whose title and keywords (the words a reader asks with, indexed from each page's
//    `search: keywords:`, never shown) hold more of the typed words, as whole words: "llama 3 release
//    date" opens Llama 3 (not Llama 3.2, whose "3.2" lunr takes for "3"), "who left meta" the
//    departures (not every model named "Meta Llama…"), "open source" the licences (not OpenAI).
//    Lunr's own order holds within each rank.
// The MkDocs hook points Material at this file with ?worker=<Material's worker file>; it lives beside
// that file so the worker's relative paths (lunr's language files) still resolve.
(function () {
  "use strict";
  var QUERY = 2, RESULT = 3; // Material's SearchMessageType values
  var query = "";

  // Registered before Material's listener, so the query is known when its result is posted.
  addEventListener("message", function (event) {
    if (event.data && event.data.type === QUERY) query = String(event.data.data || "");
  });

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };

  function normalise(text) {
    // The index's own word separator ([\s\-]+), case folded: "llama 2-chat" equals "Llama 2 Chat".
    return text
      .replace(/<[^>]*>/g, "")
      .replace(/&(amp|lt|gt|quot|#39|#x27);/g, function (entity) { return ENTITIES[entity]; })
      .toLowerCase()
      .split(/[\s\-]+/)
      .filter(Boolean)
      .join(" ");
  }

  function pageTitle(group) {
    // A group holds a page and its matching sections; the page itself is the item without a #anchor.
    for (var i = 0; i < group.length; i++) {
      if (group[i].location.indexOf("#") < 0) return group[i].title || "";
    }
    return "";
  }

  function pageKeywords(group) {
    for (var i = 0; i < group.length; i++) {
      if (group[i].location.indexOf("#") < 0) return group[i].keywords || "";
    }
    return "";
  }

  function fold(word) {
    // Whole words, lightly folded: "Meta's" is "meta", "dates" is "date", "(formerly" is "formerly".
    word = word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "").replace(/['\u2019]s$/, "");
    return word.length > 3 && /[^s]s$/.test(word) ? word.slice(0, -1) : word;
  }

  function words(text, keep) {
    return normalise(text).split(" ").filter(keep || Boolean).map(fold).filter(Boolean);
  }

  function asked(typed) {
    // The typed words that carry meaning: lunr's stop words ("who", "when") are in every question.
    var stop = self.lunr && self.lunr.stopWordFilter;
    var meaningful = function (word) {
      var bare = word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
      return bare !== "" && (!stop || stop(bare) !== undefined);
    };
    return words(typed, meaningful).filter(function (word, index, all) { return all.indexOf(word) === index; });
  }

  function rank(groups, typed) {
    var wanted = normalise(typed.replace(/"/g, " "));
    if (!wanted) return groups;
    var terms = asked(typed.replace(/"/g, " "));
    var ranked = groups.map(function (group, index) {
      var own = words(pageTitle(group) + " " + pageKeywords(group));
      var held = terms.filter(function (term) { return own.indexOf(term) >= 0; }).length;
      return { group: group, exact: normalise(pageTitle(group)) === wanted ? 1 : 0, held: held, index: index };
    });
    ranked.sort(function (a, b) { return b.exact - a.exact || b.held - a.held || a.index - b.index; });
    return ranked.map(function (item) { return item.group; }); // stable: lunr's order within a rank
  }

  var post = self.postMessage.bind(self);
  // Material's worker calls the global postMessage: this own property shadows the built-in one.
  self.postMessage = function (message) {
    if (message && message.type === RESULT && message.data && Array.isArray(message.data.items)) {
      message.data.items = rank(message.data.items, query);
    }
    post(message);
  };

  var worker = new URL(self.location.href).searchParams.get("worker") || "";
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(worker)) throw new Error("ledger-search: unexpected worker " + worker);
  importScripts(worker);
})();
