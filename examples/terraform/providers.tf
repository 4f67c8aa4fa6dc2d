terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# This example is planned offline in CI (tests/fixtures/plan/regen.sh): the credentials
# below are placeholders and every skip_* flag keeps the provider off the network.
# A real deployment would use the normal credential chain instead.
provider "aws" {
  region     = var.aws_region
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  default_tags {
    tags = local.common_tags
  }
}
