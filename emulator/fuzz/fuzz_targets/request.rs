//! Fuzzes the request parsers: path + query routing and every operation's JSON body.
//! Input layout: byte 0 bit 0 = POST, then `path?query` up to the first NUL, then the body.
#![no_main]

use cloudcontrol_emulator::server::{process, AppState};
use cloudcontrol_emulator::Config;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(&Config::for_tests()).expect("state"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let path = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default();
    let (status, text) = process(state(), flags & 1 == 1, &path, body);
    if status != 404 {
        let v: serde_json::Value = serde_json::from_str(&text).expect("responses are JSON");
        assert!(v.is_object());
    }
});
