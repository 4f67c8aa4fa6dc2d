locals {
  family = format("%s-%s", var.environment, var.name)

  awslogs_options = {
    "awslogs-group"         = aws_cloudwatch_log_group.this.name
    "awslogs-region"        = var.region
    "awslogs-stream-prefix" = var.name
  }

  app_environment = merge(
    {
      APP_ENV   = var.environment
      PORT      = tostring(var.container_port)
      LOG_LEVEL = lookup(var.environment_variables, "LOG_LEVEL", "info")
    },
    var.environment_variables,
  )

  app_log_configuration = var.enable_log_router ? {
    logDriver = "awsfirelens"
    options = {
      Name              = "cloudwatch_logs"
      region            = var.region
      log_group_name    = aws_cloudwatch_log_group.this.name
      log_stream_prefix = "${var.name}/"
    }
    } : {
    logDriver = "awslogs"
    options   = local.awslogs_options
  }

  app_container = merge(
    {
      name      = var.name
      image     = var.image
      essential = true
      portMappings = [{
        name          = "http"
        containerPort = var.container_port
        protocol      = "tcp"
      }]
      environment      = [for k, v in local.app_environment : { name = k, value = v }]
      logConfiguration = local.app_log_configuration
    },
    var.container_cpu == null ? {} : { cpu = var.container_cpu },
    var.memory_reservation == null ? {} : { memoryReservation = var.memory_reservation },
    var.container_health_check == null ? {} : {
      healthCheck = {
        command     = var.container_health_check.command
        interval    = var.container_health_check.interval
        timeout     = var.container_health_check.timeout
        retries     = var.container_health_check.retries
        startPeriod = var.container_health_check.start_period
      }
    },
  )

  log_router_container = {
    name              = "log-router"
    image             = var.log_router_image
    essential         = true
    cpu               = var.log_router_cpu
    memoryReservation = 64
    user              = "0"
    firelensConfiguration = {
      type    = "fluentbit"
      options = { "enable-ecs-log-metadata" = "true" }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.awslogs_options, { "awslogs-stream-prefix" = "firelens" })
    }
  }

  # Scrapes ${ECS_CONTAINER_METADATA_URI_V4}/task/stats and serves it on :9779/metrics.
  # Not essential: a crashed exporter must never take the application down.
  metrics_sidecar_container = {
    name      = "ecs-exporter"
    image     = var.metrics_sidecar_image
    essential = false
    cpu       = 64
    memory    = 128
    portMappings = [{
      containerPort = 9779
      protocol      = "tcp"
    }]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.awslogs_options, { "awslogs-stream-prefix" = "ecs-exporter" })
    }
  }

  containers = concat(
    [local.app_container],
    var.enable_log_router ? [local.log_router_container] : [],
    var.enable_metrics_sidecar ? [local.metrics_sidecar_container] : [],
  )
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.environment}/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.family
  requires_compatibilities = var.requires_compatibilities
  network_mode             = "awsvpc"
  cpu                      = tostring(var.task_cpu)
  memory                   = tostring(var.task_memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode(local.containers)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

resource "aws_ecs_service" "this" {
  name                   = var.name
  cluster                = var.cluster_arn
  task_definition        = aws_ecs_task_definition.this.arn
  desired_count          = var.desired_count
  launch_type            = var.launch_type
  propagate_tags         = "SERVICE"
  enable_execute_command = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = coalesce(var.health_check_grace_period_seconds, 0)

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.name
    container_port   = var.container_port
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity

  suspended_state {
    dynamic_scaling_in_suspended  = false
    dynamic_scaling_out_suspended = var.scale_out_suspended
    scheduled_scaling_suspended   = false
  }
}

resource "aws_appautoscaling_policy" "this" {
  for_each = {
    cpu = {
      metric = "ECSServiceAverageCPUUtilization"
      target = 60
    }
    memory = {
      metric = "ECSServiceAverageMemoryUtilization"
      target = 75
    }
  }

  name               = "${local.family}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}
