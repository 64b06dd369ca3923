//! Property checks shared by the fuzz targets (run by libFuzzer here) and by
//! the proptest suites in `tests/hostile_props.rs` (run on stable by `cargo
//! test`, which includes `checks.rs` by path). Each check panics with a message
//! naming the input when a property fails.

pub mod checks;
