//! `terraform-provider-cloudcontrol`: the plugin binary Terraform launches.

fn main() -> std::process::ExitCode {
    tfplugin::server::serve(cloudcontrol_provider::CloudControlProvider)
}
