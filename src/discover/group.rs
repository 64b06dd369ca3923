//! Grouping paragraphs into near-duplicate clusters for discovery, when no
//! clusters are given: sampled character 4-gram sets and their containment.
//!
//! A paragraph's signature is the set of hashes of its 4-grams (of text
//! characters, punctuation dropped) that fall in a fixed 1/4 sample. Two
//! paragraphs are near duplicates when they share at least half of the
//! smaller signature (and at least 3 hashes); clusters are the connected
//! components. Spliced keywords and small edits change few 4-grams, so copies
//! stay together; hashes shared by more than 64 paragraphs (boilerplate) are
//! ignored to bound the cost.

use std::collections::HashMap;

use super::is_boundary;

const GRAM: usize = 4;
const SAMPLE: u64 = 4;
const MIN_SHARED: usize = 3;
const MAX_POSTING: usize = 64;

fn signature(chars: &[char]) -> Vec<u64> {
    let text: Vec<char> = chars.iter().copied().filter(|&c| !is_boundary(c)).collect();
    let mut sig: Vec<u64> = text
        .windows(GRAM)
        .map(|w| {
            // FNV-1a over the code points, then a final mix.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for &c in w {
                h ^= u64::from(c as u32);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h ^ (h >> 29)
        })
        .filter(|h| h % SAMPLE == 0)
        .collect();
    sig.sort_unstable();
    sig.dedup();
    sig
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Clusters of at least two of `texts`, as indices into it.
pub(crate) fn group(texts: &[&[char]]) -> Vec<Vec<usize>> {
    let sigs: Vec<Vec<u64>> = texts.iter().map(|t| signature(t)).collect();
    let mut postings: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, s) in sigs.iter().enumerate() {
        for &h in s {
            postings.entry(h).or_default().push(i);
        }
    }
    let mut parent: Vec<usize> = (0..texts.len()).collect();
    let mut shared: HashMap<usize, usize> = HashMap::new();
    for (i, s) in sigs.iter().enumerate() {
        if s.len() < MIN_SHARED {
            continue;
        }
        shared.clear();
        for h in s {
            let p = &postings[h];
            if p.len() > MAX_POSTING {
                continue;
            }
            for &j in p.iter().filter(|&&j| j < i) {
                *shared.entry(j).or_default() += 1;
            }
        }
        for (&j, &n) in &shared {
            let smaller = sigs[i].len().min(sigs[j].len());
            if n >= MIN_SHARED && 2 * n >= smaller {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..texts.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_copies_of_the_seed() {
        let seed = include_str!("../../tests/data/000_214c2e03461503b2.txt");
        let lines: Vec<Vec<char>> = seed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| l.chars().collect())
            .collect();
        let refs: Vec<&[char]> = lines.iter().map(Vec::as_slice).collect();
        let groups = group(&refs);
        // Seven body paragraphs, each present twice (the first three times).
        assert_eq!(groups.len(), 7, "{groups:?}");
        assert!(groups.iter().all(|g| g.len() >= 2));
    }
}
