//! Local CloudControl 2.x API server.
fn main() {}
