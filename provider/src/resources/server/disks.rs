//! The server's disks. The rule, chosen so a plan never removes what the image brought:
//!
//! - the image's disks always exist: a `disk` block on an image disk's SCSI id sets its size
//!   (never below what it has) and speed, and without a block the disk keeps what it has;
//! - every other disk exists exactly while a `disk` block declares it: adding the block adds
//!   the disk, removing the block removes it.
//!
//! `all_disks` records every disk with its origin, so a server without any `disk` block has
//! its image's disks in state and no diff.

use cloudcontrol::{AddDisk, AttachedDisk, Client, Image, Server, WaitOptions};
use serde::{Deserialize, Serialize};
use tfplugin::AttributePath;

use super::model::DeclaredDisk;

/// A disk the server has (an `all_disks` element).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDisk {
    pub scsi_id: u8,
    pub size_gb: u32,
    pub speed: String,
    /// Whether the disk came with the image (and so is never removed).
    pub from_image: bool,
}

/// Where a plan's current disks come from, for the wording of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A new server: the current disks are the image's.
    Image,
    /// An existing server: the current disks are its own.
    Server,
}

/// A problem with a declared disk, at its block's attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskProblem {
    pub path: AttributePath,
    pub summary: &'static str,
    pub detail: String,
}

/// What the declarations do to the current disks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskPlan {
    /// The disks the server will have.
    pub target: Vec<ServerDisk>,
    /// Declarations the API would refuse.
    pub problems: Vec<DiskProblem>,
    /// The first change that needs the server powered off, with where it is declared.
    pub needs_stop: Option<(AttributePath, String)>,
}

/// `disk[index].name`.
pub fn disk_path(index: usize, name: &str) -> AttributePath {
    AttributePath::attribute("disk")
        .index(index as i64)
        .attr(name)
}

/// The disks a server deployed from `image` starts with.
pub fn image_disks(image: &Image) -> Vec<ServerDisk> {
    on_bus_zero(image.disks(), |_| true)
}

/// The server's disks on bus 0 in SCSI id order; those on `image_scsi_ids` came with the image.
pub fn server_disks(server: &Server, image_scsi_ids: &[u8]) -> Vec<ServerDisk> {
    on_bus_zero(server.disks(), |scsi_id| image_scsi_ids.contains(&scsi_id))
}

/// The disks on SCSI bus 0 in SCSI id order, `from_image` where `came_with_image` says so.
fn on_bus_zero(disks: Vec<AttachedDisk>, came_with_image: impl Fn(u8) -> bool) -> Vec<ServerDisk> {
    let mut disks: Vec<ServerDisk> = disks
        .into_iter()
        .filter(|d| d.bus_number == 0)
        .map(|d| ServerDisk {
            scsi_id: d.disk.scsi_id,
            size_gb: d.disk.size_gb,
            speed: speed_or_standard(&d.disk.speed),
            from_image: came_with_image(d.disk.scsi_id),
        })
        .collect();
    disks.sort_by_key(|d| d.scsi_id);
    disks
}

/// The SCSI ids of the disks that came with the image.
pub fn image_scsi_ids(disks: &[ServerDisk]) -> Vec<u8> {
    disks
        .iter()
        .filter(|d| d.from_image)
        .map(|d| d.scsi_id)
        .collect()
}

/// The declarations as the server has them now, in the configuration's order: sizes and speeds
/// from `disks`; a declared disk the server no longer has is left out, so the next plan adds it.
pub fn declared_as_found(declared: &[DeclaredDisk], disks: &[ServerDisk]) -> Vec<DeclaredDisk> {
    declared
        .iter()
        .filter_map(|d| {
            disks
                .iter()
                .find(|s| s.scsi_id == d.scsi_id)
                .map(|s| DeclaredDisk {
                    scsi_id: s.scsi_id,
                    size_gb: s.size_gb,
                    speed: s.speed.clone(),
                })
        })
        .collect()
}

/// What an imported server's configuration would declare: every disk the image did not bring,
/// and every image disk that no longer has the image's size or speed.
pub fn declared_for_import(disks: &[ServerDisk], image: &[ServerDisk]) -> Vec<DeclaredDisk> {
    disks
        .iter()
        .filter(|d| !image.contains(d))
        .map(|d| DeclaredDisk {
            scsi_id: d.scsi_id,
            size_gb: d.size_gb,
            speed: d.speed.clone(),
        })
        .collect()
}

/// Applies the rule to `current` (the image's disks for a new server, the server's otherwise).
pub fn plan_disks(current: &[ServerDisk], declared: &[DeclaredDisk], origin: Origin) -> DiskPlan {
    let mut plan = DiskPlan::default();
    for disk in current {
        let found = declared.iter().position(|d| d.scsi_id == disk.scsi_id);
        match found {
            Some(i) => {
                let wanted = &declared[i];
                if wanted.size_gb < disk.size_gb {
                    plan.problems.push(shrink_problem(i, disk, wanted, origin));
                } else if wanted.size_gb > disk.size_gb && origin == Origin::Server {
                    plan.needs_stop.get_or_insert((
                        disk_path(i, "size_gb"),
                        format!(
                            "growing disk[{i}] from {} to {} GB",
                            disk.size_gb, wanted.size_gb
                        ),
                    ));
                }
                plan.target.push(ServerDisk {
                    scsi_id: disk.scsi_id,
                    size_gb: wanted.size_gb.max(disk.size_gb),
                    speed: wanted.speed.clone(),
                    from_image: disk.from_image,
                });
            }
            None if disk.from_image => plan.target.push(disk.clone()),
            None => {
                plan.needs_stop.get_or_insert((
                    AttributePath::attribute("disk"),
                    format!("removing the disk at scsi_id {}", disk.scsi_id),
                ));
            }
        }
    }
    for (i, wanted) in declared.iter().enumerate() {
        if current.iter().all(|d| d.scsi_id != wanted.scsi_id) {
            if origin == Origin::Server {
                plan.needs_stop.get_or_insert((
                    disk_path(i, "scsi_id"),
                    format!("adding disk[{i}] (scsi_id {})", wanted.scsi_id),
                ));
            }
            plan.target.push(ServerDisk {
                scsi_id: wanted.scsi_id,
                size_gb: wanted.size_gb,
                speed: wanted.speed.clone(),
                from_image: false,
            });
        }
    }
    plan.target.sort_by_key(|d| d.scsi_id);
    plan
}

fn shrink_problem(
    i: usize,
    disk: &ServerDisk,
    wanted: &DeclaredDisk,
    origin: Origin,
) -> DiskProblem {
    let (summary, detail) = match origin {
        Origin::Image => (
            "Disk smaller than the image's",
            format!(
                "disk[{i}] (scsi_id {}) is the image's {} GB disk; it cannot be smaller than that, got {} GB",
                disk.scsi_id, disk.size_gb, wanted.size_gb
            ),
        ),
        Origin::Server => (
            "Disks cannot shrink",
            format!(
                "disk[{i}] (scsi_id {}) is {} GB; CloudControl can only grow disks, not shrink them to {} GB",
                disk.scsi_id, disk.size_gb, wanted.size_gb
            ),
        ),
    };
    DiskProblem {
        path: disk_path(i, "size_gb"),
        summary,
        detail,
    }
}

/// Whether bringing `server`'s disks to `target` needs it powered off (adding, growing or
/// removing a disk; speed changes do not).
pub fn disks_need_stop(server: &Server, target: &[ServerDisk]) -> bool {
    let current = server_disks(server, &[]);
    current
        .iter()
        .any(|c| target.iter().all(|t| t.scsi_id != c.scsi_id))
        || target.iter().any(|t| {
            current
                .iter()
                .find(|c| c.scsi_id == t.scsi_id)
                .is_none_or(|c| c.size_gb < t.size_gb)
        })
}

/// Brings `server`'s disks on bus 0 to `target`: removes, grows, adds and re-speeds disks. The
/// caller has powered the server off when [`disks_need_stop`] says so.
pub async fn apply_disks(
    client: &Client,
    server: &Server,
    target: &[ServerDisk],
    options: &WaitOptions,
) -> cloudcontrol::Result<Server> {
    let current: Vec<_> = server
        .disks()
        .into_iter()
        .filter(|d| d.bus_number == 0)
        .collect();
    let find = |scsi: u8| current.iter().find(|d| d.disk.scsi_id == scsi);
    let mut latest = server.clone();
    for disk in current
        .iter()
        .filter(|d| target.iter().all(|t| t.scsi_id != d.disk.scsi_id))
    {
        latest = client
            .remove_disk(&server.id, &disk.disk.id, options)
            .await?;
    }
    let controller = server.scsi_controller.first().map(|c| c.id.clone());
    for wanted in target {
        match find(wanted.scsi_id) {
            Some(d) => {
                if d.disk.size_gb < wanted.size_gb {
                    latest = client
                        .expand_disk(&server.id, &d.disk.id, wanted.size_gb, options)
                        .await?;
                }
                if !speed_or_standard(&d.disk.speed).eq_ignore_ascii_case(&wanted.speed) {
                    latest = client
                        .change_disk_speed(&server.id, &d.disk.id, &wanted.speed, options)
                        .await?;
                }
            }
            None => {
                let add = AddDisk {
                    server_id: server.id.clone(),
                    size_gb: wanted.size_gb,
                    speed: wanted.speed.clone(),
                    position: controller.clone().map(|c| (c, wanted.scsi_id)),
                };
                latest = client.add_disk(&add, options).await?.1;
            }
        }
    }
    Ok(latest)
}

/// A disk speed as the schema spells it; an API that leaves it out means the standard speed.
pub fn speed_or_standard(speed: &str) -> String {
    if speed.is_empty() {
        "STANDARD".into()
    } else {
        speed.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(scsi_id: u8, size_gb: u32, from_image: bool) -> ServerDisk {
        ServerDisk {
            scsi_id,
            size_gb,
            speed: "STANDARD".into(),
            from_image,
        }
    }

    fn declared(scsi_id: u8, size_gb: u32) -> DeclaredDisk {
        DeclaredDisk {
            scsi_id,
            size_gb,
            speed: "STANDARD".into(),
        }
    }

    #[test]
    fn no_declarations_keep_the_image_disks() {
        let image = [disk(0, 10, true), disk(1, 20, true)];
        let plan = plan_disks(&image, &[], Origin::Image);
        assert_eq!(plan.target, image);
        assert!(plan.problems.is_empty() && plan.needs_stop.is_none());
    }

    #[test]
    fn declarations_resize_image_disks_and_add_others() {
        let image = [disk(0, 10, true)];
        let plan = plan_disks(&image, &[declared(1, 50), declared(0, 40)], Origin::Image);
        assert_eq!(plan.target, [disk(0, 40, true), disk(1, 50, false)]);
        // A new server gets its disks before it first starts: nothing to power off.
        assert!(plan.needs_stop.is_none());
    }

    #[test]
    fn an_image_disk_cannot_be_declared_smaller() {
        let plan = plan_disks(&[disk(0, 10, true)], &[declared(0, 5)], Origin::Image);
        assert_eq!(plan.problems.len(), 1);
        assert_eq!(plan.problems[0].summary, "Disk smaller than the image's");
        assert_eq!(plan.problems[0].path, disk_path(0, "size_gb"));
        let plan = plan_disks(&[disk(0, 40, true)], &[declared(0, 20)], Origin::Server);
        assert_eq!(plan.problems[0].summary, "Disks cannot shrink");
    }

    #[test]
    fn an_undeclared_image_disk_stays_and_an_undeclared_added_disk_goes() {
        let current = [disk(0, 40, true), disk(1, 50, false), disk(2, 20, false)];
        let plan = plan_disks(&current, &[declared(2, 20)], Origin::Server);
        assert_eq!(plan.target, [disk(0, 40, true), disk(2, 20, false)]);
        assert_eq!(
            plan.needs_stop.map(|(_, why)| why).as_deref(),
            Some("removing the disk at scsi_id 1")
        );
    }

    #[test]
    fn growing_and_adding_need_a_stop_but_re_speeding_does_not() {
        let current = [disk(0, 10, true)];
        let faster = DeclaredDisk {
            speed: "HIGHPERFORMANCE".into(),
            ..declared(0, 10)
        };
        let plan = plan_disks(&current, &[faster], Origin::Server);
        assert!(plan.needs_stop.is_none());
        assert_eq!(plan.target[0].speed, "HIGHPERFORMANCE");
        let plan = plan_disks(&current, &[declared(0, 20)], Origin::Server);
        assert_eq!(
            plan.needs_stop.unwrap().1,
            "growing disk[0] from 10 to 20 GB"
        );
        let plan = plan_disks(&current, &[declared(3, 20)], Origin::Server);
        assert_eq!(plan.needs_stop.unwrap().1, "adding disk[0] (scsi_id 3)");
    }

    #[test]
    fn import_declares_what_differs_from_the_image() {
        let image = [disk(0, 10, true)];
        let found = [disk(0, 10, true), disk(1, 50, false)];
        assert_eq!(declared_for_import(&found, &image), [declared(1, 50)]);
        let grown = [disk(0, 30, true)];
        assert_eq!(declared_for_import(&grown, &image), [declared(0, 30)]);
    }

    #[test]
    fn refreshed_declarations_follow_the_server_and_drop_missing_disks() {
        let disks = [disk(0, 30, true)];
        let found = declared_as_found(&[declared(1, 50), declared(0, 10)], &disks);
        assert_eq!(found, [declared(0, 30)]);
    }
}
