//! What `/proc` says about the machine's processes: each one's parent and command name, a
//! process tree, and command lines. Used to find the providers a Terraform run started, to look
//! for secrets on command lines, and by the bench to measure a command's whole process tree.

use std::collections::{BTreeMap, BTreeSet};

/// One process as `/proc/<pid>/stat` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub ppid: u32,
    /// Its command name (the kernel keeps the first 15 bytes).
    pub comm: String,
}

/// Every process readable now.
pub fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect()
}

/// `pid (comm) state ppid ...`; the command name may hold spaces and parentheses.
fn parse_stat(pid: u32, stat: &str) -> Option<Process> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_owned();
    let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    Some(Process { pid, ppid, comm })
}

/// `root` and every process descending from it now.
pub fn descendants(root: u32) -> BTreeSet<u32> {
    descendants_in(&processes(), root)
}

/// `root` and every process of `all` descending from it, by the parent links.
pub fn descendants_in(all: &[Process], root: u32) -> BTreeSet<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in all {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut tree = BTreeSet::from([root]);
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            if tree.insert(child) {
                todo.push(child);
            }
        }
    }
    tree
}

/// Every readable process command line, its arguments joined by spaces.
pub fn command_lines() -> Vec<(u32, String)> {
    processes()
        .into_iter()
        .filter_map(|p| {
            let raw = std::fs::read(format!("/proc/{}/cmdline", p.pid)).ok()?;
            // Every argument ends with a NUL, the last one included.
            let raw = raw.strip_suffix(&[0]).unwrap_or(&raw);
            let line = raw
                .split(|b| *b == 0)
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            Some((p.pid, line))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_parent_and_name() {
        assert_eq!(
            parse_stat(42, "42 (a) b) S 7 42 42 0"),
            Some(Process {
                pid: 42,
                ppid: 7,
                comm: "a) b".into()
            })
        );
        assert_eq!(parse_stat(1, "garbage"), None);
    }

    #[test]
    fn a_tree_follows_the_parent_links() {
        let p = |pid, ppid| Process {
            pid,
            ppid,
            comm: "x".into(),
        };
        let all = [p(10, 1), p(11, 10), p(12, 11), p(20, 1)];
        assert_eq!(descendants_in(&all, 10), BTreeSet::from([10, 11, 12]));
        assert_eq!(descendants_in(&all, 99), BTreeSet::from([99]));
    }
}
