//! The injection verdicts on the generated bench corpus, whose every keyword
//! occurrence was planted: the share judged injected is the recall of the
//! verdict on synthetic text.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use spamsift::injection::{HitSpan, Judge};
use std::collections::HashMap;

#[test]
fn planted_injections_are_judged_injected() {
    let mut cfg = corpus::Config::new(7, corpus::MIB);
    cfg.dup_rate = 0.1;
    let c = corpus::generate(&cfg);
    let judge = Judge::new();
    let mut by_doc: HashMap<usize, Vec<HitSpan>> = HashMap::new();
    for inj in &c.injected {
        by_doc.entry(inj.doc).or_default().push(HitSpan::new(
            inj.start,
            inj.end,
            &inj.keyword,
            "gambling",
        ));
    }
    let (mut total, mut injected) = (0, 0);
    let mut missed: HashMap<String, usize> = HashMap::new();
    let mut by_placement: HashMap<String, (usize, usize)> = HashMap::new();
    let mut shown = 0;
    for (doc, hits) in &by_doc {
        let text = &c.docs[*doc].text;
        let v = judge.judge(text, hits);
        for (h, hv) in hits.iter().zip(&v.hits) {
            total += 1;
            let inj = c
                .injected
                .iter()
                .find(|i| i.doc == *doc && i.start == h.start)
                .unwrap();
            let e = by_placement
                .entry(format!("{:?}", inj.placement))
                .or_default();
            e.0 += 1;
            if hv.injected {
                injected += 1;
                e.1 += 1;
            } else {
                let names: Vec<String> = hv.reasons.iter().map(|r| r.to_string()).collect();
                *missed
                    .entry(
                        names
                            .iter()
                            .map(|n| n.split('(').next().unwrap())
                            .collect::<Vec<_>>()
                            .join("+"),
                    )
                    .or_default() += 1;
                if shown < 6 {
                    shown += 1;
                    let lo = text[..h.start]
                        .char_indices()
                        .rev()
                        .nth(20)
                        .map_or(0, |(i, _)| i);
                    let hi = text[h.end..]
                        .char_indices()
                        .nth(20)
                        .map_or(text.len(), |(i, _)| h.end + i);
                    println!(
                        "missed {:?}: {} [{}]",
                        inj.placement,
                        &text[lo..hi],
                        names.join(", ")
                    );
                }
            }
        }
    }
    let share = injected as f64 / total as f64;
    println!("planted {total}, judged injected {injected} ({share:.3})");
    println!("by placement (planted, injected): {by_placement:?}");
    println!("reasons of the missed: {missed:?}");
    assert!(
        share >= 0.9,
        "only {share:.3} of planted injections judged injected"
    );
}
