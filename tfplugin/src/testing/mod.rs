//! Terraform's side of the plugin handshake, for tests and benchmarks: a P-521 client
//! identity like the one Terraform generates, launching a provider binary the way
//! go-plugin does, parsing its handshake line, and TLS client settings that trust only the
//! certificate the provider announced.

mod identity;
mod launch;

pub use identity::ClientIdentity;
pub use launch::{
    launch, parse_handshake_line, tls_client_config, HandshakeInfo, LaunchError, LaunchedPlugin,
};
