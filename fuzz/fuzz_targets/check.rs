//! A whole `aria check`: parse, type-check (when the parse is clean), then
//! render every diagnostic as the driver prints it, asserting each one is
//! coded. Any panic here is an "internal compiler error" for the user.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &[u8]| {
    let diags = aria_fuzz::front_end(src);
    aria_fuzz::assert_coded(&diags, src);
});
