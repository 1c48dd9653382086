// The explorer's search box: finds model ids in the search index (search-index.js, loaded first)
// and links each to its family page. Plain DOM, no network: the pages open from disk.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";
  var index = window.HUB_CENSUS_SEARCH || [];
  var input = document.getElementById("search");
  var list = document.getElementById("search-results");
  if (!input || !list) {
    return;
  }
  var LIMIT = 20;

  function find(query) {
    var exact = [];
    var prefix = [];
    var inside = [];
    for (var i = 0; i < index.length; i++) {
      var id = index[i][0].toLowerCase();
      if (id === query) {
        exact.push(index[i]);
      } else if (id.indexOf(query) === 0 || id.indexOf("/" + query) !== -1) {
        prefix.push(index[i]);
      } else if (id.indexOf(query) !== -1) {
        inside.push(index[i]);
      }
    }
    return exact.concat(prefix, inside);
  }

  function render() {
    var query = input.value.trim().toLowerCase();
    list.textContent = "";
    if (!query) {
      return;
    }
    var found = find(query);
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No model matches (only the largest families have pages).";
      list.appendChild(none);
      return;
    }
    found.slice(0, LIMIT).forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + entry[1];
      link.textContent = entry[0];
      item.appendChild(link);
      list.appendChild(item);
    });
    if (found.length > LIMIT) {
      var more = document.createElement("li");
      more.className = "none";
      more.textContent = (found.length - LIMIT) + " more: type more of the id.";
      list.appendChild(more);
    }
  }

  input.addEventListener("input", render);
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    render();
    var first = list.querySelector("a");
    if (first) {
      window.location.href = first.href;
    }
  });
})();
