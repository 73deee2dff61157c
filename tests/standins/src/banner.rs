//! The banner every stand-in prints first, so no log can be mistaken for a real daemon's.

/// Prints the banner line on stderr (which systemd sends to the journal) and returns it.
pub fn announce(daemon: &str, real: &str) -> String {
    let line = format!(
        "STAND-IN: this is {daemon}, a test double for {real} built by this project's tests; it is not the real daemon"
    );
    eprintln!("{line}");
    line
}

/// Sets up `tracing` on stderr (the journal, under systemd) with the level from `--logging_level`
/// style names.
pub fn init_logging(level: &str) {
    let filter = match level.to_ascii_uppercase().as_str() {
        "WARNING" => "warn",
        "ERROR" => "error",
        _ => "info",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STANDIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
