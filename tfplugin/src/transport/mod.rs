//! Everything between Terraform's process launch and the provider service: the go-plugin
//! handshake, AutoMTLS, logging, the side services and the server loop.

pub mod handshake;
pub mod logging;
pub mod serve;
pub mod side_services;
pub mod tls;
