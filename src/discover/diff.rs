//! A bounded character-level diff: Myers' O(ND) greedy algorithm (Myers 1986,
//! "An O(ND) Difference Algorithm and Its Variations"), after stripping the
//! common prefix and suffix.
//!
//! The cost is O((N + M) · D) time and O(D²) memory for D edits; with more
//! than `max_edits` edits the copies are too different to align cheaply, and
//! the whole differing middle is reported as one run on each side when it is
//! short, nothing otherwise.

use std::ops::Range;

/// The runs of the first sequence absent from the second, and the other way
/// round.
pub(crate) type Runs = (Vec<Range<usize>>, Vec<Range<usize>>);

/// The runs of `a` absent from `b` and the runs of `b` absent from `a`, as
/// index ranges, in order. Returns `None` when the copies differ by more than
/// `max_edits` insertions and deletions and their differing middles are
/// longer than `max_middle` elements.
pub(crate) fn diff<T: PartialEq>(
    a: &[T],
    b: &[T],
    max_edits: usize,
    max_middle: usize,
) -> Option<Runs> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let shift = |v: Vec<Range<usize>>| -> Vec<Range<usize>> {
        v.into_iter()
            .map(|r| r.start + prefix..r.end + prefix)
            .collect()
    };
    match myers(ma, mb, max_edits) {
        Some((da, db)) => Some((shift(da), shift(db))),
        None if ma.len() <= max_middle && mb.len() <= max_middle => {
            let run = |n: usize| {
                if n == 0 {
                    Vec::new()
                } else {
                    std::iter::once(prefix..prefix + n).collect()
                }
            };
            Some((run(ma.len()), run(mb.len())))
        }
        None => None,
    }
}

/// Myers' forward greedy algorithm with the trace kept for backtracking.
fn myers<T: PartialEq>(a: &[T], b: &[T], max_edits: usize) -> Option<Runs> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 || m == 0 {
        let one = |len: usize| {
            if len == 0 {
                vec![]
            } else {
                std::iter::once(0..len).collect()
            }
        };
        return Some((one(a.len()), one(b.len())));
    }
    let max_d = (a.len() + b.len()).min(max_edits) as isize;
    let offset = max_d + 1;
    let width = (2 * max_d + 3) as usize;
    let mut v = vec![0isize; width];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'outer: for d in 0..=max_d {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let idx = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let d_end = found?;
    // Backtrack through the trace, collecting deleted (from `a`) and inserted
    // (from `b`) positions.
    let mut del = Vec::new();
    let mut ins = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_end).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let idx = |k: isize| (k + offset) as usize;
        let prev_k = if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[idx(prev_k)];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
        }
        if prev_k == k + 1 {
            ins.push(prev_y as usize);
        } else {
            del.push(prev_x as usize);
        }
        x = prev_x;
        y = prev_y;
    }
    Some((runs(del), runs(ins)))
}

/// Merges single positions (in any order) into sorted runs.
fn runs(mut pos: Vec<usize>) -> Vec<Range<usize>> {
    pos.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::new();
    for p in pos {
        match out.last_mut() {
            Some(r) if r.end == p => r.end = p + 1,
            _ => out.push(p..p + 1),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn one_run(n: usize) -> Vec<Range<usize>> {
        std::iter::once(0..n).collect()
    }

    fn strs(v: &[char], rs: &[Range<usize>]) -> Vec<String> {
        rs.iter().map(|r| v[r.clone()].iter().collect()).collect()
    }

    #[test]
    fn finds_the_splice() {
        let a = chars("产业协作金博体育。成都软件");
        let b = chars("产业协作。成都软件");
        let (da, db) = diff(&a, &b, 64, 64).unwrap();
        assert_eq!(strs(&a, &da), ["金博体育"]);
        assert!(db.is_empty());
        let a = chars("5月8日金博体育,省政府新闻办在成都举行");
        let b = chars("5月8日,省政府新闻办在成都金博体育举行");
        let (da, db) = diff(&a, &b, 64, 64).unwrap();
        assert_eq!(strs(&a, &da), ["金博体育"]);
        assert_eq!(strs(&b, &db), ["金博体育"]);
    }

    #[test]
    fn bounded() {
        let a: Vec<u32> = (0..200).collect();
        let b: Vec<u32> = (1000..1200).collect();
        assert!(diff(&a, &b, 10, 50).is_none());
        let (da, db) = diff(&a, &b, 10, 500).unwrap();
        assert_eq!((da, db), (one_run(200), one_run(200)));
    }

    /// The LCS length by dynamic programming, the oracle.
    fn lcs(a: &[u8], b: &[u8]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 0..a.len() {
            for j in 0..b.len() {
                t[i + 1][j + 1] = if a[i] == b[j] {
                    t[i][j] + 1
                } else {
                    t[i][j + 1].max(t[i + 1][j])
                };
            }
        }
        t[a.len()][b.len()]
    }

    proptest! {
        /// Unbounded, the diff is minimal and what it keeps is common to both.
        #[test]
        fn minimal_and_consistent(a in prop::collection::vec(0u8..4, 0..30), b in prop::collection::vec(0u8..4, 0..30)) {
            let (da, db) = diff(&a, &b, 1000, 0).unwrap();
            let removed_a: usize = da.iter().map(|r| r.len()).sum();
            let removed_b: usize = db.iter().map(|r| r.len()).sum();
            let l = lcs(&a, &b);
            prop_assert_eq!(a.len() - removed_a, l);
            prop_assert_eq!(b.len() - removed_b, l);
            let keep = |v: &[u8], rs: &[Range<usize>]| -> Vec<u8> {
                v.iter().enumerate().filter(|(i, _)| !rs.iter().any(|r| r.contains(i))).map(|(_, &x)| x).collect()
            };
            prop_assert_eq!(keep(&a, &da), keep(&b, &db));
        }
    }
}
