//! `cloudcontrol_image`: an OS image looked up by name in a datacenter.

use async_trait::async_trait;
use cloudcontrol::ImageKind;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Type, Value};

use crate::provider::ProviderData;
use crate::support::{api_error, string};

/// The `cloudcontrol_image` data source type.
pub struct ImageDataSource;

/// How many close names an error lists.
const SUGGESTIONS: usize = 5;

#[async_trait]
impl DataSource<ProviderData> for ImageDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_image"
    }

    fn schema(&self) -> Schema {
        let disk = Type::object([
            ("scsi_id", Type::Number),
            ("size_gb", Type::Number),
            ("speed", Type::String),
        ]);
        Schema::new(
            Block::new()
                .description("Looks up an OS image by exact name in a datacenter.")
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact image name, e.g. \"Ubuntu 22.04 64-bit 2 CPU\"."),
                )
                .attribute(
                    Attribute::string("datacenter")
                        .required()
                        .description("Datacenter id, e.g. NA9."),
                )
                .attribute(
                    Attribute::string("id")
                        .computed()
                        .description("Image id, for cloudcontrol_server.image_id."),
                )
                .attribute(
                    Attribute::string("description")
                        .computed()
                        .description("Image description."),
                )
                .attribute(
                    Attribute::string("os_family")
                        .computed()
                        .description("Operating system family, e.g. UNIX or WINDOWS."),
                )
                .attribute(
                    Attribute::string("os_id")
                        .computed()
                        .description("Operating system id, e.g. UBUNTU2264."),
                )
                .attribute(
                    Attribute::number("cpu_count")
                        .computed()
                        .description("CPUs a server gets by default."),
                )
                .attribute(
                    Attribute::number("memory_gb")
                        .computed()
                        .description("Memory a server gets by default."),
                )
                .attribute(
                    Attribute::list("disks", disk).computed().description(
                        "The image's disks, which every server deployed from it gets (listed in cloudcontrol_server.all_disks); a cloudcontrol_server disk block on one of their scsi_id values grows it or changes its speed.",
                    ),
                ),
        )
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadDataRequest,
        response: &mut ReadResponse,
    ) {
        let name = string(&request.config, "name").unwrap_or_default();
        let datacenter = string(&request.config, "datacenter").unwrap_or_default();
        let client = &ctx.data.client;
        let image = match client.find_image(ImageKind::Os, &name, &datacenter).await {
            Ok(Some(image)) => image,
            Ok(None) => {
                let detail = match client.list_images(ImageKind::Os, Some(&datacenter)).await {
                    Ok(all) => {
                        let names: Vec<String> = all.into_iter().map(|i| i.name).collect();
                        let close = close_names(&name, &names, SUGGESTIONS);
                        if names.is_empty() {
                            format!("Datacenter {datacenter} offers no OS images (is the datacenter id right?).")
                        } else if close.is_empty() {
                            format!("No OS image is named {name:?} in {datacenter}. Available: {}.", names.join(", "))
                        } else {
                            format!("No OS image is named {name:?} in {datacenter}. Close names: {}.", close.join(", "))
                        }
                    }
                    Err(e) => format!("No OS image is named {name:?} in {datacenter} (listing images failed: {e})."),
                };
                response.diagnostics.error_at(
                    AttributePath::attribute("name"),
                    "Image not found",
                    detail,
                );
                return;
            }
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("look up the image", &e));
                return;
            }
        };
        let os = image.operating_system().clone();
        let state = &mut response.state;
        state.set_attr("id", image.id.as_str());
        state.set_attr("description", image.description.as_str());
        state.set_attr("os_family", os.family.as_str());
        state.set_attr("os_id", os.id.as_str());
        state.set_attr("cpu_count", i64::from(image.cpu.count));
        state.set_attr("memory_gb", i64::from(image.memory_gb));
        state.set_attr(
            "disks",
            Value::list(image.disks().into_iter().map(|d| {
                Value::object([
                    ("scsi_id", Value::from(i64::from(d.disk.scsi_id))),
                    ("size_gb", Value::from(i64::from(d.disk.size_gb))),
                    ("speed", Value::from(d.disk.speed.as_str())),
                ])
            })),
        );
    }
}

/// Up to `limit` of `names` closest to `wanted`: ranked by edit distance (case-insensitive),
/// keeping those within half the wanted length or sharing a word with it.
pub fn close_names(wanted: &str, names: &[String], limit: usize) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let words: Vec<&str> = wanted_lower
        .split_whitespace()
        .filter(|w| w.len() > 2)
        .collect();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (edit_distance(&wanted_lower, &n.to_lowercase()), n))
        .filter(|(d, n)| {
            *d <= wanted.chars().count() / 2 || words.iter().any(|w| n.to_lowercase().contains(w))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(limit)
        .map(|(_, n)| n.clone())
        .collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            prev = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_rank_by_distance() {
        let names: Vec<String> = [
            "Ubuntu 22.04 64-bit 2 CPU",
            "Ubuntu 24.04 64-bit 2 CPU",
            "CentOS 7 64-bit 2 CPU",
            "Win2019 DC 64-bit 2 CPU",
        ]
        .map(String::from)
        .to_vec();
        let close = close_names("Ubuntu 22.04 64bit 2 CPU", &names, 2);
        assert_eq!(
            close,
            ["Ubuntu 22.04 64-bit 2 CPU", "Ubuntu 24.04 64-bit 2 CPU"]
        );
        assert!(close_names("zzzz", &names, 5).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
