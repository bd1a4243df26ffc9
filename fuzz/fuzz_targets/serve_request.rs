//! What `serve` parses of a request before it answers (path segments, the query, label and
//! field selectors, the Host header, the session cookie), over arbitrary input: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Four parts split on NUL bytes, as a request's path, query, Host and Cookie.
    let mut parts = text.split('\0');
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let host = parts.next().unwrap_or("");
    let cookie = parts.next().unwrap_or("");
    let _ = veloscope_serve::parse_request_parts(path, query, host, cookie);
});
