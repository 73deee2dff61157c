terraform {
  required_version = ">= 1.0.3"

  required_providers {
    cloudcontrol = {
      source  = "cloudcontrol/cloudcontrol"
      version = "~> 0.1"
    }
  }
}

# The API address and credentials come from the environment: CLOUDCONTROL_REGION or
# CLOUDCONTROL_ENDPOINT, CLOUDCONTROL_USERNAME and CLOUDCONTROL_PASSWORD.
provider "cloudcontrol" {}
