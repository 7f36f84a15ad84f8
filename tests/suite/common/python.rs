//! Python tools the suite drives as outside clients: the OpenAPI validator
//! (`openapi-spec-validator`) and an Open311 GeoReport v2 client (`georeport`). They live in
//! a virtual environment `.ci/run` prepares (`GUICHET_TEST_VENV`, by default
//! `/tmp/guichet-ci-venv`); the tests that need them are `#[ignore]`d and run by `.ci/run`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The packages `.ci/run` installs, pinned.
pub const PACKAGES: &[&str] = &["openapi-spec-validator==0.9.0", "georeport==0.3.1"];

/// The virtual environment's Python; panics with what to run when it is missing.
pub fn python() -> PathBuf {
    let venv = std::env::var_os("GUICHET_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/guichet-ci-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "no Python environment at {}: run `python3 -m venv {0} && {0}/bin/pip install {}` (as .ci/run does)",
        venv.display(),
        PACKAGES.join(" ")
    );
    python
}

/// Runs a Python script with the environment's interpreter and the given arguments.
pub fn run_script(script: &str, args: &[&str]) -> Output {
    Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs")
}

/// Runs one of the environment's commands (e.g. `openapi-spec-validator`).
pub fn run_tool(tool: &str, args: &[&str]) -> Output {
    let python = python();
    let bin = python.parent().expect("bin folder").join(tool);
    Command::new(bin)
        .args(args)
        .output()
        .expect("the tool runs")
}
