//! spamsift finds the pollution in scraped Chinese web text.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod discover;
mod error;
pub mod injection;
pub mod neardup;
pub mod text;

pub use crate::error::{Error, Result};
