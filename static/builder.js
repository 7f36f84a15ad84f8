// The form builder's visual editor. No library, no build step.
//
// It reads the definition (JSON Schema) from the page's textarea, shows the form's settings
// and its questions as editable blocks, and writes the JSON back into the textarea on every
// change: the server only ever receives that text, exactly as without JavaScript. What the
// editor does not know (a `$ref`, `x-attachment`, `x-autocomplete`…) is kept as it was.
// The raw JSON stays available under « Vue JSON », checked as you type, and the preview
// (the citizens' renderer, from the saved draft) is refreshed after each automatic save.
(function () {
  "use strict";
  var form = document.getElementById("builder");
  var textarea = document.getElementById("definition");
  var host = document.getElementById("visual-editor");
  var status = document.getElementById("definition-status");
  if (!form || !textarea || !host) { return; }

  var TYPES = [
    ["text", "Texte court"], ["textarea", "Texte long"], ["email", "Adresse e-mail"],
    ["tel", "Téléphone"], ["date", "Date"], ["integer", "Nombre entier"],
    ["number", "Nombre"], ["boolean", "Case à cocher (oui / non)"],
    ["choice", "Choix unique"], ["multi", "Choix multiples"], ["commune", "Commune"]
  ];
  var PATTERNS = [
    ["", "Aucun"], ["^[0-9]{6,10}$", "6 à 10 chiffres (numéro de bac)"],
    ["^[0-9]{5}$", "Code postal (5 chiffres)"], ["^[A-Z]{2}-[0-9]{3}-[A-Z]{2}$", "Plaque d'immatriculation (AA-123-AA)"]
  ];

  var model;  // {root: the definition minus what the blocks own, items: [...]}
  // The question (or rubrique) being edited: the others are listed in the outline, one
  // click away. A question of a rubrique is "rubrique/question".
  var selected = null;

  function selectionOf(f) { return f.group ? f.group + "/" + f.key : f.key; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  // What the blocks cannot represent faithfully is left as it is (its label stays editable):
  // references, file fields, formats and widgets the editor does not offer, non-text choices.
  function isAdvanced(p) {
    var list = p.type === "array" ? (p.items || {}) : p;
    var choices = list.oneOf || list["enum"] || [];
    var nonText = choices.some(function (c) {
      var v = c && typeof c === "object" && "const" in c ? c["const"] : c;
      return typeof v !== "string";
    });
    return !!p.$ref || "x-attachment" in p || (p.type === "array" && !list.oneOf && !list["enum"]) || nonText ||
      (p.format && ["email", "tel", "date"].indexOf(p.format) === -1) ||
      (p["x-widget"] && ["textarea", "commune", "radio", "select"].indexOf(p["x-widget"]) === -1);
  }

  function kindOf(p) {
    if (p["x-widget"] === "commune") { return "commune"; }
    if (p.type === "array") { return "multi"; }
    if (p.oneOf || p.enum) { return "choice"; }
    if (p.type === "integer") { return "integer"; }
    if (p.type === "number") { return "number"; }
    if (p.type === "boolean") { return "boolean"; }
    if (p.format === "email") { return "email"; }
    if (p.format === "tel") { return "tel"; }
    if (p.format === "date") { return "date"; }
    if (p["x-widget"] === "textarea") { return "textarea"; }
    return "text";
  }

  function choicesOf(p) {
    var list = p.type === "array" ? (p.items || {}) : p;
    if (list.oneOf) { return list.oneOf.map(function (c) { return String(c["const"]) + "|" + (c.title || c["const"]); }).join("\n"); }
    if (list["enum"]) { return list["enum"].join("\n"); }
    return "";
  }

  // Conditions from `allOf` items shaped as the editor writes them.
  function conditionsOf(object) {
    var found = {};
    (object.allOf || []).forEach(function (item) {
      var test = item["if"] && item["if"].properties;
      if (!test || !item.then) { return; }
      var controlling = Object.keys(test)[0];
      if (!controlling || !("const" in test[controlling])) { return; }
      (item.then.required || []).forEach(function (name) {
        found[name] = { field: controlling, value: String(test[controlling]["const"]), required: true };
      });
      Object.keys(item.then.properties || {}).forEach(function (name) {
        found[name] = found[name] || { field: controlling, value: String(test[controlling]["const"]), required: false };
      });
    });
    return found;
  }

  function readFields(object, group) {
    var required = object.required || [];
    var conditions = conditionsOf(object);
    return Object.keys(object.properties || {}).map(function (key) {
      var p = object.properties[key];
      var condition = conditions[key] || null;
      return {
        key: key, group: group, original: p, kind: kindOf(p), advanced: isAdvanced(p), dirty: false,
        title: p.title || "", help: p.description || "",
        required: required.indexOf(key) !== -1 || !!(condition && condition.required),
        choices: choicesOf(p), min: p.minimum, max: p.maximum,
        maxLength: p.maxLength, pattern: p.pattern || "", patternMessage: p["x-pattern-message"] || "",
        notPersonal: p["x-personal"] === false,
        condition: condition
      };
    });
  }

  function load(definition) {
    var items = [];
    var properties = definition.properties || {};
    Object.keys(properties).forEach(function (key) {
      var p = properties[key];
      if (p.type === "object" && p.properties && !p.$ref) {
        items.push({ groupKey: key, title: p.title || key, original: p,
                     required: (definition.required || []).indexOf(key) !== -1,
                     fields: readFields(p, key) });
      } else {
        items.push(readFields({ properties: pick(properties, key), required: definition.required,
                                allOf: definition.allOf }, null)[0]);
      }
    });
    return { root: definition, items: items };
  }

  function pick(object, key) { var o = {}; o[key] = object[key]; return o; }

  function numberOrNull(v) { return v === "" || v === undefined || v === null || isNaN(Number(v)) ? undefined : Number(v); }

  function writeField(f) {
    var p = JSON.parse(JSON.stringify(f.original || {}));
    // Personal unless marked: the answer is kept at anonymisation only when unchecked here.
    if (f.notPersonal) { p["x-personal"] = false; } else { delete p["x-personal"]; }
    if (f.advanced || !f.dirty) { if (f.title) { p.title = f.title; } return p; }
    var widget = p["x-widget"];
    ["type", "format", "oneOf", "enum", "items", "uniqueItems", "x-widget", "minimum", "maximum",
     "maxLength", "pattern", "x-pattern-message", "description"].forEach(function (k) { delete p[k]; });
    p.title = f.title;
    if (f.help) { p.description = f.help; }
    var choices = (f.choices || "").split("\n").map(function (line) { return line.trim(); })
      .filter(Boolean).map(function (line) {
        var parts = line.split("|");
        return { "const": parts[0].trim(), title: (parts[1] || parts[0]).trim() };
      });
    switch (f.kind) {
      case "textarea": p.type = "string"; p["x-widget"] = "textarea"; break;
      case "email": p.type = "string"; p.format = "email"; break;
      case "tel": p.type = "string"; p.format = "tel"; break;
      case "date": p.type = "string"; p.format = "date"; break;
      case "integer": p.type = "integer"; break;
      case "number": p.type = "number"; break;
      case "boolean": p.type = "boolean"; break;
      case "choice": p.type = "string"; p.oneOf = choices;
        if (widget === "radio" || widget === "select") { p["x-widget"] = widget; } break;
      case "multi": p.type = "array"; p.items = { type: "string", oneOf: choices }; p.uniqueItems = true; break;
      case "commune": p.type = "string"; p["x-widget"] = "commune"; break;
      default: p.type = "string";
    }
    if (f.kind === "integer" || f.kind === "number") {
      if (numberOrNull(f.min) !== undefined) { p.minimum = Number(f.min); }
      if (numberOrNull(f.max) !== undefined) { p.maximum = Number(f.max); }
    }
    if (["text", "textarea", "email", "tel"].indexOf(f.kind) !== -1) {
      if (numberOrNull(f.maxLength) !== undefined) { p.maxLength = Number(f.maxLength); }
      if (f.pattern) { p.pattern = f.pattern; if (f.patternMessage) { p["x-pattern-message"] = f.patternMessage; } }
    }
    return p;
  }

  // Properties, `required` and the generated `allOf` conditions for a list of fields.
  function writeObject(target, fields, keepAllOf) {
    target.properties = {};
    var required = [];
    var byTest = {};
    // Conditions the blocks regenerate are dropped; any other (about a section, say) stays.
    var keys = fields.map(function (f) { return f.key; });
    var kept = (keepAllOf || []).filter(function (item) {
      var test = item["if"] && item["if"].properties;
      var key = test && Object.keys(test)[0];
      if (!(key && test[key] && "const" in test[key] && item.then)) { return true; }
      var named = (item.then.required || []).concat(Object.keys(item.then.properties || {}));
      return named.some(function (n) { return keys.indexOf(n) === -1; });
    });
    fields.forEach(function (f) {
      target.properties[f.key] = writeField(f);
      if (f.condition && f.condition.field) {
        var id = f.condition.field + "=" + f.condition.value;
        byTest[id] = byTest[id] || { field: f.condition.field, value: f.condition.value, required: [], shown: [] };
        (f.required ? byTest[id].required : byTest[id].shown).push(f.key);
      } else if (f.required) {
        required.push(f.key);
      }
    });
    target.required = required;
    var generated = Object.keys(byTest).map(function (id) {
      var t = byTest[id];
      var controlling = fields.filter(function (f) { return f.key === t.field; })[0];
      var value = controlling && (controlling.kind === "integer" || controlling.kind === "number") ? Number(t.value)
        : controlling && controlling.kind === "boolean" ? t.value === "true" : t.value;
      var test = {}; test[t.field] = { "const": value };
      var then = {};
      if (t.required.length) { then.required = t.required; }
      if (t.shown.length) { then.properties = {}; t.shown.forEach(function (k) { then.properties[k] = true; }); }
      return { "if": { properties: test, required: [t.field] }, then: then };
    });
    var all = kept.concat(generated);
    if (all.length) { target.allOf = all; } else { delete target.allOf; }
  }

  function toDefinition() {
    var d = JSON.parse(JSON.stringify(model.root));
    var top = [];
    var properties = {};
    model.items.forEach(function (item) {
      if (item.groupKey) { properties[item.groupKey] = item; } else { top.push(item); }
    });
    writeObject(d, top, model.root.allOf);
    model.items.forEach(function (item) {
      if (item.groupKey && item.required && d.required.indexOf(item.groupKey) === -1) { d.required.push(item.groupKey); }
    });
    // Groups keep their place among the questions.
    var ordered = {};
    model.items.forEach(function (item) {
      if (item.groupKey) {
        var g = JSON.parse(JSON.stringify(item.original || {}));
        g.type = "object"; g.title = item.title; g.additionalProperties = false;
        writeObject(g, item.fields, (item.original || {}).allOf);
        ordered[item.groupKey] = g;
      } else {
        ordered[item.key] = d.properties[item.key];
      }
    });
    d.properties = ordered;
    return d;
  }

  function sync() {
    textarea.value = JSON.stringify(toDefinition(), null, 2);
    status.textContent = "JSON valide.";
    scheduleSave();
  }

  // ---- rendering ------------------------------------------------------------------------

  var counter = 0;
  function input(label, value, onInput, attrs) {
    var id = "ve-" + (++counter);
    var field = el("input", Object.assign({ id: id, type: "text" }, attrs || {}));
    field.value = value === undefined || value === null ? "" : value;
    field.addEventListener("input", function () { onInput(field.type === "checkbox" ? field.checked : field.value); });
    if (field.type === "checkbox") {
      field.checked = !!value;
      field.addEventListener("change", function () { onInput(field.checked); });
      // A box before its label, as citizens see them.
      return el("div", { "class": "field choice" }, [field, el("label", { "for": id, text: label })]);
    }
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), field]);
  }

  function select(label, options, value, onChange) {
    var id = "ve-" + (++counter);
    var node = el("select", { id: id });
    options.forEach(function (o) {
      var option = el("option", { value: o[0], text: o[1] });
      if (String(o[0]) === String(value === undefined ? "" : value)) { option.selected = true; }
      node.appendChild(option);
    });
    node.addEventListener("change", function () { onChange(node.value); });
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), node]);
  }

  function siblingsOf(f) {
    var list = f.group ? model.items.filter(function (i) { return i.groupKey === f.group; })[0].fields
      : model.items.filter(function (i) { return !i.groupKey; });
    return list.filter(function (other) { return other !== f; });
  }

  function move(list, item, delta) {
    var i = list.indexOf(item), j = i + delta;
    if (j < 0 || j >= list.length) { return; }
    list.splice(i, 1); list.splice(j, 0, item);
    render(); sync();
  }

  function fieldBlock(f, list) {
    var box = el("fieldset", { "class": "ve-field", "data-key": f.key });
    // Any edit in the block (but the label and the name) rewrites the question's schema.
    box.addEventListener("input", function (e) {
      var role = e.target.getAttribute("data-role");
      if (role !== "label" && role !== "key") { f.dirty = true; }
    }, true);
    box.addEventListener("change", function (e) {
      var role = e.target.getAttribute("data-role");
      if (role !== "label" && role !== "key") { f.dirty = true; }
    }, true);
    box.appendChild(el("legend", { text: (f.title || f.key) + (f.advanced ? " (avancée : modifiable dans la vue JSON)" : "") }));
    box.appendChild(input("Libellé de la question", f.title, function (v) { f.title = v; sync(); }, { "data-role": "label" }));
    box.appendChild(input("Nom technique (lettres, chiffres, _)", f.key, function (v) {
      var clean = v.replace(/[^a-z0-9_]/gi, "_").toLowerCase();
      if (clean && !siblingsOf(f).some(function (o) { return o.key === clean; })) {
        if (!f.group) { renameInSteps(f.key, clean); }
        var wasSelected = selected === selectionOf(f);
        f.key = clean;
        if (wasSelected) { selected = selectionOf(f); }
        sync();
      }
    }, { "data-role": "key" }));
    if (!f.advanced) {
      box.appendChild(select("Type de réponse", TYPES, f.kind, function (v) { f.kind = v; render(); sync(); }));
      box.appendChild(input("Aide (facultative)", f.help, function (v) { f.help = v; sync(); }));
      if (f.kind === "choice" || f.kind === "multi") {
        var id = "ve-" + (++counter);
        var area = el("textarea", { id: id, rows: "4", "data-role": "choices" });
        area.value = f.choices;
        area.addEventListener("input", function () { f.choices = area.value; sync(); });
        box.appendChild(el("div", { "class": "field" }, [
          el("label", { "for": id, text: "Choix, un par ligne (valeur|libellé)" }), area]));
      }
      if (f.kind === "integer" || f.kind === "number") {
        box.appendChild(input("Minimum", f.min, function (v) { f.min = v; sync(); }, { type: "number" }));
        box.appendChild(input("Maximum", f.max, function (v) { f.max = v; sync(); }, { type: "number" }));
      }
      if (["text", "textarea", "email", "tel"].indexOf(f.kind) !== -1) {
        box.appendChild(input("Longueur maximale", f.maxLength, function (v) { f.maxLength = v; sync(); }, { type: "number" }));
        var known = PATTERNS.some(function (p) { return p[0] === f.pattern; });
        box.appendChild(select("Format attendu", known ? PATTERNS : PATTERNS.concat([[f.pattern, "Personnalisé : " + f.pattern]]),
          f.pattern, function (v) { f.pattern = v; render(); sync(); }));
        if (f.pattern) {
          box.appendChild(input("Message si le format n'est pas respecté", f.patternMessage, function (v) { f.patternMessage = v; sync(); }));
        }
      }
    }
    box.appendChild(input("Réponse obligatoire", f.required, function (v) { f.required = v; sync(); }, { type: "checkbox", "data-role": "required" }));
    box.appendChild(input("Aucune donnée personnelle (réponse gardée pour les statistiques après anonymisation)", !!f.notPersonal,
      function (v) { f.notPersonal = v; sync(); }, { type: "checkbox", "data-role": "not-personal" }));
    var others = siblingsOf(f).filter(function (o) { return !o.advanced; });
    var when = f.condition || { field: "", value: "" };
    var conditionField = select("Afficher seulement si la question…", [["", "(toujours affichée)"]].concat(
      others.map(function (o) { return [o.key, o.title || o.key]; })), when.field, function (v) {
      f.condition = v ? { field: v, value: when.value, required: f.required } : null; render(); sync();
    });
    conditionField.querySelector("select").setAttribute("data-role", "condition-field");
    box.appendChild(conditionField);
    if (f.condition) {
      box.appendChild(input("… a pour réponse (valeur)", f.condition.value, function (v) {
        f.condition.value = v; sync();
      }, { "data-role": "condition-value" }));
    }
    var actions = el("p", { "class": "actions" });
    [["Monter", -1], ["Descendre", 1]].forEach(function (a) {
      var b = el("button", { type: "button", text: a[0] });
      b.addEventListener("click", function () { move(list, f, a[1]); });
      actions.appendChild(b);
    });
    var remove = el("button", { type: "button", "class": "danger", text: "Supprimer la question" });
    remove.addEventListener("click", function () {
      list.splice(list.indexOf(f), 1);
      if (!f.group) { removeFromSteps(f.key); }
      render(); sync();
    });
    actions.appendChild(remove);
    var chooser = f.group ? null : stepChooser(f.key);
    if (chooser) { box.appendChild(chooser); }
    box.appendChild(actions);
    return box;
  }

  // ---- steps (x-guichet.steps) ----------------------------------------------------------
  // Each step is a title and the top-level questions (or sections) it holds; without steps
  // the form is one page. The blocks keep the list in step with renames and removals.

  function stepsOf() { return (model.root["x-guichet"] || {}).steps || null; }

  function topKeys() {
    return model.items.map(function (i) { return i.groupKey || i.key; });
  }

  function renameInSteps(from, to) {
    (stepsOf() || []).forEach(function (s) {
      s.properties = s.properties.map(function (p) { return p === from ? to : p; });
    });
  }

  function removeFromSteps(key) {
    (stepsOf() || []).forEach(function (s) {
      s.properties = s.properties.filter(function (p) { return p !== key; });
    });
  }

  function putInStep(key, index) {
    var steps = stepsOf();
    if (!steps || !steps[index]) { return; }
    removeFromSteps(key);
    steps[index].properties.push(key);
  }

  // A question added while the form has steps goes to the last one.
  function addToLastStep(key) {
    var steps = stepsOf();
    if (steps && steps.length) { putInStep(key, steps.length - 1); }
  }

  function stepChooser(key) {
    var steps = stepsOf();
    if (!steps || !steps.length) { return null; }
    var current = 0;
    steps.forEach(function (s, i) { if (s.properties.indexOf(key) !== -1) { current = i; } });
    var chooser = select("Étape", steps.map(function (s, i) { return [String(i), (i + 1) + ". " + (s.title || "sans titre")]; }),
      String(current), function (v) { putInStep(key, Number(v)); sync(); });
    chooser.querySelector("select").setAttribute("data-role", "step");
    return chooser;
  }

  function stepsEditor() {
    var meta = model.root["x-guichet"] = model.root["x-guichet"] || {};
    var box = el("fieldset", { "class": "ve-settings", id: "steps" }, [el("legend", { text: "Étapes" })]);
    box.appendChild(el("p", { "class": "hint", text: meta.steps && meta.steps.length
      ? "Les habitants remplissent le formulaire une étape à la fois. Choisissez l'étape de chaque question dans son bloc."
      : "Le formulaire tient sur une seule page. Ajoutez une étape pour le découper." }));
    (meta.steps || []).forEach(function (step, i) {
      var item = el("fieldset", { "class": "ve-field", "data-step": String(i) }, [el("legend", { text: "Étape " + (i + 1) })]);
      item.appendChild(input("Titre de l'étape " + (i + 1), step.title, function (v) { step.title = v; sync(); }, { "data-role": "step-title" }));
      var remove = el("button", { type: "button", "class": "danger", text: "Supprimer l'étape " + (i + 1), "data-role": "step-remove" });
      remove.addEventListener("click", function () {
        var steps = meta.steps;
        var orphans = steps[i].properties;
        steps.splice(i, 1);
        if (!steps.length) { delete meta.steps; } else {
          // Its questions join the step before it (or the new first step).
          var into = steps[Math.max(0, i - 1)];
          into.properties = into.properties.concat(orphans);
        }
        render(); sync();
      });
      item.appendChild(el("p", { "class": "actions" }, [remove]));
      box.appendChild(item);
    });
    var add = el("button", { type: "button", id: "add-step", text: "Ajouter une étape" });
    add.addEventListener("click", function () {
      if (!meta.steps || !meta.steps.length) {
        // The questions so far make the first step.
        meta.steps = [{ title: "Étape 1", properties: topKeys() }];
      }
      meta.steps.push({ title: "Nouvelle étape", properties: [] });
      render(); sync();
    });
    box.appendChild(add);
    return box;
  }

  function newField(group, list) {
    var n = 1;
    while (list.some(function (f) { return f.key === "question_" + n; })) { n++; }
    return { key: "question_" + n, group: group, original: {}, kind: "text", title: "Nouvelle question", dirty: true,
             help: "", required: false, choices: "", pattern: "", patternMessage: "", condition: null };
  }

  function settings() {
    var box = el("fieldset", { "class": "ve-settings" }, [el("legend", { text: "Réglages du formulaire" })]);
    var root = model.root;
    var meta = root["x-guichet"] = root["x-guichet"] || {};
    box.appendChild(input("Titre", root.title, function (v) { root.title = v; sync(); }, { "data-role": "form-title" }));
    box.appendChild(input("Description", root.description, function (v) { root.description = v; sync(); }));
    box.appendChild(input("Service", meta.service, function (v) { meta.service = v; sync(); }, { readonly: "readonly" }));
    // The privacy notice citizens read before the first question (x-guichet.privacy).
    [["purpose", "Finalité : pourquoi les données sont recueillies (affichée aux habitants)"],
     ["legal_basis", "Base légale (vide : celle du territoire)"]].forEach(function (p) {
      var privacy = meta.privacy || {};
      box.appendChild(input(p[1], privacy[p[0]], function (v) {
        var current = meta.privacy || {};
        if (v.trim()) { current[p[0]] = v; } else { delete current[p[0]]; }
        if (Object.keys(current).length) { meta.privacy = current; } else { delete meta.privacy; }
        sync();
      }, { "data-role": "privacy-" + p[0] }));
    });
    box.appendChild(input("Communes (identifiants séparés par des virgules ; vide = toutes)", (meta.communes || []).join(", "), function (v) {
      meta.communes = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean); sync();
    }));
    box.appendChild(input("Mots-clés (séparés par des virgules)", (meta.keywords || []).join(", "), function (v) {
      meta.keywords = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean); sync();
    }));
    box.appendChild(input("Délai de traitement (jours)", meta.due_in_days, function (v) {
      if (numberOrNull(v) === undefined) { delete meta.due_in_days; } else { meta.due_in_days = Number(v); } sync();
    }, { type: "number", min: "1" }));
    box.appendChild(input("Retiré : le formulaire n'est plus proposé (ses demandes restent consultables)", !!meta.retired, function (on) {
      if (on) { meta.retired = true; } else { delete meta.retired; } sync();
    }, { type: "checkbox", "data-role": "retired" }));
    [["citizen", "Habitants (portail)"], ["elected", "Élus"], ["staff", "Agents"]].forEach(function (a) {
      var audience = meta.audience || ["citizen"];
      box.appendChild(input("Public : " + a[1], audience.indexOf(a[0]) !== -1, function (on) {
        var list = (meta.audience || ["citizen"]).filter(function (x) { return x !== a[0]; });
        if (on) { list.push(a[0]); }
        meta.audience = list; sync();
      }, { type: "checkbox" }));
    });
    return box;
  }

  // The cases that pin the rule: `guichet check` and every publication run them.
  function cases() {
    var meta = model.root["x-guichet"] = model.root["x-guichet"] || {};
    var list = meta.cases = meta.cases || [];
    var box = el("fieldset", { "class": "ve-settings", id: "cases" }, [
      el("legend", { text: "Cas de test de la règle (vérifiés à chaque publication)" })]);
    list.forEach(function (c, i) {
      var item = el("fieldset", { "class": "ve-field" }, [el("legend", { text: c.name || "Cas " + (i + 1) })]);
      item.appendChild(input("Nom du cas", c.name, function (v) { c.name = v; sync(); }));
      var id = "ve-" + (++counter);
      var data = el("textarea", { id: id, rows: "3", spellcheck: "false" });
      data.value = JSON.stringify(c.data || {});
      var note = el("p", { "class": "hint", "aria-live": "polite" });
      data.addEventListener("input", function () {
        try { c.data = JSON.parse(data.value); note.textContent = ""; sync(); }
        catch (e) { note.textContent = "JSON invalide : " + e.message; }
      });
      item.appendChild(el("div", { "class": "field" }, [el("label", { "for": id, text: "Réponses (JSON)" }), data, note]));
      c.expect = c.expect || { valid: true };
      item.appendChild(input("Réponses valides", c.expect.valid !== false, function (on) { c.expect.valid = on; sync(); }, { type: "checkbox" }));
      item.appendChild(input("File attendue", c.expect.queue, function (v) { if (v) { c.expect.queue = v; } else { delete c.expect.queue; } sync(); }));
      item.appendChild(input("Priorité attendue (low, normal, high, urgent)", c.expect.priority, function (v) { if (v) { c.expect.priority = v; } else { delete c.expect.priority; } sync(); }));
      var remove = el("button", { type: "button", text: "Supprimer ce cas" });
      remove.addEventListener("click", function () { list.splice(i, 1); render(); sync(); });
      item.appendChild(remove);
      box.appendChild(item);
    });
    var add = el("button", { type: "button", text: "Ajouter un cas" });
    add.addEventListener("click", function () {
      var example = (model.root.examples || [])[0] || {};
      list.push({ name: "cas " + (list.length + 1), data: JSON.parse(JSON.stringify(example)), expect: { valid: true } });
      render(); sync();
    });
    box.appendChild(add);
    return box;
  }

  // Every question and rubrique by its title; the one being edited is marked.
  function outline() {
    var list = el("ol", { "class": "ve-outline" });
    function entry(key, title, children) {
      var button = el("button", { type: "button", "class": "link", "data-key": key, text: title || key });
      if (key === selected) { button.setAttribute("aria-current", "true"); }
      button.addEventListener("click", function () { selected = key; render(); });
      return el("li", {}, [button, children]);
    }
    model.items.forEach(function (item) {
      if (item.groupKey) {
        var inner = el("ol", {});
        item.fields.forEach(function (f) { inner.appendChild(entry(selectionOf(f), f.title || f.key)); });
        list.appendChild(entry(item.groupKey, "Rubrique : " + item.title, inner));
      } else {
        list.appendChild(entry(item.key, item.title || item.key));
      }
    });
    return el("nav", { "aria-label": "Questions du formulaire" }, [list]);
  }

  function exists(key) {
    return model.items.some(function (item) {
      if (!item.groupKey) { return item.key === key; }
      return item.groupKey === key || item.fields.some(function (f) { return selectionOf(f) === key; });
    });
  }

  // The form's settings and the rule's test cases, folded under their titles (a designer
  // opens them when needed); a fold stays as the designer left it across re-renders.
  var unfolded = {};
  function fold(id, title, content) {
    var details = el("details", { "class": "ve-fold", "data-fold": id }, [el("summary", { text: title }), content]);
    if (unfolded[id]) { details.open = true; }
    details.addEventListener("toggle", function () { unfolded[id] = details.open; });
    return details;
  }

  function render() {
    host.textContent = "";
    host.appendChild(fold("settings", "Réglages du formulaire (titre, description, thème, mots-clés…)", settings()));
    host.appendChild(stepsEditor());
    if (selected === null || !exists(selected)) {
      var first = model.items[0];
      selected = first ? (first.groupKey || first.key) : null;
    }
    var questions = el("section", { "aria-label": "Questions" }, [el("h2", { text: "Questions" }),
      el("p", { "class": "hint", text: "Choisissez une question dans la liste pour la modifier." }), outline()]);
    var top = model.items.filter(function (i) { return !i.groupKey; });
    model.items.forEach(function (item) {
      if (item.groupKey) {
        var group = el("fieldset", { "class": "ve-group", "data-key": item.groupKey }, [el("legend", { text: "Rubrique : " + item.title })]);
        var groupShown = selected === item.groupKey || selected.indexOf(item.groupKey + "/") === 0;
        group.hidden = !groupShown;
        group.appendChild(input("Titre de la rubrique", item.title, function (v) { item.title = v; sync(); }));
        var inStep = stepChooser(item.groupKey);
        if (inStep) { group.appendChild(inStep); }
        group.appendChild(input("Rubrique obligatoire", !!item.required, function (on) { item.required = on; sync(); }, { type: "checkbox" }));
        item.fields.forEach(function (f) {
          var block = fieldBlock(f, item.fields);
          block.hidden = selected !== item.groupKey && selected !== selectionOf(f);
          group.appendChild(block);
        });
        var addIn = el("button", { type: "button", text: "Ajouter une question dans la rubrique" });
        addIn.addEventListener("click", function () {
          var f = newField(item.groupKey, item.fields); item.fields.push(f); selected = selectionOf(f); render(); sync();
        });
        group.appendChild(addIn);
        questions.appendChild(group);
      } else {
        var block = fieldBlock(item, model.items);
        block.hidden = selected !== item.key;
        questions.appendChild(block);
      }
    });
    var add = el("button", { type: "button", id: "add-question", text: "Ajouter une question" });
    add.addEventListener("click", function () {
      var f = newField(null, top); model.items.push(f); addToLastStep(f.key); selected = f.key; render(); sync();
    });
    var addGroup = el("button", { type: "button", text: "Ajouter une rubrique" });
    addGroup.addEventListener("click", function () {
      var n = 1;
      while (model.items.some(function (i) { return i.groupKey === "rubrique_" + n || i.key === "rubrique_" + n; })) { n++; }
      model.items.push({ groupKey: "rubrique_" + n, title: "Nouvelle rubrique", original: {}, fields: [] });
      addToLastStep("rubrique_" + n);
      selected = "rubrique_" + n;
      render(); sync();
    });
    questions.appendChild(el("p", { "class": "actions" }, [add, addGroup]));
    host.appendChild(questions);
    var count = ((model.root["x-guichet"] || {}).cases || []).length;
    host.appendChild(fold("cases", "Cas de test de la règle (" + count + ")", cases()));
  }

  // ---- raw JSON view, automatic save, preview -----------------------------------------

  function parseRaw() {
    try {
      var value = JSON.parse(textarea.value);
      if (!value || typeof value !== "object" || Array.isArray(value)) { throw new Error("la définition doit être un objet { … }"); }
      status.textContent = "JSON valide.";
      return value;
    } catch (e) {
      status.textContent = "JSON invalide : " + e.message;
      return null;
    }
  }

  var timer = null;
  var preview = null;
  function scheduleSave() {
    clearTimeout(timer);
    timer = setTimeout(save, 700);
  }
  var saving = true;
  function save() {
    if (!saving) { return; }
    var body = new URLSearchParams(new FormData(form));
    body.set("_action", "save");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (response.ok && preview) { preview.src = preview.getAttribute("data-src") + "?t=" + Date.now(); }
    });
  }

  var initial = parseRaw();
  if (!initial) { return; }  // Invalid JSON: the raw view stays the editor.
  model = load(initial);
  var raw = textarea.closest(".field");
  var details = el("details", { "class": "raw-json" }, [el("summary", { text: "Vue JSON (administrateurs)" })]);
  raw.parentNode.insertBefore(details, raw);
  details.appendChild(raw);
  textarea.addEventListener("input", function () {
    var value = parseRaw();
    if (value) { model = load(value); render(); scheduleSave(); }
  });
  host.hidden = false;
  render();
  var src = form.action + "/apercu";
  preview = el("iframe", { title: "Aperçu du formulaire", "class": "preview", id: "preview", "data-src": src, src: src });
  // Two panels on a wide screen: the editor, and beside it the preview, which stays in view
  // while the editor scrolls (one column below that width).
  var panels = el("div", { "class": "builder-panels" });
  host.parentNode.insertBefore(panels, host);
  panels.appendChild(host);
  panels.appendChild(el("section", { "class": "builder-preview", "aria-label": "Aperçu" }, [el("h2", { text: "Aperçu" }), preview]));
  form.querySelector("#rule_source").addEventListener("input", scheduleSave);
  // A pending automatic save must not land after a publication (it would bring back the
  // draft the publication just closed).
  form.addEventListener("submit", function () { clearTimeout(timer); saving = false; });
})();
