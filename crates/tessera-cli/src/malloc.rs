//! Tuning of the C allocator (glibc's malloc, which Rust's default allocator and SQLite use)
//! for a long-running server. Elsewhere these are no-ops.
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

/// Returns memory freed during start-up (argument parsing, migrations, key generation) to the
/// system. glibc gives back only what lies at the top of an arena on its own; the rest stays
/// resident until `malloc_trim` releases every free page. Call once start-up has settled.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists under its locks.
    unsafe {
        glibc::malloc_trim(0);
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
