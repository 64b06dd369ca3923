//! The JSONL reader through `Scanner::scan`, on arbitrary bytes: no panic,
//! errors name the input, no line is lost, and cleaning is reversible.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::check_jsonl;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fields: &[&str] = match mode % 3 {
        0 => &["text"],
        1 => &["title", "text"],
        _ => &["id"],
    };
    check_jsonl(rest, mode & 4 != 0, fields);
});
