//! Radix sorting of 64-bit values by their top bits.
//!
//! One out-of-place pass scatters the values from their source (typically a
//! permuting iterator, so the permuted copy is never materialised unsorted)
//! into buckets by their top bits; each bucket is small enough to stay in cache
//! and is finished with least-significant-digit passes using a bucket-sized
//! scratch buffer. Extra memory is therefore one bucket, not a second copy.
//!
//! The self-join uses only the scatter ([`scatter_top`]), into slots it has
//! counted itself, and finds equal keys inside a bucket by hashing instead of
//! sorting (`join::join_bucket`).

/// Widest digit of the in-bucket passes: 2048 counters fit in L1.
const DIGIT_BITS: u32 = 11;

/// Values per write-combining line: 64 bytes.
const LINE: usize = 8;

/// Buckets below this length are finished with a comparison sort.
const SMALL: usize = 64;

/// Top-digit width for `len` values: buckets of roughly 4096 values, and at
/// most 1024 of them so the write-combining lines (64 KiB) stay in L1/L2.
pub(crate) fn top_bits(len: usize, bits: u32) -> u32 {
    let log = usize::BITS - len.leading_zeros();
    log.saturating_sub(12).min(10).min(bits)
}

#[inline]
pub(crate) fn digit(x: u64, shift: u32, width: u32) -> usize {
    if width == 0 {
        0
    } else {
        ((x >> shift) & ((1u64 << width) - 1)) as usize
    }
}

/// Writes the `len` values of `src` into `out`, ordered by their top `bits`
/// bits (`1..=64`; with 64 the order is fully sorted), and calls `on_bucket` on
/// consecutive sorted slices that together cover `out`, in order. Values with
/// equal top `bits` bits never straddle two slices.
///
/// `src` is iterated twice and must yield exactly `len` values both times.
pub(crate) fn sort_by_top_bits<I, F>(
    src: I,
    len: usize,
    bits: u32,
    out: &mut Vec<u64>,
    scratch: &mut Vec<u64>,
    mut on_bucket: F,
) where
    I: Iterator<Item = u64> + Clone,
    F: FnMut(&[u64]),
{
    debug_assert!((1..=64).contains(&bits));
    let r1 = top_bits(len, bits);
    let shift1 = 64 - r1;
    let mut starts = vec![0usize; (1 << r1) + 1];
    for x in src.clone() {
        starts[digit(x, shift1, r1) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    out.clear();
    out.resize(len, 0);
    let mut dests: Vec<&mut [u64]> = Vec::with_capacity(1 << r1);
    let mut rest: &mut [u64] = out;
    for w in starts.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        dests.push(head);
        rest = tail;
    }
    scatter_top(src, r1, &mut dests);
    let rest = bits - r1;
    let low = 64 - bits;
    for w in starts.windows(2) {
        let bucket = &mut out[w[0]..w[1]];
        if bucket.is_empty() {
            continue;
        }
        if rest > 0 {
            sort_bucket(bucket, low, rest, scratch);
        }
        on_bucket(bucket);
    }
}

/// Counts the values of `src` per top digit: `counts[d]` gets the number of
/// values whose top `width` bits are `d` (`counts.len() == 1 << width`).
/// The join counts all its tables at once (`join::count_tables`); this is its
/// one-table oracle in tests.
#[cfg(test)]
pub(crate) fn count_top<I>(src: I, width: u32, counts: &mut [usize])
where
    I: Iterator<Item = u64>,
{
    debug_assert_eq!(counts.len(), 1 << width);
    let shift = 64 - width;
    for x in src {
        counts[digit(x, shift, width)] += 1;
    }
}

/// Writes the values of `src` into `dests` by their top `width` bits: the
/// values with top digit `d` fill `dests[d]`, which must have exactly their
/// number of slots (as counted by `join::count_tables`, or by
/// [`sort_by_top_bits`]).
///
/// Stores go through one cache line of buffer per digit: a store per 8
/// values instead of one scattered store per value, which is what limits a
/// radix pass once the digits' slots span more pages than the TLB covers.
pub(crate) fn scatter_top<I>(src: I, width: u32, dests: &mut [&mut [u64]])
where
    I: Iterator<Item = u64>,
{
    debug_assert_eq!(dests.len(), 1 << width);
    let shift = 64 - width;
    let mut next = vec![0usize; dests.len()];
    let mut lines = vec![[0u64; LINE]; dests.len()];
    let mut fill = vec![0u8; dests.len()];
    for x in src {
        let d = digit(x, shift, width);
        let f = usize::from(fill[d]);
        lines[d][f] = x;
        if f + 1 == LINE {
            let at = next[d];
            dests[d][at..at + LINE].copy_from_slice(&lines[d]);
            next[d] = at + LINE;
            fill[d] = 0;
        } else {
            fill[d] += 1;
        }
    }
    for (d, line) in lines.iter().enumerate() {
        let f = usize::from(fill[d]);
        dests[d][next[d]..next[d] + f].copy_from_slice(&line[..f]);
    }
}

/// Sorts `bucket` by bits `[low, low + width)`, least significant digit first.
pub(crate) fn sort_bucket(bucket: &mut [u64], low: u32, width: u32, scratch: &mut Vec<u64>) {
    if bucket.len() < SMALL {
        let mask = if width == 64 {
            u64::MAX
        } else {
            ((1u64 << width) - 1) << low
        };
        bucket.sort_unstable_by_key(|&x| x & mask);
        return;
    }
    let passes = width.div_ceil(DIGIT_BITS);
    let dw = width.div_ceil(passes);
    scratch.clear();
    scratch.resize(bucket.len(), 0);
    let mut counts = vec![0usize; 1 << dw];
    let mut in_bucket = true;
    let mut done = 0;
    while done < width {
        let w = dw.min(width - done);
        let shift = low + done;
        let (src, dst): (&[u64], &mut [u64]) = if in_bucket {
            (bucket, scratch)
        } else {
            (scratch, bucket)
        };
        counts.iter_mut().for_each(|c| *c = 0);
        for &x in src.iter() {
            counts[digit(x, shift, w)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &x in src.iter() {
            let d = digit(x, shift, w);
            dst[counts[d]] = x;
            counts[d] += 1;
        }
        in_bucket = !in_bucket;
        done += w;
    }
    if !in_bucket {
        bucket.copy_from_slice(scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed ^ (*seed >> 29)
    }

    #[test]
    fn sorts_by_top_bits() {
        let mut seed = 7;
        for &len in &[0usize, 1, 5, 63, 64, 65, 1000, 10_000, 70_000] {
            for &bits in &[1u32, 7, 11, 12, 25, 40, 64] {
                let v: Vec<u64> = (0..len).map(|_| lcg(&mut seed)).collect();
                let mut out = Vec::new();
                let mut scratch = Vec::new();
                let mut seen = Vec::new();
                sort_by_top_bits(v.iter().copied(), len, bits, &mut out, &mut scratch, |b| {
                    seen.extend_from_slice(b)
                });
                assert_eq!(seen, out);
                let key = |x: u64| x >> (64 - bits);
                assert!(
                    out.windows(2).all(|w| key(w[0]) <= key(w[1])),
                    "{len} {bits}"
                );
                let mut a = v.clone();
                let mut b = out.clone();
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b);
            }
        }
    }
}
