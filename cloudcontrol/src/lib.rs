//! Typed client for the CloudControl (MCP 2.0, CaaS API 2.x) REST API.
//!
//! The crate knows nothing of Terraform: it speaks the CloudControl API and
//! gives callers typed resources, typed errors and the operational behaviour the
//! platform demands:
//!
//! * HTTP Basic authentication on every request, TLS verified by rustls;
//! * organisation id discovery through `GET /caas/2.N/user/myUser`;
//! * list endpoints paged to the end;
//! * asynchronous operations polled until the resource reaches `NORMAL`
//!   (failing on `FAILED_*`) or, for deletes, until it is gone, on a schedule
//!   that starts fast and backs off ([`PollSchedule`]);
//! * `RESOURCE_BUSY` retried with bounded exponential backoff and jitter
//!   ([`BackoffPolicy`]);
//! * a write that got no answer (dropped connection, reset, timeout:
//!   [`Error::is_outcome_unknown`]) resolved by reading the API, never blindly sent again:
//!   creates look their asset up by identity (`find_*`), deletes and server operations
//!   re-read the asset and carry on from its real state;
//! * network-domain and VLAN deploys/deletes serialised per organisation, so
//!   concurrent callers never trip the platform's one-at-a-time rule.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cloudcontrol::Error> {
//! use cloudcontrol::{Client, Endpoint, Secret, WaitOptions};
//! use std::time::Duration;
//!
//! let client = Client::builder(
//!     Endpoint::region("eu")?,
//!     "operator",
//!     Secret::new("correct horse battery staple"),
//! )
//! .build()?;
//! let domains = client.list_network_domains(&Default::default()).await?;
//! for domain in domains {
//!     println!("{} {}", domain.id, domain.name);
//! }
//! # let _ = WaitOptions::new(Duration::from_secs(60));
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod client;
mod endpoint;
mod envelope;
mod error;
mod org_lock;
mod paging;
pub mod resources;
mod schedule;
mod secret;
mod state;
mod tls;
mod wait;

pub use client::{Client, ClientBuilder, API_VERSION};
pub use endpoint::{Endpoint, Region, REGIONS};
pub use envelope::{response_codes, ApiResponse, NameValue};
pub use error::{ApiError, Error, Result};
pub use paging::{Page, MAX_PAGE_SIZE};
pub use resources::*;
pub use schedule::{BackoffPolicy, Jitter, PollSchedule, RandomJitter, SeededJitter};
pub use secret::Secret;
pub use state::ResourceState;
pub use tokio_util::sync::CancellationToken;
pub use wait::WaitOptions;
