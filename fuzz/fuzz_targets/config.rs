//! The TOML config file loader and the resolution of `tessera serve`'s settings from it
//! (`tessera-cli/src/config.rs`). A bad file is a `ConfigError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_cli::config::{resolve_serve, store_location, FileConfig, ServeArgs};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = FileConfig::parse(text, "fuzz.toml") else {
        return;
    };
    let _ = store_location(None, None, &file);
    let _ = resolve_serve(ServeArgs::default(), None, None, None, &file);
});
