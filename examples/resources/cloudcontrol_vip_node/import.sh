# A node is imported by its id.
terraform import cloudcontrol_vip_node.web 6f1c2a8e-3d4b-4f5a-9b7c-2e8d1f0a4c63
