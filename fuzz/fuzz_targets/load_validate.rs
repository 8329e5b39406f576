//! Fuzz target: load, then `meshctl_core::validate::validate`, as `meshctl validate` does.
//!
//! Whatever loads must validate without panicking; problems found while loading must
//! fail validation; every diagnostic is documented and points inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshctl_core::topology::load_str;
use meshctl_core::validate::{fails, validate};

#[path = "invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = load_str(text) else {
        return;
    };
    let diagnostics = validate(&loaded);
    if loaded.problems.iter().any(|d| d.is_error()) {
        assert!(
            fails(&diagnostics, false),
            "load problems {:?} must fail validation",
            loaded.problems
        );
    }
    invariants::check_diagnostics(text, &diagnostics);
});
