// Llama Ledger: Material's own search worker, with one change to its results: pages whose title is
// exactly what the reader typed come first. Lunr matches every word as a prefix and scores pages
// alike when they share the words ("LLaMA" is a word of every Llama model's name, "Google" of
// "Google DeepMind"), so the page named by the query could rank below the pages that extend its name.
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

  function exactFirst(groups, typed) {
    var wanted = normalise(typed.replace(/"/g, " "));
    if (!wanted) return groups;
    var exact = [], rest = [];
    groups.forEach(function (group) {
      (normalise(pageTitle(group)) === wanted ? exact : rest).push(group);
    });
    return exact.concat(rest); // stable: among exact matches, and among the rest, lunr's order holds
  }

  var post = self.postMessage.bind(self);
  // Material's worker calls the global postMessage: this own property shadows the built-in one.
  self.postMessage = function (message) {
    if (message && message.type === RESULT && message.data && Array.isArray(message.data.items)) {
      message.data.items = exactFirst(message.data.items, query);
    }
    post(message);
  };

  var worker = new URL(self.location.href).searchParams.get("worker") || "";
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(worker)) throw new Error("ledger-search: unexpected worker " + worker);
  importScripts(worker);
})();
