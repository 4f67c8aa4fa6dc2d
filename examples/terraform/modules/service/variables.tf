variable "name" {
  description = "Service name; also the name of the application container."
  type        = string
}

variable "environment" {
  type = string
}

variable "region" {
  type = string
}

variable "cluster_arn" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "launch_type" {
  description = "FARGATE or EC2. null uses the cluster's default capacity provider strategy."
  type        = string
  default     = "FARGATE"
}

variable "requires_compatibilities" {
  type    = list(string)
  default = ["FARGATE"]
}

variable "task_cpu" {
  description = "Task-level CPU units (1024 = 1 vCPU)."
  type        = number
}

variable "task_memory" {
  description = "Task-level memory in MiB."
  type        = number
}

variable "image" {
  type = string
}

variable "container_port" {
  type    = number
  default = 8080
}

variable "container_cpu" {
  description = "CPU units of the application container (null: not set)."
  type        = number
  default     = null
}

variable "memory_reservation" {
  description = "Soft memory limit of the application container in MiB (null: not set)."
  type        = number
  default     = null
}

variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "container_health_check" {
  description = "Container health check; null for none."
  type = object({
    command      = list(string)
    interval     = optional(number, 30)
    timeout      = optional(number, 5)
    retries      = optional(number, 3)
    start_period = optional(number, 0)
  })
  default = null
}

variable "enable_log_router" {
  description = "Ship logs through a FireLens (fluent-bit) sidecar instead of awslogs."
  type        = bool
  default     = false
}

variable "log_router_image" {
  type    = string
  default = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
}

variable "log_router_cpu" {
  type    = number
  default = 64
}

variable "enable_metrics_sidecar" {
  description = "Add the Prometheus ecs-exporter sidecar (task metadata stats on :9779)."
  type        = bool
  default     = false
}

variable "metrics_sidecar_image" {
  type    = string
  default = "quay.io/prometheuscommunity/ecs-exporter:latest"
}

variable "target_group_arn" {
  type = string
}

variable "health_check_grace_period_seconds" {
  type    = number
  default = null
}

variable "desired_count" {
  type    = number
  default = 2
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "execution_role_arn" {
  type = string
}

variable "task_role_arn" {
  type    = string
  default = null
}

variable "min_capacity" {
  type    = number
  default = 2
}

variable "max_capacity" {
  type    = number
  default = 10
}

variable "scale_out_suspended" {
  description = "Pause target-tracking scale-out (e.g. during a migration)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  type    = number
  default = 30
}
