resource "aws_cloudwatch_log_group" "services" {
  for_each = local.root_log_groups

  name              = "/ecs/${var.environment}/${each.key}"
  retention_in_days = 30
}

# =========================================================================================
# api: public REST API on Fargate. The reference configuration for the other services.
# =========================================================================================

module "api" {
  source = "./modules/service"

  name         = "api"
  environment  = var.environment
  region       = var.aws_region
  cluster_arn  = aws_ecs_cluster.apps.arn
  cluster_name = aws_ecs_cluster.apps.name

  task_cpu           = 512
  task_memory        = 1024
  image              = "${var.image_registry}/shop/api:${var.image_tags["api"]}"
  container_port     = 8080
  container_cpu      = 448
  memory_reservation = 896

  environment_variables = {
    BACKEND_URL = "http://${aws_lb.internal.dns_name}"
    LOG_LEVEL   = "warn"
  }

  container_health_check = {
    command      = ["CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"]
    start_period = 30
  }

  enable_metrics_sidecar = true
  metrics_sidecar_image  = local.exporter_image

  target_group_arn                  = aws_lb_target_group.api.arn
  health_check_grace_period_seconds = 60

  subnet_ids         = var.private_subnet_ids
  security_group_ids = [aws_security_group.services.id]
  execution_role_arn = aws_iam_role.task_execution.arn
  task_role_arn      = aws_iam_role.app_task.arn

  desired_count = 3
  min_capacity  = 3
  max_capacity  = 12
}

# =========================================================================================
# backend: internal order-processing service on the EC2 cluster (incident 1, 2024-11-14:
# tasks killed with exit 137 while CPU sat at 99%; see README.md).
# =========================================================================================

module "backend" {
  source = "./modules/service"

  name         = "backend"
  environment  = var.environment
  region       = var.aws_region
  cluster_arn  = aws_ecs_cluster.backend.arn
  cluster_name = aws_ecs_cluster.backend.name

  # Placement comes from the cluster's default capacity provider strategy.
  launch_type              = null
  requires_compatibilities = ["EC2"]

  task_cpu          = 128
  task_memory       = 512
  image             = "${var.image_registry}/shop/backend:${var.image_tags["backend"]}"
  container_cpu     = 64
  enable_log_router = true
  log_router_image  = local.fluent_bit_image
  log_router_cpu    = 64

  target_group_arn = aws_lb_target_group.backend.arn

  subnet_ids         = var.private_subnet_ids
  security_group_ids = [aws_security_group.services.id]
  execution_role_arn = aws_iam_role.task_execution.arn
  task_role_arn      = aws_iam_role.app_task.arn

  min_capacity        = 2
  max_capacity        = 6
  scale_out_suspended = true # paused for the orders-db migration (CHG-1182)

  depends_on = [aws_ecs_cluster_capacity_providers.backend]
}

# =========================================================================================
# reports: PDF/CSV export worker on Fargate, fed from SQS (incident 2: "OOM at 4 GB"
# although the task has 16 GB).
# =========================================================================================

resource "aws_ecs_task_definition" "reports" {
  family                   = "${var.environment}-reports"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "2048"
  memory                   = "16384"
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.app_task.arn

  container_definitions = templatefile("${path.module}/templates/reports.json.tftpl", {
    image        = "${var.image_registry}/shop/reports:${var.image_tags["reports"]}"
    memory_limit = 4096
    concurrency  = 4
    region       = var.aws_region
    log_group    = aws_cloudwatch_log_group.services["reports"].name
    enable_xray  = var.enable_xray
    environment = {
      APP_ENV           = var.environment
      REPORTS_QUEUE     = local.reports_queue_name
      JAVA_TOOL_OPTIONS = "-XX:MaxRAMPercentage=75"
    }
  })
}

resource "aws_ecs_service" "reports" {
  name                   = "reports"
  cluster                = aws_ecs_cluster.jobs.arn
  task_definition        = aws_ecs_task_definition.reports.arn
  desired_count          = 2
  launch_type            = "FARGATE"
  enable_execute_command = true

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }
}

# =========================================================================================
# search: Fargate search service behind the public ALB.
# =========================================================================================

resource "aws_ecs_task_definition" "search" {
  family                   = "${var.environment}-search"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "1 vCPU"
  memory                   = "1 GB"
  execution_role_arn       = aws_iam_role.task_execution.arn

  container_definitions = <<-EOF
    [
      {
        "name": "search",
        "image": "${var.image_registry}/shop/search:${var.image_tags["search"]}",
        "essential": true,
        "memory": 512,
        "memoryReservation": 768,
        "portMappings": [{ "containerPort": 9200, "protocol": "tcp" }],
        "environment": [
          { "name": "JAVA_OPTS", "value": "-Xms512m -Xmx512m" }
        ],
        "healthCheck": {
          "command": ["CMD-SHELL", "curl -fsS http://localhost:9200/_health || exit 1"],
          "interval": 5,
          "timeout": 10,
          "retries": 3,
          "startPeriod": 60
        },
        "logConfiguration": {
          "logDriver": "awslogs",
          "options": {
            "awslogs-group": "${aws_cloudwatch_log_group.services["search"].name}",
            "awslogs-region": "${var.aws_region}",
            "awslogs-stream-prefix": "search"
          }
        }
      },
      {
        "name": "ecs-exporter",
        "image": "${local.exporter_image}",
        "memoryReservation": 64,
        "portMappings": [{ "containerPort": 9779, "protocol": "tcp" }],
        "logConfiguration": {
          "logDriver": "awslogs",
          "options": {
            "awslogs-group": "${aws_cloudwatch_log_group.services["search"].name}",
            "awslogs-region": "${var.aws_region}",
            "awslogs-stream-prefix": "ecs-exporter"
          }
        }
      }
    ]
  EOF
}

resource "aws_ecs_service" "search" {
  name                              = "search"
  cluster                           = aws_ecs_cluster.apps.arn
  task_definition                   = aws_ecs_task_definition.search.arn
  desired_count                     = 2
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 120

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.search.arn
    container_name   = "search"
    container_port   = 9200
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# =========================================================================================
# cron: nightly batch on the EC2 cluster, started by EventBridge (no service).
# =========================================================================================

resource "aws_ecs_task_definition" "cron" {
  family                = "${var.environment}-cron"
  network_mode          = "bridge"
  execution_role_arn    = aws_iam_role.task_execution.arn
  task_role_arn         = aws_iam_role.app_task.arn
  container_definitions = file("${path.module}/containers/cron.json")
}

resource "aws_cloudwatch_event_rule" "nightly_cron" {
  name                = "${local.name_prefix}-nightly-cron"
  description         = "Nightly batch jobs"
  schedule_expression = "cron(15 3 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly_cron" {
  rule     = aws_cloudwatch_event_rule.nightly_cron.name
  arn      = aws_ecs_cluster.backend.arn
  role_arn = aws_iam_role.events.arn

  ecs_target {
    task_definition_arn = aws_ecs_task_definition.cron.arn
    task_count          = 1
    launch_type         = "EC2"
  }
}
