//! `guichet check` on good and broken catalogues: one fixture per class of error, each
//! overriding one file of `fixtures/minimal`.

use crate::common;

use common::{catalogue_copy, fixture, guichet, repo_root};

/// Runs `guichet check DIR`; returns (success, stdout).
fn check(dir: &std::path::Path) -> (bool, String) {
    let output = guichet().arg("check").arg(dir).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn the_demo_catalogue_passes() {
    let (ok, out) = check(&repo_root());
    assert!(ok, "guichet check failed on the demo catalogue:\n{out}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn the_minimal_fixture_passes() {
    let (ok, out) = check(&fixture("minimal"));
    assert!(ok, "{out}");
}

/// Each broken fixture fails, and the message names the file, the place and the problem.
#[test]
fn every_broken_fixture_fails_with_a_located_message() {
    let cases: &[(&str, &[&str])] = &[
        (
            "invalid-json",
            &["form-definitions/demande.json:18:73:", "invalid JSON"],
        ),
        (
            "bad-meta-schema",
            &[
                "form-definitions/demande.json:18:68: at /properties/details/maxLength",
                "not a valid JSON Schema",
            ],
        ),
        (
            "unknown-service",
            &[
                "form-definitions/demande.json:7:16: at /x-guichet/service",
                "unknown service « espaces-verts »",
            ],
        ),
        (
            "unknown-queue",
            &[
                "at /x-guichet/cases/1/expect/queue",
                "unknown queue « voirie-nuit »",
            ],
        ),
        (
            "unknown-commune",
            &["at /x-guichet/communes/0", "unknown commune « gamma »"],
        ),
        ("rule-syntax", &["rules/demande.rhai:", "does not compile"]),
        (
            "rule-unknown-field",
            &[
                "rules/demande.rhai:2:27:",
                "data.gravite",
                "no such property",
            ],
        ),
        (
            "condition-missing-field",
            &["numero_lampadaire", "telephone", "not a property"],
        ),
        (
            "case-mismatch",
            &[
                "case « urgent »",
                "expected queue « voirie-urgent », the rule chose « voirie-general »",
            ],
        ),
        (
            "missing-rule",
            &["at /x-guichet/rule", "rules/absente.rhai"],
        ),
        (
            "bad-webhook",
            &[
                "territory.toml:28:7: at /services/0/webhooks/0/url",
                "webhooks use http or https",
                "unknown event « exploded »",
                "needs a signing secret",
                "« pas-une-adresse » is not an e-mail address",
            ],
        ),
    ];
    for (name, expected) in cases {
        let dir = catalogue_copy(&fixture("minimal"), &[&fixture(&format!("check/{name}"))]);
        let (ok, out) = check(dir.path());
        assert!(!ok, "{name}: check passed but should fail");
        for fragment in *expected {
            assert!(
                out.contains(fragment),
                "{name}: expected {fragment:?} in:\n{out}"
            );
        }
    }
}

#[test]
fn a_missing_catalogue_is_reported_not_a_crash() {
    let dir = tempfile::TempDir::new().unwrap();
    let (ok, out) = check(dir.path());
    assert!(!ok);
    assert!(out.contains("territory.toml"), "{out}");
    assert!(out.contains("form-definitions"), "{out}");
}

/// Hostile definitions and rules: each is refused by `check` with a located message, and
/// quickly, since every sandbox limit counts operations or sizes rather than waiting on a
/// timer. A backtracking pattern is accepted: the regex engine is linear-time (its bound is
/// shown at run time in tests/hostile.rs).
#[test]
fn hostile_definitions_and_rules_are_refused_by_check() {
    let cases: &[(&str, &[&str])] = &[
        (
            "rule-import",
            &["rules/demande.rhai:2:1:", "does not compile", "import"],
        ),
        (
            "rule-eval",
            &["rules/demande.rhai:2:1:", "'eval' is disabled"],
        ),
        (
            "rule-loop",
            &["case « ordinaire »", "more than 100000 operations"],
        ),
        (
            "rule-recursion",
            &["case « ordinaire »", "recursed too deeply"],
        ),
        (
            "rule-huge-string",
            &["case « ordinaire »", "value too large"],
        ),
        (
            "pattern-backreference",
            &["/properties/code/pattern", "is not a \"regex\""],
        ),
        ("self-ref", &["at /properties/piege", "circular"]),
        (
            "root-ref",
            &["/properties/piege/properties/piege", "circular $ref"],
        ),
    ];
    for (name, expected) in cases {
        let dir = catalogue_copy(&fixture("minimal"), &[&fixture(&format!("hostile/{name}"))]);
        let started = std::time::Instant::now();
        let (ok, out) = check(dir.path());
        assert!(!ok, "{name}: check passed but should fail");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{name}: check took {:?}",
            started.elapsed()
        );
        for fragment in *expected {
            assert!(
                out.contains(fragment),
                "{name}: expected {fragment:?} in:\n{out}"
            );
        }
    }
    let dir = catalogue_copy(
        &fixture("minimal"),
        &[&fixture("hostile/pattern-backtrack")],
    );
    let (ok, out) = check(dir.path());
    assert!(
        ok,
        "a backtracking-prone pattern is bounded, not refused:\n{out}"
    );
}

/// Runs `guichet check DIR` with `GUICHET_CHECK_TEST_SECRET` set to `secret`, or unset;
/// returns (success, stdout, stderr).
fn check_with_secret(dir: &std::path::Path, secret: Option<&str>) -> (bool, String, String) {
    let mut command = guichet();
    command.arg("check").arg(dir);
    match secret {
        Some(value) => command.env("GUICHET_CHECK_TEST_SECRET", value),
        None => command.env_remove("GUICHET_CHECK_TEST_SECRET"),
    };
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A webhook whose secret variable is unset, empty or blank is a warning (CI need not hold
/// production secrets): one line naming the webhook and the variable, and a zero exit code.
#[test]
fn a_missing_webhook_secret_is_a_warning_naming_the_variable() {
    let dir = catalogue_copy(&fixture("minimal"), &[&fixture("check/webhook-secret-env")]);
    let at = "territory.toml:29:14: at /services/0/webhooks/0/secret_env: warning: webhook « voirie/sig » cannot sign its deliveries: the environment variable GUICHET_CHECK_TEST_SECRET";
    let then = "; `guichet serve` refuses to start until it is set\n";
    for (secret, why) in [
        (None, "is not set"),
        (Some(""), "is empty"),
        (Some(" \t "), "holds only white space"),
    ] {
        let (ok, out, err) = check_with_secret(dir.path(), secret);
        assert!(ok, "a warning is not a failure:\n{out}");
        assert_eq!(out, format!("{at} {why}{then}"), "{secret:?}");
        assert!(
            err.contains("no problems found (1 warning)"),
            "{secret:?}: {err}"
        );
    }
    let (ok, out, err) = check_with_secret(dir.path(), Some("le secret du SIG"));
    assert!(ok && out.is_empty(), "{out}");
    assert!(err.contains("no problems found\n"), "{err}");
}

/// A webhook subscribes to the documented events: `routed` is one of them; an internal
/// note is not (it never leaves Guichet), nor is an unknown name. Each refusal lists the
/// events there are.
#[test]
fn webhook_events_are_the_documented_list_without_internal_notes() {
    let dir = catalogue_copy(&fixture("minimal"), &[&fixture("check/webhook-events")]);
    let (ok, out) = check(dir.path());
    assert!(!ok);
    let events = "events are submitted, routed, assigned, status_changed, message, citizen_reply, transferred, priority_changed, due_changed, reopened, public_note, reminded, or \"*\" for all of them";
    assert_eq!(
        out,
        format!(
            "territory.toml:28:21: at /services/0/webhooks/0/events/1: « note » events stay inside Guichet and are sent to no webhook; {events}\n\
             territory.toml:28:29: at /services/0/webhooks/0/events/2: unknown event « exploded »; {events}\n\
             territory.toml:29:14: at /services/0/webhooks/0/secret_env: « SIG-SECRET » is not an environment variable name (letters, digits and _, not starting with a digit)\n"
        )
    );
}

/// The 1-based line and column of `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// One mistake in territory.toml is one line of `check`, at its line and column: the forms
/// that name the territory's services, communes and queues are not checked against a
/// territory that did not load (that used to print 54 lines for one mistyped key).
#[test]
fn one_territory_mistake_is_reported_once_at_its_place() {
    // (what, replaced by, where the problem is reported: at this text of the new file, the
    // message)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "[territory]\n",
            "[territory]\ncolour = \"vert\"\n",
            "colour",
            "invalid TOML: unknown field `colour`, expected one of `name`, `short_name`, `website`, `email`, `phone`, `address`, `siren`, `department`, `region`, `languages`",
        ),
        (
            "default_queue = \"dechets-bacs\"",
            "defaut_queue = \"dechets-bacs\"",
            "defaut_queue",
            "invalid TOML: unknown field `defaut_queue`, expected one of `id`, `name`, `description`, `default_queue`, `queues`, `email`, `notify`, `webhooks`",
        ),
        (
            "slug = \"tonneins\"",
            "slug = 3.5",
            "3.5",
            "invalid TOML: invalid type: floating point `3.5`, expected a string",
        ),
        (
            "[territory]\n",
            "[territory\n",
            "\nname = \"Val de Garonne Agglomération\"",
            "invalid TOML: unclosed table, expected `]`",
        ),
        (
            "name = \"Val de Garonne Agglomération\"\n",
            "",
            "[territory]",
            "invalid TOML: missing field `name`",
        ),
        (
            "[[communes]]\nslug = \"tonneins\"\nname = \"Tonneins\"\n",
            "[[communes]]\nslug = \"tonneins\"\n",
            "[[communes]]\nslug = \"tonneins\"",
            "invalid TOML: missing field `name`",
        ),
        (
            "[[services]]\nid = \"environnement\"\nname = \"Environnement et déchets\"\n",
            "[[services]]\nid = \"environnement\"\n",
            "[[services]]\nid = \"environnement\"",
            "invalid TOML: missing field `name`",
        ),
        (
            "default_queue = \"dechets-bacs\"",
            "default_queue = \"nope\"",
            "\"nope\"",
            "at /services/0/default_queue: default queue « nope » is not one of service « environnement »'s queues",
        ),
        (
            "[[communes]]\nslug = \"tonneins\"",
            "[[communes]]\nslug = \"Tonneins\"",
            "\"Tonneins\"\nname",
            "at /communes/39/slug: commune slug « Tonneins » must use only a-z, 0-9 and -",
        ),
    ];
    for (old, new, marker, message) in cases {
        let dir = catalogue_copy(&repo_root(), &[]);
        let path = dir.path().join("territory.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text
            .find(old)
            .unwrap_or_else(|| panic!("the demo territory has {old:?}"));
        let changed = format!("{}{new}{}", &text[..start], &text[start + old.len()..]);
        assert_eq!(
            changed.matches(marker).count(),
            1,
            "{marker:?} is not unique"
        );
        let offset = changed.find(marker).unwrap();
        let (line, col) = line_col(&changed, offset);
        std::fs::write(&path, &changed).unwrap();
        let (ok, out) = check(dir.path());
        assert!(!ok, "{new:?}: check passed");
        assert_eq!(
            out,
            format!("territory.toml:{line}:{col}: {message}\n"),
            "{old:?} → {new:?}"
        );
    }
}

/// While the territory does not load, a form's own problems are still reported (they do
/// not depend on it), and only those.
#[test]
fn a_broken_territory_still_lets_forms_report_their_own_problems() {
    let dir = catalogue_copy(&fixture("minimal"), &[&fixture("check/invalid-json")]);
    let path = dir.path().join("territory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("[territory]\n", "[territory]\nnom = \"T\"\n"),
    )
    .unwrap();
    let (ok, out) = check(dir.path());
    assert!(!ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("territory.toml:3:1: invalid TOML: unknown field `nom`"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("form-definitions/demande.json:18:73: invalid JSON"),
        "{out}"
    );
}
