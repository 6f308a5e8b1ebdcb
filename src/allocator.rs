/*!
Settings of the memory allocator the binary uses (mimalloc, see `main.rs`).

A question makes many small, short-lived allocations (terms, plans, quotes), which mimalloc
serves faster than the system allocator. By default mimalloc keeps freed memory for a second
before giving it back to the system. Start-up frees a lot at once — jieba's dictionary is
parsed on a second thread and its temporary structures dropped — so with the delay all of it
would still be held while the index is built, raising peak memory for nothing; purged at once,
it is not, at no cost in speed. (Committing arenas on demand would save more, but mimalloc
commits its first arena before `main` runs.) The figures are in docs/performance.md.
*/

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` (milliseconds) in the `mi_option_e` of the vendored mimalloc (v3)
/// header; the test below checks that it holds that option's default.
const PURGE_DELAY: mi_option_t = 15;

/// Give freed memory back to the system at once. Call first thing in `main`.
pub fn tune() {
    // SAFETY: setting an option is a plain store into mimalloc's option table, valid at
    // any time and from any thread.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    fn get(option: mi_option_t) -> std::ffi::c_long {
        // SAFETY: reading an option is a plain load from mimalloc's option table.
        unsafe { mi_option_get(option) }
    }

    /// The index names the intended option: before `tune` it holds the purge delay's default
    /// (1000 ms in mimalloc v3), and `tune` sets it to 0.
    #[test]
    fn the_option_index_names_the_purge_delay() {
        assert_eq!(get(PURGE_DELAY), 1000);
        tune();
        assert_eq!(get(PURGE_DELAY), 0);
    }
}
