
mod keywords {
    use super::{ONE_CHAR_LINES, assert_scales_linearly, big_len, repeated};
    use spamsift::keywords::{Detector, Dictionary};

    fn builtin() -> Detector {
        Detector::new().unwrap()
    }

    /// Characters for the detector's long lines: those of the fold cases plus
    /// a digit and a letter that start built-in keywords (`188bet`, `bet365`).
    fn line_chars() -> Vec<char> {
        let mut v = ONE_CHAR_LINES.to_vec();
        v.extend(['1', 'b', '博']);
        v
    }

    #[test]
    fn detector_20mb_line_of_one_character() {
        let d = builtin();
        for c in line_chars() {
            let hay = repeated(c, 20 << 20);
            assert_eq!(d.find_iter(&hay).count(), 0, "{c:?}");
        }
    }

    #[test]
    #[ignore = "100 MB per character: run with --release -- --ignored"]
    fn detector_100mb_line_of_one_character() {
        let d = builtin();
        for c in line_chars() {
            let hay = repeated(c, big_len());
            assert_eq!(d.find_iter(&hay).count(), 0, "{c:?}");
        }
    }

    #[test]
    fn detector_scales_linearly_on_one_character() {
        let d = builtin();
        for c in line_chars() {
            assert_scales_linearly(&format!("detector {c:?}"), 1 << 20, 3, 10.0, |n| {
                let hay = repeated(c, n);
                std::hint::black_box(d.find_iter(&hay).count());
            });
        }
    }

    #[test]
    fn detector_scales_linearly_on_noise_only() {
        let d = builtin();
        let noise = "*，·🎰\u{3000}- 、…※";
        assert_scales_linearly("detector noise", 1 << 20, 3, 10.0, |n| {
            let hay = noise.repeat(n / noise.len());
            assert_eq!(d.find_iter(&hay).count(), 0);
        });
    }

    /// Built-in keywords glued into one long word: every match fails the
    /// ASCII word-boundary rule, so every position is retried.
    #[test]
    fn detector_scales_linearly_on_failing_matches() {
        let d = builtin();
        for unit in ["bet365", "188bet", "betway", "a金博体育"] {
            assert_scales_linearly(&format!("detector {unit:?} repeated"), 1 << 20, 3, 10.0, |n| {
                let hay = unit.repeat(n / unit.len());
                std::hint::black_box(d.find_iter(&hay).count());
            });
        }
    }

    /// `n` distinct entries that no fold merges: a Han character, a number, a
    /// Han character (`金17号`).
    fn distinct_entries(n: usize) -> String {
        (0..n).map(|i| format!("金{i}号\n")).collect()
    }

    /// A dictionary of a million entries builds in time and memory linear in
    /// its size (n vs 4n from 250k), and scans.
    #[test]
    fn dictionary_of_a_million_entries() {
        let build = |n: usize| {
            let dict = Dictionary::from_str_named(&distinct_entries(n), "million.tsv").unwrap();
            Detector::builder().builtin(false).dictionary(dict).build().unwrap()
        };
        assert_scales_linearly("build n entries", 250_000, 2, 10.0, |n| {
            let d = build(n);
            assert_eq!(d.len(), n);
            let per_entry = d.memory_usage() as f64 / n as f64;
            assert!(per_entry < 2000.0, "{per_entry:.0} bytes per entry at n={n}");
        });
        let d = build(1_000_000);
        let hay = "今天金999999号天气很好。".repeat(1000);
        assert_eq!(d.find_iter(&hay).count(), 1000);
    }

    /// 100k entries sharing a 200-character prefix: the automaton shares the
    /// prefix, and a haystack of the prefix repeated (every position a long
    /// partial match) scans in linear time.
    #[test]
    fn entries_sharing_a_long_prefix() {
        let prefix = "金博体育娱乐平台".repeat(25);
        let dict_text = |n: usize| {
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&prefix);
                s.push_str(&format!("{i}\n"));
            }
            s
        };
        let build = |n: usize| {
            let dict = Dictionary::from_str_named(&dict_text(n), "prefix.tsv").unwrap();
            Detector::builder().builtin(false).dictionary(dict).build().unwrap()
        };
        assert_scales_linearly("build shared-prefix entries", 25_000, 2, 10.0, |n| {
            let d = build(n);
            assert_eq!(d.len(), n);
        });
        let d = build(100_000);
        assert_scales_linearly("scan prefix repeated", 1 << 18, 3, 10.0, |n| {
            let hay = prefix.repeat(n / prefix.len());
            assert_eq!(d.find_iter(&hay).count(), 0);
        });
        let hay = format!("{prefix}99999。{prefix}100000。");
        assert_eq!(d.find_iter(&hay).count(), 1);
    }

    /// Known bug (keywords branch, src/keywords/detector.rs, `FindIter::next`):
    /// when the longest match at a position fails a rule, every prefix of it
    /// is hashed and looked up, O(L^2) per position for a keyword of L bytes,
    /// so a long ASCII keyword inside a longer word costs O(n * L^2): keyword
    /// `a` x 400 over `a` x 100k took 19 s (L = 100: 2.4 s, L = 10: 0.19 s).
    #[test]
    #[ignore = "known bug: O(n * L^2) rescans when the longest match fails a rule; see the report in docs/hostile-input.md"]
    fn long_keyword_failing_word_boundary_is_linear_in_keyword_length() {
        // 1000 positions where the keyword matches and fails, whatever L.
        assert_scales_linearly("keyword length L vs 4L", 512, 2, 10.0, |l| {
            let hay = "a".repeat(l + 1000);
            let d = Detector::builder().builtin(false).keyword(&"a".repeat(l), "spam").build().unwrap();
            assert_eq!(d.find_iter(&hay).count(), 0);
        });
    }
}
