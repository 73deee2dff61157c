//! The server's CPU and memory: defaults from the image, what the datacenter offers, and
//! which changes a running server takes (more CPUs or memory) and which need it stopped.

use cloudcontrol::{Datacenter, Image, ReconfigureServer, Server};
use serde::{Deserialize, Serialize};
use tfplugin::AttributePath;

use super::model::cpu_speed_of;

/// The CPU and memory attributes as a configuration, plan or state has them: each is unset
/// (or not yet known) until the image or the server gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeSettings {
    pub cpu_count: Option<u32>,
    pub cores_per_socket: Option<u32>,
    pub cpu_speed: Option<String>,
    pub memory_gb: Option<u32>,
}

/// CPU and memory of a server, all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compute {
    pub cpu_count: u32,
    pub cores_per_socket: u32,
    pub cpu_speed: String,
    pub memory_gb: u32,
}

/// A configuration the API would refuse, at the attribute to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuProblem {
    pub path: AttributePath,
    pub summary: &'static str,
    pub detail: String,
}

/// Whether `cores` cores per socket can make up `count` CPUs.
pub fn cores_divide(count: i64, cores: i64) -> bool {
    cores > 0 && count % cores == 0
}

impl CpuProblem {
    /// Cores per socket that do not divide the CPU count, reported at `path` with `hint`
    /// appended to the detail.
    pub fn cores_do_not_divide(path: &str, count: i64, cores: i64, hint: &str) -> Self {
        CpuProblem {
            path: AttributePath::attribute(path),
            summary: "Cores per socket must divide the CPU count",
            detail: format!("cores_per_socket {cores} does not divide cpu_count {count}{hint}"),
        }
    }
}

impl Compute {
    /// What a server deployed from `image` gets without any setting.
    pub fn of_image(image: &Image) -> Compute {
        Compute {
            cpu_count: image.cpu.count,
            cores_per_socket: image.cpu.cores_per_socket.max(1),
            cpu_speed: if image.cpu.speed.is_empty() {
                "STANDARD".into()
            } else {
                image.cpu.speed.to_ascii_uppercase()
            },
            memory_gb: image.memory_gb,
        }
    }

    /// What `server` has.
    pub fn of_server(server: &Server) -> Compute {
        Compute {
            cpu_count: server.cpu.count,
            cores_per_socket: server.cpu.cores_per_socket.max(1),
            cpu_speed: cpu_speed_of(server),
            memory_gb: server.memory_gb,
        }
    }

    /// The settings where they are set, these values elsewhere.
    pub fn overridden_by(&self, settings: &ComputeSettings) -> Compute {
        Compute {
            cpu_count: settings.cpu_count.unwrap_or(self.cpu_count),
            cores_per_socket: settings.cores_per_socket.unwrap_or(self.cores_per_socket),
            cpu_speed: settings
                .cpu_speed
                .as_deref()
                .map_or_else(|| self.cpu_speed.clone(), str::to_ascii_uppercase),
            memory_gb: settings.memory_gb.unwrap_or(self.memory_gb),
        }
    }

    /// The settings' values when all four are set.
    pub fn of_settings(settings: &ComputeSettings) -> Option<Compute> {
        Some(Compute {
            cpu_count: settings.cpu_count?,
            cores_per_socket: settings.cores_per_socket?,
            cpu_speed: settings.cpu_speed.as_deref()?.to_ascii_uppercase(),
            memory_gb: settings.memory_gb?,
        })
    }

    /// These values as settings.
    pub fn settings(&self) -> ComputeSettings {
        ComputeSettings {
            cpu_count: Some(self.cpu_count),
            cores_per_socket: Some(self.cores_per_socket),
            cpu_speed: Some(self.cpu_speed.clone()),
            memory_gb: Some(self.memory_gb),
        }
    }

    /// What the API would refuse about these values, in `datacenter` when it could be read.
    /// `cores_configured` says whether the configuration sets `cores_per_socket` (the error
    /// then points there; otherwise at `cpu_count`, whose change met the image's cores).
    pub fn problems(
        &self,
        datacenter: Option<&Datacenter>,
        cores_configured: bool,
    ) -> Vec<CpuProblem> {
        let mut problems = Vec::new();
        if !cores_divide(self.cpu_count.into(), self.cores_per_socket.into()) {
            let (path, hint) = if cores_configured {
                ("cores_per_socket", String::new())
            } else {
                (
                    "cpu_count",
                    format!(" (the current or image's {} cores per socket); set cores_per_socket to a divisor of {}", self.cores_per_socket, self.cpu_count),
                )
            };
            problems.push(CpuProblem::cores_do_not_divide(
                path,
                self.cpu_count.into(),
                self.cores_per_socket.into(),
                &hint,
            ));
        }
        let Some(datacenter) = datacenter else {
            return problems;
        };
        if !datacenter.offers_cpu_speed(&self.cpu_speed) {
            let offered: Vec<&str> = datacenter
                .hypervisor
                .cpu_speed
                .iter()
                .filter(|s| s.available)
                .map(|s| s.id.as_str())
                .collect();
            problems.push(CpuProblem {
                path: AttributePath::attribute("cpu_speed"),
                summary: "CPU speed not offered",
                detail: format!(
                    "cpu_speed {} is not offered in datacenter {}; it offers {}",
                    self.cpu_speed,
                    datacenter.id,
                    offered.join(", ")
                ),
            });
        }
        if let Some(max) = datacenter.limit("MAX_CPU_COUNT") {
            if i64::from(self.cpu_count) > max {
                problems.push(CpuProblem {
                    path: AttributePath::attribute("cpu_count"),
                    summary: "More CPUs than the datacenter offers",
                    detail: format!(
                        "cpu_count {} is more than datacenter {} allows (MAX_CPU_COUNT {max})",
                        self.cpu_count, datacenter.id
                    ),
                });
            }
        }
        let min = datacenter.limit("MIN_MEMORY_GB");
        let max = datacenter.limit("MAX_MEMORY_GB");
        let memory = i64::from(self.memory_gb);
        if min.is_some_and(|min| memory < min) || max.is_some_and(|max| memory > max) {
            problems.push(CpuProblem {
                path: AttributePath::attribute("memory_gb"),
                summary: "Memory outside what the datacenter offers",
                detail: format!(
                    "memory_gb {memory} is outside datacenter {}'s range {}..{} GB",
                    datacenter.id,
                    min.map_or("?".into(), |m| m.to_string()),
                    max.map_or("?".into(), |m| m.to_string())
                ),
            });
        }
        problems
    }

    /// The first change from `self` to `planned` that a running server cannot take: fewer CPUs
    /// or less memory, other cores per socket or another speed class. More is hot-added.
    pub fn needs_stop(&self, planned: &Compute) -> Option<(AttributePath, String)> {
        let change = |name: &str, from: &dyn ToString, to: &dyn ToString, verb: &str| {
            Some((
                AttributePath::attribute(name),
                format!(
                    "{verb} {name} from {} to {}",
                    from.to_string(),
                    to.to_string()
                ),
            ))
        };
        if planned.cpu_count < self.cpu_count {
            return change("cpu_count", &self.cpu_count, &planned.cpu_count, "lowering");
        }
        if planned.memory_gb < self.memory_gb {
            return change("memory_gb", &self.memory_gb, &planned.memory_gb, "lowering");
        }
        if planned.cores_per_socket != self.cores_per_socket {
            return change(
                "cores_per_socket",
                &self.cores_per_socket,
                &planned.cores_per_socket,
                "changing",
            );
        }
        if !planned.cpu_speed.eq_ignore_ascii_case(&self.cpu_speed) {
            return change("cpu_speed", &self.cpu_speed, &planned.cpu_speed, "changing");
        }
        None
    }

    /// The reconfigure call that takes server `id` from `self` to `planned`, if anything
    /// changes. The CPU count and cores per socket travel together, so the API never
    /// combines a new count with a cores value it assumed.
    pub fn reconfigure(&self, id: &str, planned: &Compute) -> Option<ReconfigureServer> {
        if self == planned {
            return None;
        }
        let cpu_changed = planned.cpu_count != self.cpu_count
            || planned.cores_per_socket != self.cores_per_socket;
        Some(ReconfigureServer {
            id: id.to_owned(),
            cpu_count: cpu_changed.then_some(planned.cpu_count),
            cores_per_socket: cpu_changed.then_some(planned.cores_per_socket),
            cpu_speed: (!planned.cpu_speed.eq_ignore_ascii_case(&self.cpu_speed))
                .then(|| planned.cpu_speed.clone()),
            memory_gb: (planned.memory_gb != self.memory_gb).then_some(planned.memory_gb),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compute(cpu_count: u32, cores_per_socket: u32, speed: &str, memory_gb: u32) -> Compute {
        Compute {
            cpu_count,
            cores_per_socket,
            cpu_speed: speed.into(),
            memory_gb,
        }
    }

    #[test]
    fn cores_must_divide_the_count_and_the_error_points_where_to_fix_it() {
        let odd = compute(3, 2, "STANDARD", 4);
        let problems = odd.problems(None, true);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].path,
            AttributePath::attribute("cores_per_socket")
        );
        let problems = odd.problems(None, false);
        assert_eq!(problems[0].path, AttributePath::attribute("cpu_count"));
        assert!(
            problems[0].detail.contains("set cores_per_socket"),
            "{problems:?}"
        );
        assert!(compute(4, 2, "STANDARD", 4).problems(None, true).is_empty());
    }

    #[test]
    fn a_running_server_takes_more_but_not_less_or_another_shape() {
        let now = compute(2, 1, "STANDARD", 4);
        assert_eq!(now.needs_stop(&compute(4, 1, "STANDARD", 8)), None);
        let why = |c: Compute| now.needs_stop(&c).map(|(_, why)| why);
        assert_eq!(
            why(compute(1, 1, "STANDARD", 4)).as_deref(),
            Some("lowering cpu_count from 2 to 1")
        );
        assert_eq!(
            why(compute(2, 1, "STANDARD", 2)).as_deref(),
            Some("lowering memory_gb from 4 to 2")
        );
        assert_eq!(
            why(compute(2, 2, "STANDARD", 4)).as_deref(),
            Some("changing cores_per_socket from 1 to 2")
        );
        assert_eq!(
            why(compute(2, 1, "HIGHPERFORMANCE", 4)).as_deref(),
            Some("changing cpu_speed from STANDARD to HIGHPERFORMANCE")
        );
    }

    #[test]
    fn reconfigure_sends_the_count_with_its_cores_and_only_what_changed() {
        let now = compute(2, 1, "STANDARD", 4);
        assert_eq!(now.reconfigure("s", &now), None);
        let more = now.reconfigure("s", &compute(4, 1, "STANDARD", 4)).unwrap();
        assert_eq!(
            (
                more.cpu_count,
                more.cores_per_socket,
                more.cpu_speed,
                more.memory_gb
            ),
            (Some(4), Some(1), None, None)
        );
        let faster = now
            .reconfigure("s", &compute(2, 1, "HIGHPERFORMANCE", 8))
            .unwrap();
        assert_eq!(
            (
                faster.cpu_count,
                faster.cpu_speed.as_deref(),
                faster.memory_gb
            ),
            (None, Some("HIGHPERFORMANCE"), Some(8))
        );
    }
}
