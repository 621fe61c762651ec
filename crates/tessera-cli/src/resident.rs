//! Letting go of the code pages start-up touched, as an operating system frees its init
//! sections once it has booted.
//!
//! Start-up runs code that an idle or serving process never runs again: argument and
//! configuration parsing, migrations, key generation, building the router of every façade.
//! Linux maps a file's pages into a process on first touch and, to save faults, maps up to
//! 16 neighbouring pages already in the page cache with it ("fault-around"), so the scattered
//! start-up code leaves several megabytes of the binary's text counted in the process's
//! resident set. Those pages are clean copies of the file, and the page cache keeps them:
//! `MADV_DONTNEED` only drops this process's mappings of them, and the next touch maps the
//! page again from the cache (a minor fault, no disk read). Only the pages that serving runs
//! come back.
//!
//! `MADV_DONTNEED` on a private file mapping also discards the pages the process wrote
//! (copy-on-write copies: relocated read-only data, `.data`), which would lose their
//! contents. So only mappings that are not writable and hold no such copy (`Anonymous: 0 kB`
//! in `/proc/self/smaps`) are advised; a read-only mapping cannot gain one afterwards.

/// Drops this process's mappings of clean file pages (its own binary's and its shared
/// libraries'). Best effort: without `/proc`, nothing changes.
pub fn release_startup_code() {
    #[cfg(target_os = "linux")]
    linux::release();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::c_void;

    /// `MADV_DONTNEED` from `<sys/mman.h>`.
    const MADV_DONTNEED: i32 = 4;

    extern "C" {
        fn madvise(addr: *mut c_void, len: usize, advice: i32) -> i32;
    }

    /// The mappings of `/proc/self/smaps` text that hold only clean pages of a file:
    /// readable, not writable, backed by a path, with no anonymous (written) page.
    pub(super) fn clean_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut current: Option<(usize, usize)> = None;
        for line in smaps.lines() {
            if let Some(range) = mapping_header(line) {
                current = range;
            } else if let Some(rest) = line.strip_prefix("Anonymous:") {
                if let Some(range) = current.take() {
                    if rest.trim() == "0 kB" {
                        out.push(range);
                    }
                }
            }
        }
        out
    }

    /// For a mapping's header line, `Some` with its range when it is a readable, unwritable
    /// file mapping, `Some(None)` for any other mapping; `None` for a field line.
    fn mapping_header(line: &str) -> Option<Option<(usize, usize)>> {
        let mut fields = line.split_whitespace();
        let range = fields.next()?;
        let (start, end) = range.split_once('-')?;
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            return None;
        };
        let perms = fields.next()?;
        // offset, device, inode, then the path (absent for anonymous memory).
        let path = fields.nth(3);
        let file = path.is_some_and(|p| p.starts_with('/'));
        let read_only = perms.starts_with('r') && !perms.contains('w');
        Some((file && read_only && end > start).then_some((start, end - start)))
    }

    pub(super) fn release() {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return;
        };
        for (start, len) in clean_file_mappings(&smaps) {
            // SAFETY: the range is a whole read-only file mapping of this process with no
            // written page, as the kernel listed it a moment ago; dropping its pages loses
            // nothing, the next access maps the file's page again.
            unsafe {
                madvise(start as *mut c_void, len, MADV_DONTNEED);
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::clean_file_mappings;

    #[test]
    fn only_clean_read_only_file_mappings_are_advised() {
        let smaps = "\
55e35c7ac000-55e35cd66000 r--p 00000000 fd:01 123 /usr/bin/tessera
Size:               5864 kB
Anonymous:             0 kB
55e35cd66000-55e35e0cb000 r-xp 005ba000 fd:01 123 /usr/bin/tessera
Size:              19860 kB
Anonymous:             0 kB
55e35e0cb000-55e35e17f000 r--p 0191e000 fd:01 123 /usr/bin/tessera
Size:                720 kB
Anonymous:           720 kB
55e35e17f000-55e35e186000 rw-p 019d3000 fd:01 123 /usr/bin/tessera
Anonymous:             0 kB
7f0000000000-7f0000021000 rw-p 00000000 00:00 0
Anonymous:           132 kB
7ffd1c5f0000-7ffd1c5f2000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
7f0000100000-7f0000121000 ---p 00000000 fd:01 9 /usr/lib/libc.so.6
Anonymous:             0 kB
";
        assert_eq!(
            clean_file_mappings(smaps),
            vec![
                (0x55e35c7ac000, 0x55e35cd66000 - 0x55e35c7ac000),
                (0x55e35cd66000, 0x55e35e0cb000 - 0x55e35cd66000),
            ]
        );
    }

    #[test]
    fn the_process_keeps_running_after_its_pages_are_dropped() {
        super::release_startup_code();
        // Code and read-only data come back from the page cache on the next touch.
        let text = format!("{:?}", std::hint::black_box(vec![1u8, 2, 3]));
        assert_eq!(text, "[1, 2, 3]");
    }
}
