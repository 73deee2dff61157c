//! Terraform plugin runtime (protocol 6): handshake, AutoMTLS, gRPC service, cty values, schema and plan rules.

pub mod diag;
pub mod model;
pub mod path;
pub mod plan;
pub mod proto;
pub mod provider;
pub mod schema;
pub mod server;
pub mod testing;
pub mod transport;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use path::{AttributePath, PathStep};
pub use value::{Number, ObjectBuilder, ObjectType, Type, Value};
