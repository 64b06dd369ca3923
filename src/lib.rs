//! spamsift finds the pollution in scraped Chinese web text.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod keywords;
pub mod neardup;
pub mod scan;
pub mod text;

pub use crate::error::{Error, Result};
pub use crate::keywords::{Detector, DetectorBuilder, Dictionary, Hit, MatcherKind};
