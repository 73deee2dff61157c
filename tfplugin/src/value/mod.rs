//! The cty value model: types, values, big numbers, and their msgpack and JSON encodings.

mod conform;
mod error;
mod json;
mod json_reader;
mod model;
mod msgpack;
mod number;
mod type_json;
mod types;

pub use error::CodecError;
pub use model::{ObjectBuilder, Value};
pub use number::{Number, ParseNumberError};
pub use type_json::TypeJsonError;
pub use types::{ObjectType, Type};

#[cfg(test)]
mod codec_tests;
