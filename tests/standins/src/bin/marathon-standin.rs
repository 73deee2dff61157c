//! The Marathon STAND-IN (test double; see tests/standins/README.md).

fn main() {
    std::process::exit(mesos_standins::marathon::main());
}
