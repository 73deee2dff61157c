//! Converges nodes over SSH to the Mesos master or agent role.
fn main() {}
