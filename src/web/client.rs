//! Who is asking: the client's address and scheme, seen directly or through a trusted
//! reverse proxy, and the site's origin that same-origin checks compare against.
//!
//! `Forwarded` and `X-Forwarded-*` are read only when the TCP peer is one of
//! `--trusted-proxies`: from anyone else they are ignored, since any client can write them.
//! In the chain of forwarded addresses the client is the rightmost one that is not a trusted
//! proxy, as is standard: entries to its left were written by the client itself. A header
//! that cannot be read is ignored (the peer is then the client), never an error.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use ipnet::IpNet;

/// What the deployment says about the way clients reach Guichet; built once in `startup`.
#[derive(Debug, Default)]
pub struct Edge {
    pub trusted_proxies: Vec<IpNet>,
    /// The origin of `--public-url` (`https://guichet.example.fr`), when it was given.
    pub public_origin: Option<Arc<str>>,
    /// `--public-url` is plain HTTP and not loopback (see [`identify`]).
    declared_plain_http: bool,
}

impl Edge {
    pub fn new(trusted_proxies: Vec<IpNet>, public_url: Option<&str>) -> Edge {
        let public_origin = public_url.and_then(origin_of);
        let declared_plain_http = public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("http://") && !is_loopback_origin(o));
        Edge {
            trusted_proxies,
            public_origin: public_origin.map(Arc::from),
            declared_plain_http,
        }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.trusted_proxies
            .iter()
            .any(|net| net.contains(&address))
    }
}

/// The client of one request, put in its extensions by [`identify`].
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The client's address: the peer's, or the one a trusted proxy reports.
    pub address: IpAddr,
    /// The client reached us over HTTPS (as a trusted proxy reports it).
    pub https: bool,
    /// What the site's origin for this request is made of ([`ClientInfo::site_origin`]).
    site: Site,
}

/// The site a request was addressed to: `--public-url`'s origin, or else the scheme and
/// `Host` the request came with (or what a trusted proxy reports).
#[derive(Debug, Clone)]
enum Site {
    Declared(Arc<str>),
    Addressed { https: bool, host: Option<String> },
}

impl ClientInfo {
    /// The client of a request that went through no [`identify`] (a router used alone).
    fn unknown() -> ClientInfo {
        ClientInfo {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            https: false,
            site: Site::Addressed {
                https: false,
                host: None,
            },
        }
    }

    /// The site's origin for this request: `--public-url`'s, or else the one the request
    /// was addressed to (scheme and `Host`, or what a trusted proxy reports). `None` when
    /// `Host` is not usable: then no real `Origin` matches. Worked out when asked (a
    /// request that changes something), not for every request: it parses a URL.
    pub fn site_origin(&self) -> Option<String> {
        match &self.site {
            Site::Declared(origin) => Some(origin.to_string()),
            Site::Addressed { https, host } => {
                let scheme = if *https { "https" } else { "http" };
                host.as_deref()
                    .and_then(|host| origin_of(&format!("{scheme}://{host}")))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or_else(ClientInfo::unknown))
    }
}

/// Works out the client of `request` (see the module's doc) and puts it in the request's
/// extensions. Returns whether the answer's cookies keep their `Secure` attribute (see
/// [`keep_cookies_usable`]).
///
/// Browsers drop a `Secure` cookie set over plain HTTP, except on loopback (a local demo
/// works with it). So a site the operator declared plain HTTP (`--public-url
/// http://guichet.lan`), reached over plain HTTP, gets its cookie without `Secure`, or
/// signing in would silently fail. Without such a declaration the cookie stays `Secure`:
/// a `Host` header is no reason to weaken it.
pub fn identify(edge: &Edge, request: &mut axum::extract::Request) -> bool {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = client_of(edge, peer, request.headers());
    let keep_secure = client.https || !edge.declared_plain_http;
    request.extensions_mut().insert(client);
    keep_secure
}

/// Keeps the session cookie usable on a plain-HTTP deployment: drops `Secure` from the
/// cookies `response` sets unless [`identify`] said to keep it.
pub fn keep_cookies_usable(keep_secure: bool, response: &mut Response) {
    if !keep_secure {
        drop_secure_attribute(response.headers_mut());
    }
}

fn client_of(edge: &Edge, peer: IpAddr, headers: &HeaderMap) -> ClientInfo {
    let mut forwarded = Forwarded::default();
    if edge.trusts(peer) {
        forwarded = read_forwarded(headers);
    }
    let mut address = canonical(peer);
    let mut hop = None;
    // From the nearest hop outwards, while the address is a proxy we trust.
    for (index, entry) in forwarded.hops.iter().enumerate().rev() {
        if !edge.trusts(address) {
            break;
        }
        let Some(next) = entry.address else {
            break;
        };
        address = canonical(next);
        hop = Some(index);
    }
    // The scheme and host that hop's proxy reports (the nearest one's when none was read).
    let reported = hop
        .or(forwarded.hops.len().checked_sub(1))
        .map(|i| &forwarded.hops[i]);
    let proto = reported.and_then(|h| h.proto.clone()).or(forwarded.proto);
    let https = proto.as_deref() == Some("https");
    let host = reported
        .and_then(|h| h.host.clone())
        .or(forwarded.host)
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let site = match &edge.public_origin {
        Some(origin) => Site::Declared(origin.clone()),
        None => Site::Addressed { https, host },
    };
    ClientInfo {
        address,
        https,
        site,
    }
}

/// `::ffff:192.0.2.1` is 192.0.2.1: a dual-stack listener reports IPv4 peers that way.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The forwarded chain as the trusted peer sent it.
#[derive(Debug, Default)]
struct Forwarded {
    /// Left to right: the client first, the nearest proxy's peer last.
    hops: Vec<Hop>,
    /// `X-Forwarded-Proto` / `-Host`, when the chain came from `X-Forwarded-For`.
    proto: Option<String>,
    host: Option<String>,
}

#[derive(Debug, Default)]
struct Hop {
    /// `None` for `unknown`, an obfuscated name, or anything unreadable.
    address: Option<IpAddr>,
    proto: Option<String>,
    host: Option<String>,
}

/// RFC 7239 `Forwarded` when present, else `X-Forwarded-For`, `-Proto` and `-Host`.
fn read_forwarded(headers: &HeaderMap) -> Forwarded {
    let joined = |name: &str| -> Option<String> {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().ok())
            .collect::<Option<_>>()?;
        (!values.is_empty()).then(|| values.join(","))
    };
    if let Some(forwarded) = joined("forwarded") {
        return Forwarded {
            hops: split_outside_quotes(&forwarded, ',')
                .into_iter()
                .map(|element| {
                    let mut hop = Hop::default();
                    for pair in split_outside_quotes(element, ';') {
                        let Some((key, value)) = pair.split_once('=') else {
                            continue;
                        };
                        let value = value.trim().trim_matches('"');
                        match key.trim().to_ascii_lowercase().as_str() {
                            "for" => hop.address = node_address(value),
                            "proto" => hop.proto = scheme(value),
                            "host" => hop.host = Some(value.to_owned()),
                            _ => {}
                        }
                    }
                    hop
                })
                .collect(),
            proto: None,
            host: None,
        };
    }
    // A proxy that sets these overwrites them; one that appends puts its own value last.
    let last =
        |name: &str| joined(name).and_then(|v| v.rsplit(',').next().map(|s| s.trim().to_owned()));
    Forwarded {
        hops: joined("x-forwarded-for")
            .map(|list| {
                list.split(',')
                    .map(|node| Hop {
                        address: node_address(node.trim().trim_matches('"')),
                        ..Hop::default()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        proto: last("x-forwarded-proto").and_then(|p| scheme(&p)),
        host: last("x-forwarded-host").filter(|h| !h.is_empty()),
    }
}

fn scheme(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    matches!(value.as_str(), "http" | "https").then_some(value)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// Splits at `separator`, except inside double quotes (a quoted IPv6 address or host).
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(text[start..at].trim());
            start = at + 1;
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// `https://guichet.example.fr` for `https://Guichet.example.fr:443/chemin`: scheme, host
/// and port only, lower case, the default port left out (as browsers send `Origin`).
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

fn is_loopback_origin(origin: &str) -> bool {
    match url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(v4)) => v4.is_loopback(),
        Some(url::Host::Ipv6(v6)) => v6.is_loopback(),
        None => false,
    }
}

/// Removes the `Secure` attribute from the cookies this response sets.
fn drop_secure_attribute(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let rewritten = cookie.to_str().ok().and_then(|text| {
            let kept: Vec<&str> = text
                .split(';')
                .filter(|attribute| !attribute.trim().eq_ignore_ascii_case("secure"))
                .collect();
            HeaderValue::from_str(&kept.join(";")).ok()
        });
        headers.append(header::SET_COOKIE, rewritten.unwrap_or(cookie));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(trusted: &[&str], public_url: Option<&str>) -> Edge {
        Edge::new(
            trusted.iter().map(|t| t.parse().unwrap()).collect(),
            public_url,
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let edge = edge(&["10.0.0.0/8"], None);
        let sent = headers(&[
            ("host", "guichet.example.fr"),
            ("x-forwarded-for", "192.0.2.7"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=192.0.2.8;proto=https"),
        ]);
        let client = client_of(&edge, ip("203.0.113.5"), &sent);
        assert_eq!(client.address, ip("203.0.113.5"));
        assert!(!client.https);
        assert_eq!(
            client.site_origin().as_deref(),
            Some("http://guichet.example.fr")
        );
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_address() {
        let edge = edge(&["10.0.0.0/8", "127.0.0.1/32"], None);
        // The client wrote "1.1.1.1" itself; the trusted proxy appended the real peer.
        let sent = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-for", "1.1.1.1, 198.51.100.4, 10.0.0.3"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "guichet.example.fr"),
        ]);
        let client = client_of(&edge, ip("127.0.0.1"), &sent);
        assert_eq!(client.address, ip("198.51.100.4"));
        assert!(client.https);
        assert_eq!(
            client.site_origin().as_deref(),
            Some("https://guichet.example.fr")
        );
    }

    #[test]
    fn rfc_7239_forwarded_wins_and_reads_quoted_ipv6() {
        let edge = edge(&["::1/128"], None);
        let sent = headers(&[
            ("host", "[::1]:8080"),
            (
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https;host=guichet.example.fr",
            ),
            ("x-forwarded-for", "192.0.2.9"),
        ]);
        let client = client_of(&edge, ip("::1"), &sent);
        assert_eq!(client.address, ip("2001:db8:cafe::17"));
        assert!(client.https);
        assert_eq!(
            client.site_origin().as_deref(),
            Some("https://guichet.example.fr")
        );
    }

    #[test]
    fn unreadable_or_unknown_entries_stop_at_the_proxy() {
        let edge = edge(&["127.0.0.1/32"], None);
        for garbage in ["pas une adresse", "unknown", "", "_hidden", "999.1.1.1"] {
            let sent = headers(&[("x-forwarded-for", garbage)]);
            let client = client_of(&edge, ip("127.0.0.1"), &sent);
            assert_eq!(client.address, ip("127.0.0.1"), "{garbage:?}");
            let forwarded = format!("for={garbage};proto=https");
            let sent = headers(&[("forwarded", forwarded.as_str())]);
            let client = client_of(&edge, ip("127.0.0.1"), &sent);
            assert_eq!(client.address, ip("127.0.0.1"), "{garbage:?}");
        }
        for broken in [";;;", "for", "=,=", "for=\"[::1", "for=[zz]:1", ","] {
            let sent = headers(&[("forwarded", broken)]);
            assert_eq!(
                client_of(&edge, ip("127.0.0.1"), &sent).address,
                ip("127.0.0.1"),
                "{broken:?}"
            );
        }
        // Garbage left of a real address is the client's own writing: skipped over.
        let sent = headers(&[("x-forwarded-for", "n'importe quoi, 192.0.2.1")]);
        assert_eq!(
            client_of(&edge, ip("127.0.0.1"), &sent).address,
            ip("192.0.2.1")
        );
        // An unknown scheme is no scheme.
        let sent = headers(&[("x-forwarded-proto", "gopher")]);
        assert!(!client_of(&edge, ip("127.0.0.1"), &sent).https);
    }

    #[test]
    fn the_public_url_is_the_origin_whatever_the_host() {
        let edge = edge(&[], Some("https://Guichet.Example.fr:443/"));
        let client = client_of(
            &edge,
            ip("192.0.2.1"),
            &headers(&[("host", "127.0.0.1:8080")]),
        );
        assert_eq!(
            client.site_origin().as_deref(),
            Some("https://guichet.example.fr")
        );
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_blocks() {
        let edge = edge(&["127.0.0.1/32"], None);
        let sent = headers(&[("x-forwarded-for", "192.0.2.3")]);
        assert_eq!(
            client_of(&edge, ip("::ffff:127.0.0.1"), &sent).address,
            ip("192.0.2.3")
        );
    }

    #[test]
    fn secure_is_dropped_and_nothing_else() {
        let mut map = headers(&[
            (
                "set-cookie",
                "guichet_session=abc; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=60",
            ),
            ("set-cookie", "other=1; Secure"),
        ]);
        drop_secure_attribute(&mut map);
        let cookies: Vec<&str> = map
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            cookies,
            [
                "guichet_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60",
                "other=1"
            ]
        );
    }

    #[test]
    fn loopback_origins() {
        assert!(is_loopback_origin("http://127.0.0.1:8080"));
        assert!(is_loopback_origin("http://localhost:8080"));
        assert!(is_loopback_origin("http://[::1]:8080"));
        assert!(!is_loopback_origin("http://192.168.1.10:8080"));
        assert!(!is_loopback_origin("http://guichet.lan"));
    }
}
