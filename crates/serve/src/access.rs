//! Who gets in. Every request must name this server by a host it answers to (the bound
//! address, `localhost`, or a name given with `--allow-host`), so that a web page cannot reach
//! it through DNS rebinding; an `Origin`, when sent, must be one of those hosts too. Then it
//! must carry the bearer token (kubectl, client libraries, curl) or the session cookie a browser
//! got from the one-time login link printed at start. `--no-auth` (loopback only) drops the
//! credential, never the host check.

use crate::status::Status;
use axum::http::{HeaderMap, header};
use std::net::SocketAddr;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// The browser session's cookie.
pub const COOKIE: &str = "veloscope-session";

/// At most this many browser sessions (each from a login link, which works once).
const MOST_SESSIONS: usize = 16;

pub struct Access {
    /// The bearer token; None with `--no-auth`.
    token: Option<String>,
    /// The login link's token until its first use.
    login: Mutex<Option<String>>,
    sessions: Mutex<Vec<String>>,
    /// Host names this server answers to, lower-case.
    hosts: Vec<String>,
}

/// `n` random bytes as hex, from the operating system's generator.
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut raw = vec![0u8; n];
    getrandom::fill(&mut raw)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The host of a `Host` header, an origin's authority or an `--allow-host` name, as it is
/// compared and certified: without its port, lower-case, with no trailing dot, IPv6 without
/// brackets.
pub(crate) fn host_name(authority: &str) -> String {
    let a = authority.trim();
    let name = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match a.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => a,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Access {
    pub fn new(
        token: Option<String>,
        login: Option<String>,
        listen: SocketAddr,
        allow_hosts: &[String],
    ) -> Access {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_string)
            .collect();
        if !listen.ip().is_unspecified() {
            hosts.push(listen.ip().to_string());
        }
        hosts.extend(allow_hosts.iter().map(|h| host_name(h)));
        Access {
            token,
            login: Mutex::new(login),
            sessions: Mutex::new(Vec::new()),
            hosts,
        }
    }

    fn allowed_host(&self, authority: &str) -> bool {
        self.hosts.contains(&host_name(authority))
    }

    /// The `Host` (and `Origin`, when sent) name this server.
    pub fn check_host(&self, headers: &HeaderMap) -> Result<(), Status> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.allowed_host(host) {
            return Err(Status::forbidden(format!(
                "this server does not answer to the host {host:?} (start it with --allow-host NAME to add a name)"
            )));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("null");
            let authority = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .filter(|a| !a.contains('/'));
            if !authority.is_some_and(|a| self.allowed_host(a)) {
                return Err(Status::forbidden(format!(
                    "requests from the origin {origin:?} are not served"
                )));
            }
        }
        Ok(())
    }

    /// The bearer token or a session cookie.
    pub fn check_credential(&self, headers: &HeaderMap) -> Result<(), Status> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        if let Some(given) = bearer {
            return if same(given.trim(), token) {
                Ok(())
            } else {
                Err(Status::unauthorized())
            };
        }
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(';'))
            .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .next();
        if let Some(given) = cookie
            && let Ok(sessions) = self.sessions.lock()
            && sessions.iter().fold(false, |hit, s| hit | same(given, s))
        {
            return Ok(());
        }
        Err(Status::unauthorized())
    }

    /// Trades the login link's token, once, for a new session's cookie value.
    pub fn login(&self, given: &str) -> Result<String, Status> {
        let mut login = self
            .login
            .lock()
            .map_err(|_| Status::internal("login state poisoned"))?;
        match login.as_deref() {
            Some(expected) if same(given, expected) => {}
            Some(_) => return Err(Status::unauthorized()),
            None => {
                return Err(Status {
                    message: "this login link was used already: it works once (restart `veloscope serve` for a new one)".into(),
                    ..Status::unauthorized()
                });
            }
        }
        let session = random_hex(32).map_err(|e| Status::internal(e.to_string()))?;
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| Status::internal("login state poisoned"))?;
        if sessions.len() >= MOST_SESSIONS {
            sessions.remove(0);
        }
        sessions.push(session.clone());
        *login = None;
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn access() -> Access {
        Access::new(
            Some("tok".into()),
            Some("once".into()),
            "127.0.0.1:8080".parse().unwrap(),
            &["backups.example.com".into()],
        )
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn hosts_are_the_bound_address_localhost_or_allowed() {
        let a = access();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST.",
            "[::1]:8080",
            "backups.example.com",
        ] {
            assert!(
                a.check_host(&headers(&[(header::HOST, ok)])).is_ok(),
                "{ok}"
            );
        }
        for bad in ["evil.example:8080", "127.0.0.1.evil.example", "", "[::2]"] {
            assert!(
                a.check_host(&headers(&[(header::HOST, bad)])).is_err(),
                "{bad}"
            );
        }
        let from = |origin: &str| {
            a.check_host(&headers(&[
                (header::HOST, "127.0.0.1:8080"),
                (header::ORIGIN, origin),
            ]))
        };
        assert!(from("http://127.0.0.1:8080").is_ok());
        assert!(from("http://evil.example").is_err());
        assert!(from("null").is_err());
    }

    #[test]
    fn a_login_link_works_once_and_its_cookie_lets_in() {
        let a = access();
        assert!(a.check_credential(&HeaderMap::new()).is_err());
        assert!(a.login("wrong").is_err());
        let session = a.login("once").unwrap();
        assert!(a.login("once").is_err(), "a second use");
        let cookie = format!("other=1; {COOKIE}={session}");
        assert!(
            a.check_credential(&headers(&[(header::COOKIE, &cookie)]))
                .is_ok()
        );
        assert!(
            a.check_credential(&headers(&[(header::COOKIE, &format!("{COOKIE}=forged"))]))
                .is_err()
        );
        assert!(
            a.check_credential(&headers(&[(header::AUTHORIZATION, "Bearer tok")]))
                .is_ok()
        );
        assert!(
            a.check_credential(&headers(&[(header::AUTHORIZATION, "Bearer tok2")]))
                .is_err()
        );
    }
}
