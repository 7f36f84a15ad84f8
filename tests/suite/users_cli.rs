//! `guichet user …` as an admin runs it: the password comes on standard input, never as an
//! argument; tokens are printed once and stored hashed.

use crate::common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::{guichet, repo_root, test_database};
use guichet::config::DatabaseConfig;
use guichet::domain::{Capability, Role};

fn user(database: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = guichet()
        .arg("user")
        .args(args)
        .arg("--database")
        .arg(database)
        .arg("--catalogue")
        .arg(repo_root())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn accounts_are_managed_from_the_command_line() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());

    let added = user(
        &database,
        &[
            "add",
            "Agent.Env@VDG.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
        ],
        "une phrase de passe solide\n",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));

    // Refusals say what is wrong.
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["add", "x@vdg.example.org", "--name", "X", "--role", "chef"],
            "p4ssword-long-enough\n",
            "is not one of",
        ),
        (
            &["add", "x@vdg.example.org", "--name", "X", "--role", "agent"],
            "p4ssword-long-enough\n",
            "--service",
        ),
        (
            &[
                "add",
                "x@vdg.example.org",
                "--name",
                "X",
                "--role",
                "agent",
                "--service",
                "piscine",
            ],
            "p4ssword-long-enough\n",
            "unknown service",
        ),
        (
            &[
                "add",
                "x@vdg.example.org",
                "--name",
                "X",
                "--role",
                "elu",
                "--commune",
                "marmande",
            ],
            "court\n",
            "12 caractères",
        ),
        (
            &[
                "add",
                "agent.env@vdg.example.org",
                "--name",
                "X",
                "--role",
                "admin",
            ],
            "p4ssword-long-enough\n",
            "already exists",
        ),
    ];
    for (args, stdin, expected) in cases {
        let output = user(&database, args, stdin);
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(
            text(&output.stderr).contains(expected),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }

    let listed = user(&database, &["list"], "");
    assert!(listed.status.success());
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("agent.env@vdg.example.org")
            && listing.contains("environnement")
            && listing.contains("active")
    );
    assert!(!listing.contains("x@vdg.example.org"));

    let token = user(&database, &["token", "agent.env@vdg.example.org"], "");
    assert!(token.status.success(), "{}", text(&token.stderr));
    let token = text(&token.stdout).trim().to_owned();
    let token = Capability::parse(&token).expect("a 256-bit token on stdout");

    let store = guichet::store::open(&DatabaseConfig {
        url: database.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let (account, can_act) = store
        .user_by_api_token(&token.hash(), time::OffsetDateTime::now_utc())
        .await
        .unwrap()
        .expect("the token is stored hashed");
    assert!(can_act, "a command-line token acts unless --read-only");
    let listed = store.api_tokens(&account.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "ligne de commande");
    let lifetime = listed[0].expires_at.unwrap() - listed[0].created_at;
    assert_eq!(lifetime.whole_days(), 90, "expires in 90 days by default");
    assert_eq!(account.email, "agent.env@vdg.example.org");
    assert_eq!(account.role, Role::Agent);
    // The command line's changes are in the account's history too.
    let created = store.account_events(&account.id).await.unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].kind,
        guichet::domain::account::AccountEventKind::Created
    );
    assert_eq!(created[0].actor, "ligne de commande");
    assert!(guichet::auth::password::verify(
        "une phrase de passe solide",
        &account.password_hash
    ));

    let reset = user(
        &database,
        &["reset", "agent.env@vdg.example.org"],
        "un autre mot de passe sûr\n",
    );
    assert!(reset.status.success());
    let account = store
        .user_by_email("agent.env@vdg.example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(guichet::auth::password::verify(
        "un autre mot de passe sûr",
        &account.password_hash
    ));

    let disabled = user(&database, &["disable", "agent.env@vdg.example.org"], "");
    assert!(disabled.status.success());
    assert!(
        store
            .user_by_api_token(&token.hash(), time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .is_none(),
        "disabling revokes tokens"
    );
    let history = store.account_events(&account.id).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["disabled", "password_set", "created"]);
    let missing = user(&database, &["disable", "nobody@vdg.example.org"], "");
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no account"));
}

/// Regression: the role column was not padded, so every column after it moved with the
/// role's length; a long e-mail or name pushed the rest too.
#[tokio::test]
async fn the_account_list_keeps_its_columns_aligned() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let accounts: [(&str, &str, &str, &[&str]); 4] = [
        ("a@vdg.example.org", "Ada", "admin", &[]),
        (
            "jean-baptiste.de-la-fontaine-delacroix@vdg.example.org",
            "Jean-Baptiste de La Fontaine-Delacroix",
            "designer",
            &["--service", "voirie"],
        ),
        (
            "elu@vdg.example.org",
            "Élodie Élue",
            "elu",
            &["--commune", "marmande", "--commune", "clairac"],
        ),
        (
            "agent@vdg.example.org",
            "Ali",
            "agent",
            &["--service", "environnement"],
        ),
    ];
    for (email, name, role, scope) in accounts {
        let mut args = vec!["add", email, "--name", name, "--role", role];
        args.extend_from_slice(scope);
        let added = user(&database, &args, "une phrase de passe solide\n");
        assert!(added.status.success(), "{}", text(&added.stderr));
    }
    let listed = user(&database, &["list"], "");
    assert!(listed.status.success());
    let listing = text(&listed.stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 1 + accounts.len(), "{listing}");
    // The column (in characters) where each of a line's cells starts.
    let starts = |line: &str, cells: &[&str]| -> Vec<usize> {
        let mut from = 0;
        cells
            .iter()
            .map(|cell| {
                let byte = from + line[from..].find(cell).expect(cell);
                from = byte + cell.len();
                line[..byte].chars().count()
            })
            .collect()
    };
    let header = starts(lines[0], &["email", "role", "state", "name", "scope"]);
    assert_eq!(header[0], 0);
    for (email, name, role, _) in accounts {
        let line = lines
            .iter()
            .find(|l| l.starts_with(email))
            .unwrap_or_else(|| panic!("{email} in {listing}"));
        assert_eq!(
            starts(line, &[email, role, "active", name]),
            header[..4],
            "{listing}"
        );
        let scope = line.rsplit("  ").next().unwrap().trim_start();
        let scope_start = line.chars().count() - scope.chars().count();
        assert_eq!(scope_start, header[4], "{listing}");
    }
    assert!(listing.contains("marmande, clairac"), "{listing}");
}
