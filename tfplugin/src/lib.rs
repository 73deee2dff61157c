//! Terraform plugin runtime (protocol 6): handshake, AutoMTLS, gRPC service, cty values, schema and plan rules.

pub mod proto;
pub mod transport;
