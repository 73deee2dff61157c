# A public IP block is imported by its id.
terraform import cloudcontrol_public_ip_block.web 9ed47330-5561-11e5-8f3c-7b9d1a8b1e1c
