//! The Hamming index and self-join under arbitrary sequences of insert,
//! query, self-join, save and load: every answer equals a naive model's.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::{IndexCase, IndexOp, check_index};

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u64, u8),
    InsertNear(u8, [Option<u8>; 4], u8),
    Query(u64),
    QueryNear(u8, [Option<u8>; 4]),
    QueryThenInsert(u64, u8),
    Extend(Vec<(u64, u8)>),
    Compact,
    SelfJoin(Option<u8>),
    SaveLoad,
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_distance: u8,
    blocks: Option<u8>,
    buffer_capacity: u8,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    // Small ids collide often, as real ids of one paragraph inserted twice do.
    let ops = input
        .ops
        .into_iter()
        .take(256)
        .map(|op| match op {
            Op::Insert(fp, id) => IndexOp::Insert(fp, id.into()),
            Op::InsertNear(n, bits, id) => IndexOp::InsertNear(n.into(), bits, id.into()),
            Op::Query(fp) => IndexOp::Query(fp),
            Op::QueryNear(n, bits) => IndexOp::QueryNear(n.into(), bits),
            Op::QueryThenInsert(fp, id) => IndexOp::QueryThenInsert(fp, id.into()),
            Op::Extend(v) => {
                IndexOp::Extend(v.into_iter().map(|(fp, id)| (fp, id.into())).collect())
            }
            Op::Compact => IndexOp::Compact,
            Op::SelfJoin(b) => IndexOp::SelfJoin(b),
            Op::SaveLoad => IndexOp::SaveLoad,
        })
        .collect();
    check_index(&IndexCase {
        // Mostly valid distances, sometimes one just above the maximum.
        max_distance: u32::from(input.max_distance % 10),
        blocks: input.blocks.map(|b| u32::from(b % 70)),
        buffer_capacity: usize::from(input.buffer_capacity % 9),
        ops,
    });
});
