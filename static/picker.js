// Search-as-you-type for the enterprise fields (progressive enhancement: without this script
// the typed name or credit code is looked up when the form is sent). Suggestions come from the
// page's own /enterprises/search; choosing one fills the hidden id field.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    // The hidden id field is optional: without one the chosen name itself is sent.
    var hidden = input.dataset.pickerId && input.form && input.form.elements[input.dataset.pickerId];
    if (!list || !window.fetch) return;
    var found = [], timer = null, asked = "";
    // A suggestion reads as its name, or "code name" when several share the name; the server
    // looks the text up again, so the id only saves it the search.
    function label(e) {
      var same = found.filter(function (o) { return o.name === e.name; }).length;
      return same > 1 ? e.credit_code + " " + e.name : e.name;
    }
    function choose() {
      var picks = found.filter(function (e) { return label(e) === input.value || e.credit_code === input.value; });
      if (hidden) hidden.value = picks.length === 1 ? picks[0].id : "";
    }
    input.addEventListener("input", function () {
      choose();
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1 || q === asked) return;
      timer = setTimeout(function () {
        asked = q;
        fetch(input.dataset.picker + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            found = items;
            list.textContent = "";
            items.forEach(function (e) {
              var o = document.createElement("option");
              o.value = label(e);
              o.label = e.credit_code;
              list.appendChild(o);
            });
            choose();
          })
          .catch(function () {});
      }, 200);
    });
    input.addEventListener("change", choose);
  }
  document.querySelectorAll("input[data-picker]").forEach(attach);
})();
