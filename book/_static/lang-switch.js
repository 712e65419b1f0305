// Keep the reader's place when switching language: both books give every section
// the same label (an id starting with "sec-"), so the link is completed with the
// label of the section on screen.
(function () {
  function labelOf(section) {
    for (var node = section; node; node = node.parentElement && node.parentElement.closest("section")) {
      var ids = [node.id].concat(Array.prototype.map.call(node.querySelectorAll(":scope > span[id]"), function (s) { return s.id; }));
      for (var i = 0; i < ids.length; i++) if (ids[i] && ids[i].indexOf("sec-") === 0) return ids[i];
    }
    return null;
  }
  function currentLabel() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.getBoundingClientRect().top < window.innerHeight) {
      var fromHash = labelOf(target.closest("section"));
      if (fromHash) return fromHash;
    }
    var onScreen = null;
    document.querySelectorAll("main section").forEach(function (section) {
      if (section.getBoundingClientRect().top <= 120) onScreen = section;
    });
    return onScreen ? labelOf(onScreen) : null;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.lbdl-lang-switch");
    if (!link) return;
    var label = currentLabel();
    if (label) link.setAttribute("href", link.getAttribute("href").split("#")[0] + "#" + label);
  });
})();
