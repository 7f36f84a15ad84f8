//! The API as outside software sees it, through clients we did not write: the served OpenAPI
//! document checked by `openapi-spec-validator`, and Open311 driven by the `georeport`
//! GeoReport v2 client. They need the Python environment `.ci/run` prepares, so they are
//! `#[ignore]`d: `cargo test --test suite clients:: -- --ignored`.
