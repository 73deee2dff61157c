//! What the benchmark reads about a running provider from `/proc`.

/// CPU time (user + system) the process has used so far, over all its threads, from
/// `/proc/PID/task/*/schedstat` (nanosecond resolution, unlike `/proc/PID/stat`). On a
/// shared machine this shows how much work the start-up needed, whatever the wait for a
/// core was.
pub fn cpu_time_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// The 1, 5 and 15 minute load averages as printed in `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
