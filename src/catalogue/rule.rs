//! Routing rules: Rhai scripts run in a sandbox.
//!
//! The engine starts from `Engine::new_raw()` (no module resolver, no packages that touch the
//! outside world), is built without module support at all (`no_module`), has `eval` disabled,
//! and bounds everything a script can consume. A rule is compiled once per catalogue snapshot.
//! A hostile or buggy script can therefore only fail, never hang the server or exhaust memory;
//! intake turns any failure into the service's default queue.

use std::sync::{Arc, LazyLock};

use rhai::packages::{Package, StandardPackage};
use rhai::{AST, Dynamic, Engine, Map, Scope};
use serde_json::Value;

use super::rule_messages;
use crate::domain::Priority;

pub use super::rule_limits::*;

/// The one sandboxed engine, shared by every rule.
static ENGINE: LazyLock<Engine> = LazyLock::new(sandboxed_engine);

fn sandboxed_engine() -> Engine {
    let mut engine = Engine::new_raw();
    // String, math, array, map and time functions; nothing that reads files or the network.
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FUNCTION_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_array_size(MAX_ARRAY_SIZE)
        .set_max_map_size(MAX_MAP_SIZE)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(MAX_FUNCTIONS)
        .set_max_strings_interned(256)
        // Undefined variables are compile errors, so `guichet check` catches typos.
        .set_strict_variables(true)
        .disable_symbol("eval");
    // The core package's `sleep` blocks the thread and counts as one operation, so the
    // operation limit would not stop `sleep(60)`. Shadow it with an error.
    engine.register_fn(
        "sleep",
        |_: rhai::INT| -> Result<(), Box<rhai::EvalAltResult>> {
            Err("sleep is not available in routing rules".into())
        },
    );
    engine.register_fn(
        "sleep",
        |_: rhai::FLOAT| -> Result<(), Box<rhai::EvalAltResult>> {
            Err("sleep is not available in routing rules".into())
        },
    );
    // `print` and `debug` would write to the server's stdout.
    engine.on_print(|_| {}).on_debug(|_, _, _| {});
    engine
}

/// A compiled routing rule.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    /// Shared with the form versions that record it (every filing carries one).
    pub source: Arc<str>,
    ast: AST,
}

/// A compile error with its position in the rule file.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub line: usize,
    pub col: usize,
    /// Rhai's words, in English, as `guichet check` prints them.
    pub message: String,
    /// What is wrong and what to do, in French, for designers in the builder: a clause
    /// that follows "La règle ne se compile pas, ligne L, colonne C : ".
    pub explanation: String,
}

/// Why a rule could not decide.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFailure {
    /// In English: what `guichet check` prints and a request records as its fallback.
    pub message: String,
    /// A French sentence for designers trying the rule (test panel, dry run).
    pub explanation: String,
}

impl std::fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn failure(message: impl Into<String>, explanation: impl Into<String>) -> RuleFailure {
    RuleFailure {
        message: message.into(),
        explanation: explanation.into(),
    }
}

/// A rule's answer that cannot be used, told in both languages.
fn unusable(message: String, explanation: impl std::fmt::Display) -> RuleFailure {
    failure(
        message,
        format!("La règle a renvoyé une réponse inutilisable : {explanation}"),
    )
}

/// What a rule asked for, before intake checks the queue exists.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub queue: String,
    pub priority: Option<Priority>,
    pub tags: Vec<String>,
    pub due_in_days: Option<u32>,
    pub reason: Option<String>,
}

/// What a rule sees besides `data`.
pub struct RuleInput<'a> {
    pub data: &'a Value,
    pub form_id: &'a str,
    pub form_title: &'a str,
    pub form_version: &'a str,
    pub commune: Option<&'a str>,
    pub channel: &'a str,
}

impl Rule {
    pub fn compile(name: &str, source: &str) -> Result<Arc<Rule>, CompileError> {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(CompileError {
                line: 1,
                col: 1,
                message: format!(
                    "rule is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                    source.len()
                ),
                explanation: format!(
                    "la règle fait {} octets, la limite est de {MAX_SOURCE_BYTES} : raccourcissez-la.",
                    source.len()
                ),
            });
        }
        let scope = input_scope_template();
        let ast = ENGINE.compile_with_scope(&scope, source).map_err(|err| {
            let (line, col) = (err.1.line().unwrap_or(1), err.1.position().unwrap_or(1));
            CompileError {
                line,
                col,
                message: err.0.to_string(),
                explanation: rule_messages::parse_error(&err.0, source, line, col),
            }
        })?;
        Ok(Arc::new(Rule {
            name: name.to_owned(),
            source: Arc::from(source),
            ast,
        }))
    }

    /// Runs the rule. Any failure (runtime error, a limit reached, a result of the wrong
    /// shape) comes back as a reason for staff, in English and in French.
    pub fn evaluate(&self, input: &RuleInput<'_>) -> Result<RuleOutcome, RuleFailure> {
        let data = rhai::serde::to_dynamic(input.data).map_err(|e| {
            failure(
                format!("the submission could not be given to the rule: {e}"),
                "Les réponses n'ont pas pu être transmises à la règle.",
            )
        })?;
        let mut form = Map::new();
        form.insert("id".into(), input.form_id.into());
        form.insert("title".into(), input.form_title.into());
        form.insert("version".into(), input.form_version.into());
        let mut scope = Scope::new();
        scope.push_constant("data", data);
        scope.push_constant("form", form);
        scope.push_constant(
            "commune",
            input
                .commune
                .map_or(Dynamic::UNIT, |c| Dynamic::from(c.to_owned())),
        );
        scope.push_constant("channel", input.channel.to_owned());
        let result: Dynamic = ENGINE
            .eval_ast_with_scope(&mut scope, &self.ast)
            .map_err(|err| describe_runtime_error(&err))?;
        outcome_from(result)
    }
}

/// The variables every rule may read, declared so strict mode accepts them at compile time.
/// They are plain variables here, not constants: the optimizer would otherwise fold these
/// placeholder values into the compiled rule.
fn input_scope_template() -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push("data", Map::new());
    scope.push("form", Map::new());
    scope.push("commune", Dynamic::UNIT);
    scope.push("channel", "web");
    scope
}

fn describe_runtime_error(err: &rhai::EvalAltResult) -> RuleFailure {
    let position = err.position();
    let explanation = match (position.line(), position.position()) {
        (Some(line), Some(col)) => format!(
            "La règle a échoué, ligne {line}, colonne {col} : {}",
            rule_messages::runtime_error(err)
        ),
        _ => format!("La règle a échoué : {}", rule_messages::runtime_error(err)),
    };
    failure(runtime_message(err), explanation)
}

fn runtime_message(err: &rhai::EvalAltResult) -> String {
    use rhai::EvalAltResult as E;
    match err {
        E::ErrorTooManyOperations(_) => {
            format!(
                "the rule ran more than {MAX_OPERATIONS} operations (endless loop?) and was stopped"
            )
        }
        E::ErrorStackOverflow(_) => "the rule recursed too deeply and was stopped".into(),
        E::ErrorDataTooLarge(what, _) => {
            format!("the rule built a value too large ({what}) and was stopped")
        }
        other => format!("the rule failed: {other}"),
    }
}

fn outcome_from(result: Dynamic) -> Result<RuleOutcome, RuleFailure> {
    if result.is_string() {
        let queue = result.into_string().unwrap_or_default();
        return Ok(RuleOutcome {
            queue,
            priority: None,
            tags: Vec::new(),
            due_in_days: None,
            reason: None,
        });
    }
    let Some(map) = result.clone().try_cast::<Map>() else {
        return Err(failure(
            format!(
                "the rule returned a {} where a queue id (string) or a map #{{ queue, … }} was expected",
                result.type_name()
            ),
            format!(
                "La règle a renvoyé {} : elle doit renvoyer l'identifiant d'une file (un texte) ou une table #{{ queue: \"…\", … }}.",
                rule_messages::type_fr(result.type_name())
            ),
        ));
    };
    let mut outcome = RuleOutcome {
        queue: String::new(),
        priority: None,
        tags: Vec::new(),
        due_in_days: None,
        reason: None,
    };
    for (key, value) in map {
        match key.as_str() {
            "queue" => {
                outcome.queue = value.into_string().map_err(|t| {
                    unusable(
                        format!("`queue` must be a string, not {t}"),
                        format_args!(
                            "« queue » doit être un texte (l'identifiant d'une file), pas {}.",
                            rule_messages::type_fr(t)
                        ),
                    )
                })?;
            }
            "priority" => {
                let text = value.into_string().map_err(|t| {
                    unusable(
                        format!("`priority` must be a string, not {t}"),
                        format_args!(
                            "« priority » doit être un texte (low, normal, high ou urgent), pas {}.",
                            rule_messages::type_fr(t)
                        ),
                    )
                })?;
                outcome.priority = Some(Priority::parse(&text).map_err(|message| {
                    unusable(
                        message,
                        format_args!(
                            "« priority » vaut « {text} » : choisissez low, normal, high ou urgent."
                        ),
                    )
                })?);
            }
            "tags" => {
                let items = value.try_cast::<rhai::Array>().ok_or_else(|| {
                    unusable(
                        "`tags` must be an array of strings".into(),
                        "« tags » doit être une liste de textes : [\"…\", \"…\"].",
                    )
                })?;
                for item in items {
                    outcome.tags.push(item.into_string().map_err(|t| {
                        unusable(
                            format!("a tag must be a string, not {t}"),
                            format_args!(
                                "chaque élément de « tags » doit être un texte, pas {}.",
                                rule_messages::type_fr(t)
                            ),
                        )
                    })?);
                }
            }
            "due_in_days" => {
                let days = value.as_int().map_err(|t| {
                    unusable(
                        format!("`due_in_days` must be an integer, not {t}"),
                        format_args!(
                            "« due_in_days » doit être un nombre entier de jours, pas {}.",
                            rule_messages::type_fr(t)
                        ),
                    )
                })?;
                outcome.due_in_days = Some(
                    u32::try_from(days)
                        .ok()
                        .filter(|d| *d <= 3650)
                        .ok_or_else(|| {
                            unusable(
                                format!("`due_in_days` must be between 0 and 3650, not {days}"),
                                format_args!(
                                    "« due_in_days » doit être compris entre 0 et 3650, pas {days}."
                                ),
                            )
                        })?,
                );
            }
            "reason" => {
                outcome.reason = Some(value.to_string());
            }
            other => {
                return Err(unusable(
                    format!(
                        "the rule returned an unknown key `{other}` (expected queue, priority, tags, due_in_days, reason)"
                    ),
                    format_args!(
                        "la table contient « {other} », qui n'est pas prévu : utilisez queue, priority, tags, due_in_days et reason."
                    ),
                ));
            }
        }
    }
    if outcome.queue.is_empty() {
        return Err(unusable(
            "the rule returned a map without `queue`".into(),
            "la table n'a pas de « queue » : indiquez la file, par exemple #{ queue: \"…\" }.",
        ));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(source: &str, data: Value) -> Result<RuleOutcome, String> {
        let rule = Rule::compile("t", source).map_err(|e| e.message)?;
        rule.evaluate(&RuleInput {
            data: &data,
            form_id: "f",
            form_title: "F",
            form_version: "0",
            commune: Some("marmande"),
            channel: "web",
        })
        .map_err(|failure| failure.message)
    }

    /// The French explanation of a rule that does not compile, or fails running.
    fn explained(source: &str) -> String {
        match Rule::compile("t", source) {
            Err(err) => format!("{}:{}: {}", err.line, err.col, err.explanation),
            Ok(rule) => {
                rule.evaluate(&RuleInput {
                    data: &json!({"motif": "casse", "nombre": 3}),
                    form_id: "f",
                    form_title: "F",
                    form_version: "0",
                    commune: None,
                    channel: "web",
                })
                .unwrap_err()
                .explanation
            }
        }
    }

    #[test]
    fn designers_read_what_is_wrong_in_french() {
        let cases = [
            (
                "let a = 1\nlet b = 2\n\"q\"",
                "2:1: il manque un point-virgule « ; »",
            ),
            (
                "if data.motif == \"casse\" {\n  \"dechets-bacs\"\n",
                "une accolade « { » ouverte plus haut n'est pas refermée : ajoutez « } »",
            ),
            ("nope", "1:1: « nope » n'existe pas : une règle lit data"),
            ("\"abc", "un texte entre guillemets n'est pas refermé"),
            (
                "if data.x = 1 { \"a\" } else { \"b\" }",
                "pour comparer, écrivez « == »",
            ),
            (
                "let x = (1 + 2;\n\"q\"",
                "il manque une parenthèse fermante « ) »",
            ),
            ("#{ queue: \"a\" priority: \"b\" }", "il manque une virgule"),
            (
                "if data.n > 2 \"a\" else \"b\"",
                "il manque une accolade ouvrante « { »",
            ),
            (
                "if 1 { \"a\" } else { \"b\" }",
                "il faut ici une condition (vraie ou fausse), pas un nombre entier",
            ),
            ("import \"x\" as y; \"q\"", "« import » est un mot réservé"),
            ("eval(\"1\")", "eval n'est pas disponible"),
            (
                "foo(1)",
                "La règle a échoué, ligne 1, colonne 1 : la fonction « foo » n'existe pas",
            ),
            (
                "data.motif - 1",
                "l'opération « - » n'est pas possible entre un texte et un nombre entier",
            ),
            ("data.absent.len()", "Une réponse absente vaut « rien »"),
            ("loop { }", "elle a dépassé 100 000 opérations"),
            ("fn f(n) { f(n + 1) } f(0)", "récursion sans fin"),
            ("sleep(1)", "sleep n'est pas disponible"),
            (
                "42",
                "La règle a renvoyé un nombre entier : elle doit renvoyer l'identifiant d'une file",
            ),
            ("#{ priority: \"high\" }", "la table n'a pas de « queue »"),
            (
                "#{ queue: \"q\", priority: \"max\" }",
                "« priority » vaut « max »",
            ),
        ];
        for (source, expected) in cases {
            let text = explained(source);
            assert!(text.contains(expected), "{source:?}: {text}");
        }
    }

    #[test]
    fn a_string_is_a_queue() {
        assert_eq!(run(r#""q1""#, json!({})).unwrap().queue, "q1");
    }

    #[test]
    fn a_map_sets_every_field() {
        let out = run(
            r#"if data.n > 4 { #{ queue: "big", priority: "high", tags: ["t"], due_in_days: 3, reason: "n=" + data.n } } else { "small" }"#,
            json!({"n": 5}),
        )
        .unwrap();
        assert_eq!(out.queue, "big");
        assert_eq!(out.priority, Some(Priority::High));
        assert_eq!(out.tags, vec!["t"]);
        assert_eq!(out.due_in_days, Some(3));
        assert_eq!(out.reason.as_deref(), Some("n=5"));
    }

    #[test]
    fn endless_loops_are_stopped() {
        let err = run("loop { }", json!({})).unwrap_err();
        assert!(err.contains("operations"), "{err}");
    }

    #[test]
    fn deep_recursion_is_stopped() {
        let err = run("fn f(n) { f(n + 1) } f(0)", json!({})).unwrap_err();
        assert!(err.contains("recursed") || err.contains("failed"), "{err}");
    }

    #[test]
    fn huge_strings_are_stopped() {
        let err = run(r#"let s = "x"; loop { s += s; }"#, json!({})).unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn sleep_is_refused_at_once() {
        for source in ["sleep(60)", "sleep(1e300)", "sleep(-1)"] {
            let started = std::time::Instant::now();
            let err = run(source, json!({})).unwrap_err();
            assert!(err.contains("sleep is not available"), "{source}: {err}");
            assert!(started.elapsed().as_secs() < 1, "{source}");
        }
    }

    #[test]
    fn eval_and_import_do_not_compile() {
        assert!(Rule::compile("t", r#"eval("1")"#).is_err());
        assert!(Rule::compile("t", r#"import "x" as y; "q""#).is_err());
    }

    #[test]
    fn undefined_variables_and_syntax_errors_have_positions() {
        let err = Rule::compile("t", "\n  nope").unwrap_err();
        assert_eq!((err.line, err.col), (2, 3));
        assert!(Rule::compile("t", "if {").is_err());
    }

    #[test]
    fn wrong_shapes_are_explained() {
        assert!(run("42", json!({})).unwrap_err().contains("i64") || run("42", json!({})).is_err());
        assert!(
            run(r#"#{ priority: "high" }"#, json!({}))
                .unwrap_err()
                .contains("without `queue`")
        );
        assert!(run(r#"#{ queue: "q", priority: "max" }"#, json!({})).is_err());
    }
}
