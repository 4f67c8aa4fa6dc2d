locals {
  name_prefix = format("%s-%s", var.project, var.environment)

  common_tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # Enhanced observability (per-container metrics) costs more, so only prod gets it.
  container_insights = var.environment == "prod" ? "enhanced" : "enabled"

  exporter_image   = "quay.io/prometheuscommunity/ecs-exporter:${var.ecs_exporter_version}"
  fluent_bit_image = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4"

  reports_queue_name = "${local.name_prefix}-reports"

  # Log groups for the services defined in this root module (the service module makes its own).
  root_log_groups = toset(["reports", "search", "cron"])
}
