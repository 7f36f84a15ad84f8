//! Back-office helpers: accounts, a signed-in browser (cookie + CSRF token), API tokens,
//! and a bin request filed by a citizen.

use guichet::auth::password;
use guichet::domain::{Capability, Role};
use guichet::store::{NewStaffUser, StaffUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::TestApp;

pub const PASSWORD: &str = "une phrase de passe solide";

/// Creates an account straight in the store.
pub async fn add_user(
    app: &TestApp,
    email: &str,
    role: Role,
    services: &[&str],
    communes: &[&str],
) -> StaffUser {
    app.store
        .create_user(
            NewStaffUser {
                email: email.to_owned(),
                name: email.split('@').next().unwrap().to_owned(),
                role,
                services: services.iter().map(|s| s.parse().unwrap()).collect(),
                communes: communes.iter().map(|s| s.parse().unwrap()).collect(),
                site_editor: false,
                password_hash: password::hash(PASSWORD).unwrap(),
            },
            &guichet::store::staff::AccountActor::now("tests"),
        )
        .await
        .unwrap()
}

/// An API token for the account, that may act, for 90 days.
pub async fn api_token(app: &TestApp, user: &StaffUser) -> String {
    let token = Capability::generate();
    let now = time::OffsetDateTime::now_utc();
    app.store
        .create_api_token(&guichet::store::staff::NewApiToken {
            user_id: user.id.clone(),
            token_hash: token.hash(),
            name: "tests".into(),
            created_at: now,
            expires_at: now + time::Duration::days(90),
            can_act: true,
        })
        .await
        .unwrap();
    token.as_str().to_owned()
}

/// A signed-in person: the session cookie and the CSRF token pages carry.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub async fn try_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/bureau/connexion"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub async fn login(app: &TestApp, email: &str) -> Browser {
    login_with(app, email, PASSWORD).await
}

/// Signs in with a given password; the cookie's attributes and the CSRF token are checked.
pub async fn login_with(app: &TestApp, email: &str, password: &str) -> Browser {
    let response = try_login(app, email, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = app
        .client
        .get(app.url("/bureau/mot-de-passe"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    Browser { cookie, csrf }
}

/// The CSRF token a back-office page carries in its forms.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the page")
        .to_owned()
}

impl Browser {
    pub async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let response = app
            .client
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// Posts a back-office form with the CSRF token.
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let response = app
            .client
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .form(&all)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// Takes an action on a request's page (`_action` = kind).
    pub async fn act(
        &self,
        app: &TestApp,
        reference: &str,
        kind: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut all = vec![("_action", kind)];
        all.extend_from_slice(fields);
        self.post(app, &format!("/bureau/demandes/{reference}"), &all)
            .await
    }
}

/// Files a bin replacement request through the public API; returns (reference, token).
pub async fn file_bin_request(app: &TestApp, commune: &str) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/v1/forms/remplacement-bac/submissions"))
        .json(&json!({
            "motif": "taille",
            "type_bac": "ordures-menageres",
            "nombre_residents": 4,
            "nom": "Claire Martin",
            "adresse": {"rue": "Rue de la Libération", "commune": commune},
            "email": "claire.martin@example.org"
        }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (body["reference"].as_str().unwrap().to_owned(), token)
}

/// Calls the staff API with a bearer token.
pub async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The kinds and actors of a request's stored events.
pub async fn events(app: &TestApp, reference: &str) -> Vec<(String, String)> {
    let reference = guichet::domain::Reference::parse(reference).unwrap();
    app.store
        .request_by_reference(&reference)
        .await
        .unwrap()
        .unwrap()
        .events
        .into_iter()
        .map(|e| (e.kind.to_string(), e.actor))
        .collect()
}
