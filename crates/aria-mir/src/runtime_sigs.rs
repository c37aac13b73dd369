//! Machine signatures of the runtime functions generated code calls
//! (docs/RUNTIME_ABI.md), as `(params, returns)`. The lowering emits
//! exactly these; `validate` checks every runtime call against them.

use crate::mir::MTy::{self, F32, F64, I32, I64, I8};

type Sig = (&'static [MTy], &'static [MTy]);

const P: &[MTy] = &[I64];
const PP: &[MTy] = &[I64, I64];
const PPP: &[MTy] = &[I64, I64, I64];
const R: &[MTy] = &[I64, I64];

/// The signature of runtime function `name`, if the lowering knows it.
pub fn runtime_signature(name: &str) -> Option<Sig> {
    Some(match name {
        "aria_retain" | "aria_release" => (P, &[]),
        "aria_str_concat" | "aria_str_split" | "aria_str_find" | "aria_str_repeat" => (PP, P),
        "aria_str_eq" | "aria_str_contains" | "aria_str_starts_with" | "aria_str_ends_with" => {
            (PP, &[I8])
        }
        "aria_str_cmp" => (PP, &[I32]),
        "aria_str_index" => (PP, R),
        "aria_str_substring" => (PPP, R),
        "aria_str_trim" | "aria_str_to_upper" | "aria_str_to_lower" | "aria_str_from_byte" => {
            (P, P)
        }
        "aria_str_replace" => (PPP, P),
        "aria_fmt_int" | "aria_fmt_uint" | "aria_fmt_bool" | "aria_fmt_ptr" | "aria_fmt_array" => {
            (P, P)
        }
        "aria_fmt_f64" => (&[F64], P),
        "aria_fmt_f32" => (&[F32], P),
        "aria_fmt_tbb" => (&[I64, I32], P),
        "aria_fmt_nil" => (&[], P),
        "aria_print" => (&[I64, I32, I32], &[]),
        "aria_exit" => (P, &[]),
        "aria_now_ms" => (&[], P),
        "aria_parse_int" => (P, R),
        "aria_parse_float" => (P, &[I64, F64]),
        "aria_array_new" => (&[I32, I32, I64], P),
        "aria_array_elem" | "aria_array_remove" => (PP, R),
        "aria_array_push" => (PP, &[]),
        "aria_array_pop" => (P, R),
        "aria_array_insert" | "aria_array_slice" => (PPP, R),
        "aria_array_clear" | "aria_array_reverse" | "aria_array_sort" => (P, &[]),
        "aria_array_index_of" | "aria_array_join" => (PP, P),
        "aria_array_contains" => (PP, &[I8]),
        "aria_array_clone" | "aria_array_unique" => (P, P),
        "aria_struct_new" => (PP, P),
        "aria_struct_clone" | "aria_struct_unique" => (P, P),
        "aria_closure_new" => (PPP, P),
        "aria_cell_new" => (P, P),
        "aria_f64_rem" => (&[F64, F64], &[F64]),
        "aria_f32_rem" => (&[F32, F32], &[F32]),
        "aria_alloc" => (PP, R),
        "aria_free" => (P, &[]),
        "aria_panicking" => (&[], &[I8]),
        "aria_panic_raise" | "aria_panic_unwrap" => (PP, P),
        "aria_panic_locate" => (P, &[]),
        "aria_panic_suspend" => (&[], P),
        "aria_panic_resume" => (P, &[]),
        // Tasks (docs/RUNTIME_ABI.md "Tasks and the scheduler").
        "aria_task_new" => (P, P),
        "aria_task_spawn" | "aria_task_cancel" | "aria_task_detach" => (P, &[]),
        "aria_task_await" => (PP, &[I32]),
        "aria_task_start_inline" => (P, &[I32]),
        "aria_task_result" | "aria_task_block_on" => (P, R),
        "aria_task_cancelled" | "aria_task_done" => (P, &[I8]),
        "aria_task_pin" => (&[I64, I8], &[]),
        "aria_task_then" => (PP, &[]),
        "aria_sleep" | "aria_race" => (P, P),
        "aria_yield_now" => (&[], P),
        "aria_join_all" => (&[I64, I32, I32], P),
        "aria_with_timeout" => (PP, P),
        // Channels, TCP and files (docs/RUNTIME_ABI.md "Channels, TCP and files").
        "aria_chan_new" => (&[I64, I32], R),
        "aria_chan_try_send" | "aria_conn_try_read" | "aria_conn_try_write" => (PP, R),
        "aria_chan_try_recv" => (P, R),
        "aria_chan_finish_send" | "aria_chan_finish_recv" | "aria_finish_sleep" => (PP, R),
        "aria_conn_finish_read" | "aria_conn_finish_write" => (PP, R),
        "aria_try_sleep" => (P, R),
        "aria_chan_send" | "aria_tcp_connect" | "aria_conn_read" | "aria_conn_write" => (PP, P),
        "aria_write_file" => (PP, P),
        "aria_chan_recv" | "aria_listener_accept" | "aria_read_file" | "aria_listener_port" => {
            (P, P)
        }
        "aria_chan_close" | "aria_listener_close" | "aria_conn_shutdown" | "aria_conn_close" => {
            (P, &[])
        }
        "aria_tcp_listen" => (PP, R),
        _ => return None,
    })
}
