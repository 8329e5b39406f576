//! Fuzz target: `meshctl_core::topology::load_str` on arbitrary UTF-8 text.
//!
//! Loading either gives a topology or says why not (at least one diagnostic); every
//! diagnostic is documented and points inside the text. Non-UTF-8 input goes through
//! `load`, which must refuse it with one diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshctl_core::topology::{load, load_str};

#[path = "invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        let problems = load(data).err().expect("non-UTF-8 bytes never load");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "E002");
        return;
    };
    match load_str(text) {
        Ok(loaded) => invariants::check_diagnostics(text, &loaded.problems),
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal says why");
            invariants::check_diagnostics(text, &problems);
        }
    }
});
