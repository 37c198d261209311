//! The engine's handling of what an upstream sends: Link headers, bodies, status errors, and
//! the dotted paths used for results keys and next links.
#![no_main]

use plugboard_engine::{HttpResponse, link_header, paginate, request};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = link_header::parse(&text);
    let _ = link_header::find([text.as_ref()], "next");
    let response = HttpResponse {
        status: data.first().map_or(200, |b| 100 + u16::from(*b) * 2),
        headers: vec![("content-type".into(), "application/json".into())],
        body: data.to_vec(),
    };
    let _ = request::check_status("GET", "/x", &response);
    let _ = request::body_to_json(response);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        for path in ["data.items", "links.next", "0", "a.0.b"] {
            let _ = paginate::dotted(&value, path);
        }
    }
});
