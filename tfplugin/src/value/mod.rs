//! The cty value model: types, values, big numbers, and their msgpack and JSON encodings.

mod model;
mod number;
mod type_json;
mod types;

pub use model::{ObjectBuilder, Value};
pub use number::{Number, ParseNumberError};
pub use type_json::TypeJsonError;
pub use types::{ObjectType, Type};
