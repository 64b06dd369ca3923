//! The index file loader on arbitrary bytes: an error or an index that saves
//! back to the same bytes, never a panic or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::{check_index_bytes, index_checksum};

fuzz_target!(|data: &[u8]| {
    // Raw bytes test the header checks; the first byte can also ask for a
    // valid magic and version, and a correct checksum, so the fuzzer reaches
    // the parameter, count, order and rebuild paths behind them.
    let Some((&mode, rest)) = data.split_first() else {
        check_index_bytes(data);
        return;
    };
    match mode % 3 {
        0 => check_index_bytes(rest),
        m => {
            let mut file = b"SPSFTIDX\x01\x00\x00\x00".to_vec();
            file.extend_from_slice(rest);
            if m == 2 && file.len() >= 40 {
                let body = (file.len() - 8) / 8 * 8;
                file.truncate(body + 8);
                let sum = index_checksum(&file[..body]);
                file[body..].copy_from_slice(&sum.to_le_bytes());
            }
            check_index_bytes(&file);
        }
    }
});
