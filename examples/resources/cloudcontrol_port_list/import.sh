# A port list is imported by its id (the provider finds its network domain).
terraform import cloudcontrol_port_list.masters c8c92ea3-2da8-4d51-8153-f39bec794d69
