variable "project" {
  description = "Short project name, used as a prefix for every resource name."
  type        = string
  default     = "shop"
}

variable "environment" {
  description = "Deployment environment (staging or prod)."
  type        = string
  default     = "staging"

  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f60718"
}

variable "public_subnet_ids" {
  type    = list(string)
  default = ["subnet-0a11c0ffee0000001", "subnet-0a11c0ffee0000002", "subnet-0a11c0ffee0000003"]
}

variable "private_subnet_ids" {
  type    = list(string)
  default = ["subnet-0b22c0ffee0000001", "subnet-0b22c0ffee0000002", "subnet-0b22c0ffee0000003"]
}

variable "certificate_arn" {
  description = "ACM certificate for the public HTTPS listener."
  type        = string
  default     = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e6a8e-7d0c-4b8a-9d51-2f6c5e8b1a42"
}

variable "image_registry" {
  type    = string
  default = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
}

variable "image_tags" {
  description = "Image tag per service."
  type        = map(string)
  default = {
    api     = "1.41.0"
    backend = "2024.11.1"
    reports = "3.8.1"
    search  = "0.19.4"
  }
}

variable "ecs_exporter_version" {
  type    = string
  default = "v0.4.0"
}

variable "ecs_ami_id" {
  description = "ECS-optimized Amazon Linux 2023 AMI for the backend container instances."
  type        = string
  default     = "ami-0f5d42f0c6b7a8e91"
}

variable "backend_instance_type" {
  type    = string
  default = "m6i.large"
}

variable "enable_xray" {
  description = "Run the X-Ray daemon next to the reports worker."
  type        = bool
  default     = true
}

variable "tags" {
  type = map(string)
  default = {
    Team       = "platform"
    CostCenter = "cc-4410"
  }
}
