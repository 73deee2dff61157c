# A VLAN is imported by its id.
terraform import cloudcontrol_vlan.app 0e56433f-d808-4669-821d-812769517ff8
