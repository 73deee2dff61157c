//! Links the test provider `terraform-provider-tftest` with packed relative relocations on
//! Linux/glibc, like the product provider (see `provider/build.rs` for the measurement and the
//! linker and glibc versions this needs), so the start-up benchmark measures it as shipped.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=terraform-provider-tftest=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
