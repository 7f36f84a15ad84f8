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
})();
