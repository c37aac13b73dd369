//! Every exported runtime function with its address, for the JIT
//! (`JITBuilder::symbol(name, addr)` for each entry).

use crate::*;

/// One exported function: its C name and address.
#[derive(Clone, Copy, Debug)]
pub struct Symbol {
    pub name: &'static str,
    pub addr: *const u8,
}

// SAFETY: the addresses are of functions, immutable and valid on every thread.
unsafe impl Sync for Symbol {}
// SAFETY: as above.
unsafe impl Send for Symbol {}

macro_rules! sym {
    ($module:ident :: $name:ident) => {
        Symbol {
            name: stringify!($name),
            addr: $module::$name as *const u8,
        }
    };
    ($outer:ident :: $module:ident :: $name:ident) => {
        Symbol {
            name: stringify!($name),
            addr: $outer::$module::$name as *const u8,
        }
    };
}

/// Every `#[no_mangle] extern "C"` function of the crate.
pub static SYMBOLS: &[Symbol] = &[
    sym!(memory::aria_alloc),
    sym!(array::aria_array_clear),
    sym!(array::aria_array_clone),
    sym!(array::aria_array_contains),
    sym!(array::aria_array_elem),
    sym!(array::aria_array_index_of),
    sym!(array::aria_array_insert),
    sym!(array::aria_array_join),
    sym!(array::aria_array_new),
    sym!(array::aria_array_pop),
    sym!(array::aria_array_push),
    sym!(array::aria_array_remove),
    sym!(array::aria_array_reverse),
    sym!(array::aria_array_slice),
    sym!(array::aria_array_sort),
    sym!(array::aria_array_unique),
    sym!(closure::aria_cell_new),
    sym!(closure::aria_closure_new),
    sym!(process::aria_exit),
    sym!(numbers::aria_f32_rem),
    sym!(numbers::aria_f64_rem),
    sym!(format::aria_fmt_array),
    sym!(format::aria_fmt_bool),
    sym!(format::aria_fmt_f32),
    sym!(format::aria_fmt_f64),
    sym!(format::aria_fmt_int),
    sym!(format::aria_fmt_nil),
    sym!(format::aria_fmt_ptr),
    sym!(format::aria_fmt_tbb),
    sym!(format::aria_fmt_uint),
    sym!(memory::aria_free),
    sym!(entry::aria_main),
    sym!(process::aria_now_ms),
    sym!(panic::aria_panic_assert),
    sym!(panic::aria_panic_div_zero),
    sym!(panic::aria_panic_index),
    sym!(panic::aria_panic_locate),
    sym!(panic::aria_panic_raise),
    sym!(panic::aria_panic_resume),
    sym!(panic::aria_panic_suspend),
    sym!(panic::aria_panic_unwrap),
    sym!(panic::aria_panicking),
    sym!(parse::aria_parse_float),
    sym!(parse::aria_parse_int),
    sym!(output::aria_print),
    sym!(object::aria_release),
    sym!(object::aria_retain),
    sym!(object::aria_rt_live_objects),
    sym!(string::aria_str_cmp),
    sym!(string::aria_str_concat),
    sym!(string::aria_str_contains),
    sym!(string::aria_str_ends_with),
    sym!(string::aria_str_eq),
    sym!(string::aria_str_find),
    sym!(string::aria_str_from_byte),
    sym!(string::aria_str_index),
    sym!(string::aria_str_repeat),
    sym!(string::aria_str_replace),
    sym!(string::aria_str_split),
    sym!(string::aria_str_starts_with),
    sym!(string::aria_str_substring),
    sym!(string::aria_str_to_lower),
    sym!(string::aria_str_to_upper),
    sym!(string::aria_str_trim),
    sym!(structs::aria_struct_clone),
    sym!(structs::aria_struct_new),
    sym!(structs::aria_struct_unique),
    // Tasks and the async library (called by generated coroutines).
    sym!(task::abi::aria_task_new),
    sym!(task::abi::aria_task_spawn),
    sym!(task::abi::aria_task_start_inline),
    sym!(task::abi::aria_task_await),
    sym!(task::abi::aria_task_result),
    sym!(task::abi::aria_task_cancelled),
    sym!(task::abi::aria_task_pin),
    sym!(task::abi::aria_task_block_on),
    sym!(task::abi::aria_task_done),
    sym!(task::abi::aria_task_cancel),
    sym!(task::abi::aria_task_detach),
    sym!(task::abi::aria_task_then),
    sym!(asynclib::aria_sleep),
    sym!(asynclib::aria_yield_now),
    sym!(asynclib::aria_join_all),
    sym!(asynclib::aria_race),
    sym!(asynclib::aria_with_timeout),
    sym!(async_main::aria_main_async),
    // Channels, TCP and files.
    sym!(chan::aria_chan_new),
    sym!(chan::aria_chan_send),
    sym!(chan::aria_chan_recv),
    sym!(chan::aria_chan_try_send),
    sym!(chan::aria_chan_try_recv),
    sym!(chan::aria_chan_finish_send),
    sym!(chan::aria_chan_finish_recv),
    sym!(asynclib::aria_try_sleep),
    sym!(asynclib::aria_finish_sleep),
    sym!(chan::aria_chan_close),
    sym!(net::aria_tcp_listen),
    sym!(net::aria_listener_port),
    sym!(net::aria_listener_accept),
    sym!(net::aria_listener_close),
    sym!(net::aria_tcp_connect),
    sym!(net::aria_conn_read),
    sym!(net::aria_conn_write),
    sym!(net::aria_conn_try_read),
    sym!(net::aria_conn_try_write),
    sym!(net::aria_conn_finish_read),
    sym!(net::aria_conn_finish_write),
    sym!(net::aria_conn_shutdown),
    sym!(net::aria_conn_close),
    sym!(fs::aria_read_file),
    sym!(fs::aria_write_file),
    // The C API (ARCHITECTURE.md §6).
    sym!(capi::aria_scheduler_init),
    sym!(capi::aria_scheduler_shutdown),
    sym!(capi::aria_scheduler_schedule),
    sym!(capi::aria_scheduler_resume),
    sym!(capi::aria_frame_alloc),
    sym!(capi::aria_frame_free),
];

/// [`SYMBOLS`] as `(name, address)` pairs.
pub fn symbols() -> Vec<(&'static str, *const u8)> {
    SYMBOLS.iter().map(|s| (s.name, s.addr)).collect()
}

/// The address of the exported function `name`.
pub fn lookup(name: &str) -> Option<*const u8> {
    SYMBOLS.iter().find(|s| s.name == name).map(|s| s.addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects the names of `extern "C" fn aria_*` definitions below `dir`.
    fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("extern \"C\" fn aria_") {
                rest = &rest[i + "extern \"C\" fn ".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap();
                // `aria_*` in prose names no function.
                if end > "aria_".len() {
                    found.push(rest[..end].to_string());
                }
            }
        }
    }

    /// Every exported `aria_*` function in the sources is listed, exactly once.
    #[test]
    fn symbols_are_complete() {
        let mut found = Vec::new();
        scan(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut found,
        );
        found.sort();
        let mut listed: Vec<String> = SYMBOLS.iter().map(|s| s.name.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
        assert!(SYMBOLS.iter().all(|s| !s.addr.is_null()));
        assert_eq!(
            lookup("aria_str_concat"),
            Some(string::aria_str_concat as *const u8)
        );
        assert_eq!(symbols().len(), SYMBOLS.len());
    }
}
