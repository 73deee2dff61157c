//! The `cloudcontrol_firewall_rule` schema: every attribute, its default and its rules, in one
//! place.

use tfplugin::schema::validators::one_of;
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};

use crate::rules::FirewallRuleNameRule;

/// The `source` or `destination` block.
fn scope_block(which: &str) -> NestedBlock {
    NestedBlock::single(
        which,
        Block::new()
            .description(format!("The rule's {which}: an address or network (`ip`) or an IP address list (`address_list_id`), and a port or range (`port`) or a port list (`port_list_id`); omit the block (or set ip = \"any\") for any address and port."))
            .attribute(Attribute::string("ip").optional_computed().description(
                "An IPv4/IPv6 address or network address, or \"any\". Unset means any (and reads as \"any\").",
            ))
            .attribute(Attribute::number("prefix_size").optional().description(
                "Prefix size when `ip` is a network address.",
            ))
            .attribute(Attribute::number("port").optional().description(
                "A port (TCP and UDP only); unset means any port.",
            ))
            .attribute(Attribute::number("port_end").optional().description(
                "Last port of a range starting at `port`.",
            ))
            .attribute(Attribute::string("address_list_id").optional().description(
                "Id of a `cloudcontrol_address_list` of the same network domain and IP version, instead of `ip` and `prefix_size`.",
            ))
            .attribute(Attribute::string("port_list_id").optional().description(
                "Id of a `cloudcontrol_port_list` of the same network domain, instead of `port` and `port_end` (TCP and UDP only).",
            )),
    )
}

/// The resource's schema.
pub fn firewall_rule_schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A firewall rule of a network domain.")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(FirewallRuleNameRule)
                    .description("Rule name: letters, digits, `_` and `.`, starting with a letter or `_`, unique in the domain."),
            )
            .attribute(
                Attribute::string("action")
                    .default("ACCEPT_DECISIVELY")
                    .requires_replace()
                    .validator(one_of(["ACCEPT_DECISIVELY", "DROP"]))
                    .description("ACCEPT_DECISIVELY or DROP."),
            )
            .attribute(
                Attribute::string("ip_version")
                    .default("IPV4")
                    .requires_replace()
                    .validator(one_of(["IPV4", "IPV6"]))
                    .description("IPV4 or IPV6."),
            )
            .attribute(
                Attribute::string("protocol")
                    .required()
                    .requires_replace()
                    .validator(one_of(["IP", "ICMP", "TCP", "UDP"]))
                    .description("IP, ICMP, TCP or UDP."),
            )
            .attribute(
                Attribute::bool("enabled")
                    .default(true)
                    .description("Whether the rule is enforced; changed in place."),
            )
            .attribute(
                Attribute::string("placement")
                    .optional()
                    .validator(one_of(["FIRST", "LAST", "BEFORE", "AFTER"]))
                    .description("Where the rule is inserted at creation: FIRST, LAST (the default), BEFORE or AFTER `relative_to_rule`. Used only when the rule is created; the API cannot report it, so an import id may carry it (see Import)."),
            )
            .attribute(
                Attribute::string("relative_to_rule")
                    .optional()
                    .description("Name of the rule that BEFORE/AFTER placement refers to."),
            )
            .block(scope_block("source"))
            .block(scope_block("destination"))
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}
