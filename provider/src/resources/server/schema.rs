//! The `cloudcontrol_server` schema: every attribute, its default and its rules, in one place.

use tfplugin::schema::validators::{int_between, one_of, string_length, Ipv4Address};
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::Type;

use crate::rules::{
    NameRule, PasswordRule, ScsiIdRule, CPU_RANGE, DISK_GB_RANGE, MAX_NAME_LEN, MEMORY_GB_RANGE,
};

/// Disk speeds the API knows; which of them a datacenter offers is checked at plan time.
pub const DISK_SPEEDS: [&str; 4] = ["STANDARD", "HIGHPERFORMANCE", "ECONOMY", "PROVISIONEDIOPS"];

/// The resource's schema.
pub fn server_schema() -> Schema {
    let nic = Block::new()
        .description("The primary network adapter.")
        .attribute(
            Attribute::string("vlan_id")
                .required()
                .description("Id of the VLAN the adapter is on. Changing it replaces the server."),
        )
        .attribute(
            Attribute::string("private_ipv4")
                .optional_computed()
                .use_state_for_unknown()
                .validator(Ipv4Address)
                .description("Private IPv4 address; when unset, the first free address of the VLAN. Changed in place."),
        );
    let disk = Block::new()
        .description("A declared disk. On the SCSI id of one of the image's disks it sets that disk's size and speed; on any other SCSI id it adds a disk. Disks the image brings and no block declares are kept as they are; an added disk exists exactly as long as its block does.")
        .attribute(Attribute::number("scsi_id").required().validator(ScsiIdRule).description("SCSI id of the disk on bus 0 (0 is the image's OS disk; 7 is reserved)."))
        .attribute(
            Attribute::number("size_gb")
                .required()
                .validator(int_between(DISK_GB_RANGE.0, DISK_GB_RANGE.1))
                .description("Size in GB: at least the image disk's size on an image disk's SCSI id. Disks only grow; growing, adding and removing a disk power-cycle a running server, which needs allow_reboot = true."),
        )
        .attribute(
            Attribute::string("speed")
                .default("STANDARD")
                .validator(one_of(DISK_SPEEDS))
                .description("Disk speed: STANDARD, HIGHPERFORMANCE, ECONOMY or PROVISIONEDIOPS, one the datacenter offers (checked at plan time). Changed in place on a running server (no reboot)."),
        );
    let server_disk = Type::object([
        ("scsi_id", Type::Number),
        ("size_gb", Type::Number),
        ("speed", Type::String),
        ("from_image", Type::Bool),
    ]);
    Schema::new(
        Block::new()
            .description("A cloud server deployed from an OS image.")
            .attribute(Attribute::id())
            .attribute(Attribute::string("name").required().validator(NameRule(MAX_NAME_LEN)).description("Server name."))
            .attribute(Attribute::string("description").default("").validator(string_length(0, 255)).description("Server description."))
            .attribute(Attribute::string("network_domain_id").required().requires_replace().description("Id of the network domain."))
            .attribute(Attribute::string("image_id").required().requires_replace().description("Id of the OS image to deploy (see the cloudcontrol_image data source)."))
            .attribute(
                Attribute::string("admin_password")
                    .optional()
                    .sensitive()
                    .validator(PasswordRule)
                    .description("Administrator (root) password set by guest OS customisation at deployment. Without it the image is deployed uncustomised. Only used at deployment."),
            )
            .attribute(Attribute::number("cpu_count").optional_computed().use_state_for_unknown().validator(int_between(CPU_RANGE.0, CPU_RANGE.1)).description("Number of virtual CPUs (default: the image's; at most the datacenter's MAX_CPU_COUNT, checked at plan time). Changed in place: a running server gains CPUs without a restart, fewer CPUs need it stopped (allow_reboot = true or started = false)."))
            .attribute(Attribute::number("cores_per_socket").optional_computed().use_state_for_unknown().validator(int_between(CPU_RANGE.0, CPU_RANGE.1)).description("Cores per CPU socket; must divide cpu_count (default: the image's). Changed in place on a stopped server (a running one needs allow_reboot = true)."))
            .attribute(Attribute::string("cpu_speed").optional_computed().use_state_for_unknown().validator(string_length(1, 32)).description("CPU speed class, such as STANDARD or HIGHPERFORMANCE, one the datacenter offers (checked at plan time; default: the image's). Changed in place on a stopped server (a running one needs allow_reboot = true)."))
            .attribute(Attribute::number("memory_gb").optional_computed().use_state_for_unknown().validator(int_between(MEMORY_GB_RANGE.0, MEMORY_GB_RANGE.1)).description("Memory in GB (default: the image's). Changed in place: a running server gains memory without a restart, less memory needs it stopped."))
            .attribute(Attribute::bool("started").default(true).description("Whether the server is running."))
            .attribute(
                Attribute::bool("allow_reboot")
                    .default(false)
                    .description("Allow the provider to shut a running server down and start it again for changes the API only makes on a stopped server (adding, growing or removing disks; fewer CPUs or less memory; another cores-per-socket or CPU speed)."),
            )
            .attribute(Attribute::string("monitoring_plan").optional().validator(one_of(["ESSENTIALS", "ADVANCED"])).description("Monitoring service plan: ESSENTIALS, ADVANCED or unset for none."))
            .attribute(Attribute::string("datacenter").computed().use_state_for_unknown().description("Datacenter the server is in."))
            .attribute(Attribute::string("primary_ipv4").computed().use_state_for_unknown().description("Private IPv4 address of the primary NIC."))
            .attribute(Attribute::string("primary_ipv6").computed().use_state_for_unknown().description("IPv6 address of the primary NIC."))
            .attribute(Attribute::list("all_disks", server_disk).computed().description("Every disk the server has on SCSI bus 0, declared or not, in SCSI id order: scsi_id, size_gb, speed, and from_image (true for the disks the image brought)."))
            .block(NestedBlock::single("primary_nic", nic).min_items(1).max_items(1))
            .block(NestedBlock::list("disk", disk))
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}
