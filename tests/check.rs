//! `guichet check` on good and broken catalogues: one fixture per class of error, each
//! overriding one file of `fixtures/minimal`.

mod common;

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
                "territory.toml: at /services/0/webhooks/0/url",
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
