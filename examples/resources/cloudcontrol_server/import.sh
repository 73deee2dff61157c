# A server is imported by its id. The administrator password is only used at deployment and
# cannot be read back: keep it in the configuration, it causes no diff after the import.
terraform import cloudcontrol_server.web 7b664b9c-7f0a-4a4d-a0b9-3eb1bd5b8e1f
