# A server is imported by its id. The API cannot report admin_password (used only at deployment)
# or allow_reboot, so the first apply after an import records them in state without calling the API.
terraform import cloudcontrol_server.web 7b664b9c-7f0a-4a4d-a0b9-3eb1bd5b8e1f
