//! The mesos-agent STAND-IN (test double; see tests/standins/README.md).

fn main() {
    std::process::exit(mesos_standins::agent::main());
}
