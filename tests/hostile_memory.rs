//! Peak heap memory of the worst cases, measured by a counting allocator.
//!
//! This file is its own test binary so the allocator counts nothing but its
//! tests, and the tests take a lock so they never overlap. The allocator is
//! the one `unsafe` item of the test suite: it forwards every call to the
//! system allocator unchanged (see the `SAFETY` comment); the library itself
//! stays `#![forbid(unsafe_code)]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use spamsift::neardup::{Item, SelfJoin};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static SERIAL: Mutex<()> = Mutex::new(());

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so the contract of `GlobalAlloc` is upheld exactly as `System`
// upholds it; the counters are plain atomics that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged; `ptr` came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the peak heap it added above what was live before.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// The allocator itself, small enough for Miri, which checks the `unsafe`
/// forwarding (`cargo +nightly miri test --test hostile_memory allocator`):
/// plain, zeroed, growing and shrinking allocations, and a small self-join.
/// The harness's other threads may allocate or free a little meanwhile, so
/// the live count is compared with a margin far below the 256 KiB block.
#[test]
fn the_counting_allocator_forwards_every_call() {
    const BLOCK: usize = 256 << 10;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE.load(Ordering::Relaxed);
    let peak = peak_during(|| {
        let mut v: Vec<u64> = Vec::with_capacity(1);
        v.extend(0..100);
        v.shrink_to_fit();
        let zeroed = vec![0u8; BLOCK];
        assert!(zeroed.iter().step_by(4096).all(|&b| b == 0));
        let boxed = Box::new([7u32; 16]);
        assert_eq!(v.iter().sum::<u64>(), 4950);
        assert_eq!(boxed[15], 7);
        let mut items: Vec<Item> = (0..64).map(|i| Item::new(0xDEAD_BEEF, i)).collect();
        let join = SelfJoin::builder()
            .max_distance(3)
            .threads(1)
            .build()
            .unwrap();
        let mut groups = 0;
        join.for_each_group(&mut items, |_| groups += 1, |_| panic!("no distinct pairs"));
        assert_eq!(groups, 1);
    });
    assert!(peak >= BLOCK, "the zeroed block was not counted: {peak}");
    let after = LIVE.load(Ordering::Relaxed);
    assert!(
        after.abs_diff(before) < BLOCK / 4,
        "the block was not freed: {before} bytes live before, {after} after"
    );
}

/// Every fingerprint identical: the grouped self-join must not materialise
/// the n^2 / 2 pairs (5 * 10^11 for a million copies); its extra memory must
/// stay a small multiple of the input.
#[test]
fn self_join_of_identical_fingerprints_needs_linear_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let join = SelfJoin::builder()
        .max_distance(3)
        .threads(1)
        .build()
        .unwrap();
    for n in [1usize << 16, 1 << 20] {
        let mut items: Vec<Item> = (0..n as u64).map(|id| Item::new(7, id)).collect();
        let input = n * std::mem::size_of::<Item>();
        let mut groups = 0;
        let peak = peak_during(|| {
            join.for_each_group(
                &mut items,
                |g| groups += g.len(),
                |_| panic!("no distinct pairs"),
            );
        });
        eprintln!("self-join of {n} identical: input {input} B, extra peak {peak} B");
        assert_eq!(groups, n);
        assert!(
            peak <= input + (1 << 20),
            "self-join of {n} identical items took {peak} extra bytes for {input} bytes of input"
        );
    }
}

/// The same through `for_each_pair`: pairs are streamed to the callback, so
/// memory stays flat even though the callback sees n^2 / 2 of them.
#[test]
fn pairs_of_identical_fingerprints_are_streamed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let join = SelfJoin::builder()
        .max_distance(3)
        .threads(1)
        .build()
        .unwrap();
    let n = 4096usize;
    let mut items: Vec<Item> = (0..n as u64).map(|id| Item::new(7, id)).collect();
    let count = AtomicUsize::new(0);
    let peak = peak_during(|| {
        join.for_each_pair(&mut items, |_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
    });
    let pairs = count.into_inner();
    eprintln!("pairs of {n} identical: {pairs} pairs, extra peak {peak} B");
    assert_eq!(pairs, n * (n - 1) / 2);
    assert!(peak < 1 << 20, "{peak} extra bytes to stream {pairs} pairs");
}
