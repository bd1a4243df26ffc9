//! The allocator, and the one setting that keeps its resident memory near what is live.
//!
//! mimalloc rather than glibc's malloc: the index holds millions of small strings built on the
//! parser threads, and mimalloc allocates them faster. But its default suits long-lived servers
//! that reuse what they free: it returns freed pages to the OS only a second later
//! (`purge_delay` = 1000 ms). A command here builds and drops large structures within that
//! second (the packed index, then its decoded form; a catalog's chunks), so each generation of
//! freed pages stayed resident beside the next: `verify` of 1M items peaked at 444 MiB, 330 MiB
//! when pages are purged as they are freed, at the same speed (`benches/scale.py`, and
//! `docs/scale.md`). Transparent huge pages stay allowed: without them `index` is about a fifth
//! slower, for 25 MiB less at 100k items.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option number for `purge_delay` (`mi_option_e` in its `mimalloc.h`); the crate
/// names only the stable options.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator's options. Call first in `main`, before any other thread starts.
/// `MIMALLOC_PURGE_DELAY` and `MIMALLOC_ALLOW_THP` in the environment still win, so a user can
/// tune them back.
///
/// `serve` keeps mimalloc's purge delay: a server reuses what it frees from one page to the
/// next, and purging at once made a 500-row Table page take 28 ms instead of 19 ms and a list of
/// 40k pods 1.3 s instead of 0.7 s (`benches/serve.py`), for 103 MiB of RSS instead of 171.
/// But it runs without transparent huge pages: mimalloc asks for them on its arenas, and a
/// server's heaps are sparse (a page's memory on whichever blocking thread answered it), so a
/// few live KiB kept a whole 2 MiB page resident: 72 of the 75 MiB of anonymous memory were
/// huge pages after twelve Table pages. Without them the server peaks at 57 MiB instead of 75 on
/// the same bench, at the same page time (17.6 against 18.1 ms).
///
/// The word is looked for among all arguments, before clap parses them on the command's thread:
/// a value that happens to be `serve` only keeps the default delay and turns huge pages off.
#[allow(unsafe_code)]
pub fn tune() {
    let serving = std::env::args_os().any(|a| a == "serve");
    if !serving && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` only stores a number in mimalloc's option table; it is not
        // thread safe, and this runs in `main` before any other thread of ours exists.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    }
    if serving && std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // The process's own flag, not mimalloc's option: the allocator read its options and
        // advised its first arena before `main`. The kernel then ignores that advice. Where the
        // call is refused (an old kernel), the server only keeps more memory resident.
        #[cfg(target_os = "linux")]
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}
