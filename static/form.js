// Progressive enhancement of the generated forms; they work without it.
// - Moves focus to the error summary, so screen readers announce it at once.
// - Shows a conditional field only when the field it depends on has one of the given
//   values. Without JavaScript every field is shown with a sentence saying when to fill it
//   in; the server enforces the conditions either way and ignores answers to hidden fields.
(function () {
  "use strict";
  var form = document.querySelector("form[novalidate]");
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  if (!form) { return; }
  function currentValues(name) {
    var values = [];
    form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      values.push(el.type === "checkbox" && el.value === "true" ? "true" : el.value);
    });
    return values;
  }
  function update() {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var expected = el.getAttribute("data-show-values").split("|");
      var negate = el.getAttribute("data-show-negate") === "true";
      var matches = currentValues(el.getAttribute("data-show-when")).some(function (v) {
        return expected.indexOf(v) !== -1;
      });
      el.hidden = matches === negate;
    });
  }
  form.addEventListener("change", update);
  update();

  // Narrows the commune list to the communes of the address's postcode (47200 has twelve);
  // the server refuses a commune that does not match, with or without this.
  var postcodeName = form.getAttribute("data-postcode-field");
  var communeName = form.getAttribute("data-commune-field");
  var postcodeInput = postcodeName && form.querySelector('[name="' + CSS.escape(postcodeName) + '"]');
  var communeSelect = communeName && form.querySelector('select[name="' + CSS.escape(communeName) + '"]');
  if (!postcodeInput || !communeSelect) { return; }
  var communesOf = {};
  form.getAttribute("data-postcodes").split(";").forEach(function (entry) {
    var parts = entry.split(":");
    if (parts.length === 2) { communesOf[parts[0]] = parts[1].split(","); }
  });
  function narrow() {
    var postcode = postcodeInput.value.replace(/\s/g, "");
    var allowed = communesOf[postcode];
    Array.prototype.forEach.call(communeSelect.options, function (option) {
      option.hidden = Boolean(option.value && allowed && allowed.indexOf(option.value) === -1);
    });
    if (!allowed) { return; }
    if (communeSelect.value && allowed.indexOf(communeSelect.value) === -1) { communeSelect.value = ""; }
    if (allowed.length === 1) { communeSelect.value = allowed[0]; }
  }
  postcodeInput.addEventListener("input", narrow);
  narrow();
})();
