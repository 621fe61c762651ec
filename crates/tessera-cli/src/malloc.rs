//! The allocators of a long-running server.
//!
//! Rust's allocations go to mimalloc: a request allocates and frees a few hundred small blocks
//! (header maps, JSON values, rows), and glibc's malloc spent about a tenth of a
//! `checkLoginStatus`'s server CPU on them (perf: `malloc`, `_int_free`, `malloc_consolidate`),
//! with futex wake-ups when two workers met on an arena lock. mimalloc keeps a heap per thread
//! and frees into it without a lock. It is built without transparent huge pages (`no_thp`): with
//! them, the first 2 MiB pages of its arenas alone took an idle server from 5 to 20 MiB
//! resident. It returns freed pages to the system on its own after a short delay.
//!
//! SQLite and OpenSSL still allocate through glibc's malloc, tuned below. Elsewhere than glibc
//! these are no-ops.
//!
//! glibc gives each thread that allocates while the others hold their arenas a new arena, up to
//! eight per core, and memory freed into one arena serves only the threads that use it. A
//! server's threads are many (tokio's workers, blocking threads, one per SQLite connection), so
//! freed memory piles up in arenas other threads cannot reuse. One arena per core bounds that;
//! the per-thread caches glibc keeps in front of the arenas (tcache) still serve most small
//! allocations without taking an arena lock, and no more threads than cores run at once.

/// Limits glibc to one malloc arena per core. Call before any thread is started: glibc reads
/// the limit when a thread first needs an arena.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets an allocator parameter; any value is accepted or refused
        // (return value 0), never undefined behaviour.
        unsafe {
            glibc::mallopt(glibc::M_ARENA_MAX, arenas);
        }
    }
}

#[global_allocator]
static RUST_ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns memory freed during start-up (argument parsing, migrations, key generation) to the
/// system. glibc gives back only what lies at the top of an arena on its own; the rest stays
/// resident until `malloc_trim` releases every free page. mimalloc is asked to purge its freed
/// pages now rather than after its delay. Call once start-up has settled.
pub fn release_free_memory() {
    // SAFETY: mi_collect only frees the calling thread's empty pages and purges freed memory
    // under mimalloc's own synchronisation.
    unsafe {
        mi::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists under its locks.
    unsafe {
        glibc::malloc_trim(0);
    }
}

mod mi {
    // Linked by `libmimalloc-sys` (the `mimalloc` crate's allocator); `mimalloc.h`:
    // `void mi_collect(bool force)`.
    extern "C" {
        pub fn mi_collect(force: bool);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// `M_ARENA_MAX` from glibc's `<malloc.h>`.
    pub const M_ARENA_MAX: i32 = -8;

    extern "C" {
        pub fn mallopt(param: i32, value: i32) -> i32;
        pub fn malloc_trim(pad: usize) -> i32;
    }
}
