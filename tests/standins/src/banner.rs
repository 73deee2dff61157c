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

/// The life of a stand-in process: the banner, `--version` (for the Mesos daemons), loading the
/// configuration (a refusal is one line on stderr, exit 1), logging at the configured level, then
/// `run` on a runtime until it returns (an error is its line on stderr, exit 1).
pub struct Daemon {
    /// The stand-in's own name, e.g. `mesos-master-standin`.
    pub name: &'static str,
    /// What it stands in for.
    pub real: &'static str,
    /// `--version` output, for daemons that answer it.
    pub version: Option<String>,
}

impl Daemon {
    /// Runs the daemon with the process's environment and arguments; returns the exit code.
    pub fn main<C, E, F>(
        &self,
        load: impl FnOnce(Vec<(String, String)>, Vec<String>) -> Result<C, E>,
        logging_level: impl FnOnce(&C) -> String,
        run: impl FnOnce(C) -> F,
    ) -> i32
    where
        E: std::fmt::Display,
        F: std::future::Future<Output = anyhow::Result<()>>,
    {
        announce(self.name, self.real);
        let args: Vec<String> = std::env::args().skip(1).collect();
        if let Some(v) = &self.version {
            if args.iter().any(|a| a == "--version") {
                println!("{v}");
                return 0;
            }
        }
        let cfg = match load(std::env::vars().collect(), args) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        init_logging(&logging_level(&cfg));
        let runtime = tokio::runtime::Runtime::new().expect("starting the runtime");
        match runtime.block_on(run(cfg)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e:#}");
                1
            }
        }
    }
}
