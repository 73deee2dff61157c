//! Compiles the protocol definitions in `proto/` with protox (pure Rust, so no
//! system `protoc` is needed) and generates tonic server and client stubs.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let files = ["tfplugin6.proto", "go_plugin.proto", "health.proto"];
    for file in &files {
        println!("cargo:rerun-if-changed={}", proto_dir.join(file).display());
    }
    let descriptors = protox::compile(files, [&proto_dir])?;
    tonic_prost_build::configure()
        .build_server(true)
        // Clients are used by the tests and the benchmark to talk to a served provider.
        .build_client(true)
        // RPCs a service does not override answer UNIMPLEMENTED, which is what Terraform
        // expects for optional RPCs; the provider service overrides every one it serves.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
