//! Object layouts, kind codes and result codes shared with the code generator.
//!
//! These constants are the machine-readable form of `docs/RUNTIME_ABI.md`:
//! the code generator imports them instead of hard-coding numbers. Every
//! offset is in bytes from the start of the object (the object pointer points
//! at the header).

// ---- header (every managed object) -------------------------------------------------

/// Reference count, `AtomicI64`. Negative = immortal.
pub const RC_OFFSET: i32 = 0;
/// Object kind (`KIND_*`), `u32`.
pub const KIND_OFFSET: i32 = 8;
/// Size of the common header.
pub const HEADER_SIZE: i32 = 16;
/// The reference count stored in immortal objects (e.g. string literals the
/// code generator emits into read-only data). Any negative value is immortal.
pub const IMMORTAL_RC: i64 = -1;

// ---- object kinds --------------------------------------------------------------------

pub const KIND_STRING: u32 = 1;
pub const KIND_ARRAY: u32 = 2;
pub const KIND_STRUCT: u32 = 3;
pub const KIND_CLOSURE: u32 = 4;
pub const KIND_CELL: u32 = 5;
pub const KIND_TASK: u32 = 6;
pub const KIND_CHAN: u32 = 7;
pub const KIND_LISTENER: u32 = 8;
pub const KIND_CONN: u32 = 9;

/// Runtime-private kinds above `KIND_TASK` keep their destructor,
/// `unsafe fn(*mut u8)`, in the word at this offset; `aria_release` calls it
/// when the count reaches zero (it must release children and free the object
/// with `object::free_object`). Tasks (`KIND_TASK`) are destroyed by
/// `task::destroy` directly and keep their runtime pointer in this word.
pub const PRIVATE_DROP_OFFSET: i32 = 16;

// ---- string ------------------------------------------------------------------------

/// `len: i64` (byte count).
pub const STR_LEN_OFFSET: i32 = 16;
/// First byte of the inline bytes.
pub const STR_DATA_OFFSET: i32 = 24;

// ---- array -------------------------------------------------------------------------

pub const ARRAY_LEN_OFFSET: i32 = 16;
pub const ARRAY_CAP_OFFSET: i32 = 24;
/// `elem_kind: u32` (`ELEM_*`).
pub const ARRAY_ELEM_KIND_OFFSET: i32 = 32;
/// `elem_size: u32` (1, 2, 4 or 8).
pub const ARRAY_ELEM_SIZE_OFFSET: i32 = 36;
/// `data: *mut u8`, elements packed at `elem_size` (null when `cap == 0`).
pub const ARRAY_DATA_OFFSET: i32 = 40;
/// Size of the array object (the data buffer is a separate allocation).
pub const ARRAY_OBJECT_SIZE: i32 = 48;

// ---- struct ------------------------------------------------------------------------

pub const STRUCT_NFIELDS_OFFSET: i32 = 16;
/// `managed: *const u8`, one byte per field (1 = managed pointer). The map is
/// not copied: it must outlive every struct built with it (static data).
pub const STRUCT_MANAGED_OFFSET: i32 = 24;
/// `fields: [i64; n]`.
pub const STRUCT_FIELDS_OFFSET: i32 = 32;

// ---- closure -----------------------------------------------------------------------

pub const CLOSURE_FNPTR_OFFSET: i32 = 16;
pub const CLOSURE_NCAPS_OFFSET: i32 = 24;
/// `managed: *const u8`, one byte per capture (static data, not copied).
pub const CLOSURE_MANAGED_OFFSET: i32 = 32;
/// `caps: [i64; n]`.
pub const CLOSURE_CAPS_OFFSET: i32 = 40;

// ---- cell --------------------------------------------------------------------------

/// `managed: i64` (1 when `value` is a managed pointer).
pub const CELL_MANAGED_OFFSET: i32 = 16;
pub const CELL_VALUE_OFFSET: i32 = 24;
pub const CELL_OBJECT_SIZE: i32 = 32;

// ---- array element kinds -----------------------------------------------------------

pub const ELEM_I8: u32 = 1;
pub const ELEM_I16: u32 = 2;
pub const ELEM_I32: u32 = 3;
pub const ELEM_I64: u32 = 4;
pub const ELEM_U8: u32 = 5;
pub const ELEM_U16: u32 = 6;
pub const ELEM_U32: u32 = 7;
pub const ELEM_U64: u32 = 8;
pub const ELEM_F32: u32 = 9;
pub const ELEM_F64: u32 = 10;
pub const ELEM_BOOL: u32 = 11;
pub const ELEM_TBB8: u32 = 12;
pub const ELEM_TBB16: u32 = 13;
pub const ELEM_TBB32: u32 = 14;
pub const ELEM_TBB64: u32 = 15;
pub const ELEM_STR: u32 = 16;
pub const ELEM_ARRAY: u32 = 17;
pub const ELEM_NIL: u32 = 18;
pub const ELEM_PTR: u32 = 19;
pub const ELEM_STRUCT: u32 = 20;
pub const ELEM_FUNC: u32 = 21;
pub const ELEM_TASK: u32 = 22;
pub const ELEM_CHAN: u32 = 23;
pub const ELEM_LISTENER: u32 = 24;
pub const ELEM_CONN: u32 = 25;

/// Is an element of this kind a managed pointer (retained by the array)?
pub const fn elem_is_managed(kind: u32) -> bool {
    matches!(kind, ELEM_STR | ELEM_ARRAY | ELEM_STRUCT..=ELEM_CONN)
}

/// The machine size of an element of this kind (what `elem_size` must be).
pub const fn elem_size_of(kind: u32) -> u32 {
    match kind {
        ELEM_I8 | ELEM_U8 | ELEM_BOOL | ELEM_TBB8 | ELEM_NIL => 1,
        ELEM_I16 | ELEM_U16 | ELEM_TBB16 => 2,
        ELEM_I32 | ELEM_U32 | ELEM_F32 | ELEM_TBB32 => 4,
        _ => 8,
    }
}

/// Is this element kind read with sign extension (signed integers and tbb)?
pub const fn elem_is_signed(kind: u32) -> bool {
    matches!(
        kind,
        ELEM_I8 | ELEM_I16 | ELEM_I32 | ELEM_I64 | ELEM_TBB8 | ELEM_TBB16 | ELEM_TBB32 | ELEM_TBB64
    )
}

// ---- failure and panic codes (LANGUAGE.md §10.2, §10.3) -----------------------------

pub const ERR_CANCELLED: i64 = -1;
pub const ERR_TIMEOUT: i64 = -2;
pub const ERR_CLOSED: i64 = -3;
pub const ERR_IO: i64 = -4;
pub const ERR_NOT_FOUND: i64 = -5;
pub const ERR_REFUSED: i64 = -6;
pub const ERR_ADDR_IN_USE: i64 = -7;
pub const ERR_PARSE: i64 = -8;
pub const ERR_INVALID: i64 = -9;

pub const PANIC_DIV_ZERO: i64 = -101;
pub const PANIC_INDEX: i64 = -102;
pub const PANIC_UNWRAP: i64 = -103;
pub const PANIC_USER: i64 = -104;
pub const PANIC_UNINIT: i64 = -105;
pub const PANIC_TILL_STEP: i64 = -106;
pub const PANIC_DETACHED: i64 = -107;
pub const PANIC_FAIL_ZERO: i64 = -108;
pub const PANIC_ASSERT: i64 = -109;
pub const PANIC_ALLOC: i64 = -110;

/// Is `code` one of the panic codes (-110..=-101)?
pub const fn is_panic_code(code: i64) -> bool {
    code <= PANIC_DIV_ZERO && code >= PANIC_ALLOC
}

// ---- exit statuses (LANGUAGE.md §10.4) ----------------------------------------------

pub const EXIT_MAIN_FAILED: i32 = 1;
pub const EXIT_PANIC: i32 = 101;
pub const EXIT_DEADLOCK: i32 = 102;

// ---- helpers for emitting constants ------------------------------------------------

/// The exact bytes of an immortal string object holding `bytes`
/// (`rc = IMMORTAL_RC`, `kind = KIND_STRING`, `len`, the bytes, padded to a
/// multiple of 8). The code generator places this image in read-only data,
/// aligned to 8, and uses its address as the string value.
pub fn immortal_string_image(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + bytes.len() + 8);
    out.extend_from_slice(&IMMORTAL_RC.to_le_bytes());
    out.extend_from_slice(&KIND_STRING.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as i64).to_le_bytes());
    out.extend_from_slice(bytes);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elem_tables() {
        for k in ELEM_I8..=ELEM_CONN {
            let size = elem_size_of(k);
            assert!(matches!(size, 1 | 2 | 4 | 8));
            if elem_is_managed(k) {
                assert_eq!(size, 8, "managed kind {k} must be pointer-sized");
            }
        }
        assert!(elem_is_managed(ELEM_STR));
        assert!(elem_is_managed(ELEM_ARRAY));
        assert!(!elem_is_managed(ELEM_NIL));
        assert!(!elem_is_managed(ELEM_PTR));
        assert!(elem_is_managed(ELEM_STRUCT));
        assert!(elem_is_managed(ELEM_CONN));
        assert!(elem_is_signed(ELEM_TBB16));
        assert!(!elem_is_signed(ELEM_U32));
        assert!(is_panic_code(-101) && is_panic_code(-110) && !is_panic_code(-9));
    }

    #[test]
    fn string_image_is_little_endian_and_padded() {
        let img = immortal_string_image(b"hi");
        assert_eq!(img.len(), 32);
        assert_eq!(i64::from_le_bytes(img[0..8].try_into().unwrap()), -1);
        assert_eq!(
            u32::from_le_bytes(img[8..12].try_into().unwrap()),
            KIND_STRING
        );
        assert_eq!(i64::from_le_bytes(img[16..24].try_into().unwrap()), 2);
        assert_eq!(&img[24..26], b"hi");
    }
}
