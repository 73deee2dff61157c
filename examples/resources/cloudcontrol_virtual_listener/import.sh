# A virtual listener is imported by its id.
terraform import cloudcontrol_virtual_listener.marathon 6b8a3c0e-1f2d-4e5a-9b7c-2d4e6f8a0b1c
