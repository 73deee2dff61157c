# An IP address list is imported by its id (the provider finds its network domain).
terraform import cloudcontrol_address_list.admins 5e7c323f-c885-4e4b-9a27-94c44217dbd3
