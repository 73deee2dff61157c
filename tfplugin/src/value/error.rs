//! Errors from encoding and decoding values against a type.

use crate::path::AttributePath;

/// A value that could not be encoded or decoded, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", location(.path))]
pub struct CodecError {
    /// Where in the value the problem is.
    pub path: AttributePath,
    /// What is wrong there.
    pub message: String,
}

fn location(path: &AttributePath) -> String {
    if path.is_empty() {
        "at the top level".to_string()
    } else {
        format!("at {path}")
    }
}

impl CodecError {
    /// An error at `path`.
    pub fn new(path: &AttributePath, message: impl Into<String>) -> CodecError {
        CodecError {
            path: path.clone(),
            message: message.into(),
        }
    }
}
