//! Markdown that staff write for the public (a commune's presentation, its news), rendered
//! with pulldown-cmark and then sanitised with ammonia, so that whatever was typed — a
//! `<script>`, an `onerror=` handler, a `javascript:` link, a `style` — comes out inert.
//! The page's Content-Security-Policy would block scripts anyway; this is the first wall.

use pulldown_cmark::{Options, Parser, html};

/// Safe HTML for `markdown`: CommonMark plus tables and strikethrough; raw HTML is passed
/// to the sanitiser, which keeps only harmless tags and `http`, `https` and `mailto` links.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_anything_active_is_dropped() {
        let html = render(
            "# Bienvenue\n\n**Marché** le samedi.\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[clic](javascript:alert(3)) <a href=\"https://example.org\" style=\"color:red\" onclick=\"x()\">site</a>",
        );
        assert!(html.contains("<h1>Bienvenue</h1>"), "{html}");
        assert!(html.contains("<strong>Marché</strong>"), "{html}");
        for inert in ["<script", "onerror", "javascript:", "onclick", "style="] {
            assert!(!html.contains(inert), "{inert} in {html}");
        }
        assert!(html.contains("href=\"https://example.org\""), "{html}");
    }
}
