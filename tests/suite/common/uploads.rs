//! Filing through the HTML form with files: multipart review, then submit.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use super::TestApp;

/// Files to upload: (name, content).
pub type Files<'a> = Vec<(&'a str, Vec<u8>)>;

pub fn png(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(seed)));
    bytes
}

pub fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
    bytes.extend(std::iter::repeat_n(7u8, len));
    bytes
}

pub fn report(files: Vec<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new()
        .text("_action", "review")
        .text("categorie", "nid-de-poule")
        .text("commune", "tonneins")
        .text("localisation", "Avenue de Bordeaux, devant la pharmacie")
        .text("description", "Un trou d'environ 30 cm.")
        .text("nom", "Paul Durand")
        .text("email", "paul.durand@example.org")
        .text("urgence", "moyenne");
    for (name, bytes) in files {
        form = form.part("photos", Part::bytes(bytes).file_name(name.to_owned()));
    }
    form
}

pub async fn review(app: &TestApp, form: Form) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The hidden inputs of the review page, to send back with `_action=submit`.
pub fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name, html_unescape(value))
        })
        .collect()
}

pub fn html_unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// Reviews then submits; returns the tracking token.
pub async fn file_with(app: &TestApp, files: Vec<(&str, Vec<u8>)>) -> String {
    let (status, page) = review(app, report(files)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut fields = hidden_inputs(&page);
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}
