# A network domain is imported by its id.
terraform import cloudcontrol_network_domain.main 8cdfd607-f429-4df6-9352-162cfc0891be
