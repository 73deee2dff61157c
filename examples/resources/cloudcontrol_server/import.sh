# A server is imported by its id, optionally followed by ",allow_reboot=true": the API cannot
# report the reboot permission, so the id carries it. The API cannot report admin_password either
# (it is used only at deployment): set it in CLOUDCONTROL_IMPORT_ADMIN_PASSWORD for the import
# (never on the command line). With both, the first plan after the import is empty, unless the
# configuration has a timeouts block: no import can carry it, so the first apply records it in
# state without calling the API.
CLOUDCONTROL_IMPORT_ADMIN_PASSWORD="$TF_VAR_admin_password" \
  terraform import cloudcontrol_server.web 7b664b9c-7f0a-4a4d-a0b9-3eb1bd5b8e1f,allow_reboot=true

# Imported by its id alone, the first apply records admin_password and allow_reboot from the
# configuration in state, without calling the API.
terraform import cloudcontrol_server.web 7b664b9c-7f0a-4a4d-a0b9-3eb1bd5b8e1f
