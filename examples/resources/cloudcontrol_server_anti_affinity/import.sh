# An anti-affinity rule is imported by its id.
terraform import cloudcontrol_server_anti_affinity.web 4c6dd2b8-5b2a-4c6a-9f43-3e8f9c0d1a27
