//! Property checks shared by the fuzz targets (run by libFuzzer here) and by
//! the proptest suites in `tests/hostile_props.rs` (run on stable by `cargo
//! test`, which includes `checks.rs` by path). Each check panics with a message
//! naming the input when a property fails.
//!
//! The crate also installs an allocator that aborts on any single allocation
//! above [`MAX_ALLOCATION`]: fuzz inputs are at most tens of kilobytes, so an
//! allocation that large can only come from trusting a length read from the
//! input (an index file header, say). It works without a sanitizer, so the
//! targets run on the stable toolchain.

use std::alloc::{GlobalAlloc, Layout, System};

pub mod checks;

/// The largest single allocation a target may make: 256 MiB.
pub const MAX_ALLOCATION: usize = 256 << 20;

/// The system allocator, refusing allocations above [`MAX_ALLOCATION`].
struct Capped;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so it upholds `GlobalAlloc`'s contract exactly as `System` does;
// the only addition is aborting (never returning) before an oversized request.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` via this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Aborts the process on an oversized request. It must not allocate (it runs
/// inside the allocator), so it writes a fixed message and aborts, which
/// libFuzzer reports as a crash and saves the input.
fn check(size: usize) {
    if size > MAX_ALLOCATION {
        use std::io::Write;
        let _ = std::io::stderr()
            .write_all(b"spamsift-fuzz: allocation above MAX_ALLOCATION (256 MiB)\n");
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

#[cfg(test)]
mod tests {
    /// The allocator on requests under the cap, small enough for Miri, which
    /// checks the `unsafe` forwarding (`cargo +nightly miri test --lib` in
    /// `fuzz/`): plain, zeroed, growing and shrinking allocations.
    #[test]
    fn capped_allocator_forwards_requests_under_the_cap() {
        let mut v: Vec<u64> = Vec::with_capacity(1);
        v.extend(0..1000);
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(v.iter().sum::<u64>(), 45);
        let zeroed = vec![0u8; 1 << 16];
        assert!(zeroed.iter().all(|&b| b == 0));
        let text: String = "金博体育".repeat(100);
        assert_eq!(text.chars().count(), 400);
    }
}
