terraform {
  required_version = ">= 1.0.3"

  required_providers {
    cloudcontrol = {
      source  = "cloudcontrol/cloudcontrol"
      version = "~> 0.1"
    }
    # provision.tf: one null_resource per node runs mesos-provisioner with local-exec
    null = {
      source  = "hashicorp/null"
      version = ">= 2.1.2, < 4.0.0"
    }
  }
}

# The API address and credentials come from the environment: CLOUDCONTROL_REGION or
# CLOUDCONTROL_ENDPOINT, CLOUDCONTROL_USERNAME and CLOUDCONTROL_PASSWORD.
provider "cloudcontrol" {}
