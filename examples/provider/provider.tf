terraform {
  required_providers {
    cloudcontrol = {
      source  = "cloudcontrol/cloudcontrol"
      version = "~> 0.1"
    }
  }
}

# Credentials come from CLOUDCONTROL_USERNAME and CLOUDCONTROL_PASSWORD when not set here.
provider "cloudcontrol" {
  region = "na"
}

# Against a local emulator (or any other API address), set the endpoint instead of the region:
# provider "cloudcontrol" {
#   endpoint = "http://127.0.0.1:8443"
# }
