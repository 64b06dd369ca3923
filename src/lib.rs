//! spamsift finds the pollution in scraped Chinese web text.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod neardup;
pub mod text;

pub use crate::error::{Error, Result};
