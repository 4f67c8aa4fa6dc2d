# -----------------------------------------------------------------------------------------
# Fargate cluster for the customer-facing services (api, search).
# -----------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "apps" {
  name = "${local.name_prefix}-apps"

  setting {
    name  = "containerInsights"
    value = local.container_insights
  }
}

resource "aws_ecs_cluster_capacity_providers" "apps" {
  cluster_name       = aws_ecs_cluster.apps.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 1
    weight            = 1
  }
}

# -----------------------------------------------------------------------------------------
# Fargate cluster for asynchronous jobs (reports worker).
# -----------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "jobs" {
  name = "${local.name_prefix}-jobs"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "jobs" {
  cluster_name       = aws_ecs_cluster.jobs.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
}

# -----------------------------------------------------------------------------------------
# Developer sandbox: ad-hoc RunTask only, nothing long-lived.
# -----------------------------------------------------------------------------------------

# ecslint: ignore[ECS401] sandbox is rebuilt every night and nobody looks at its metrics
resource "aws_ecs_cluster" "sandbox" {
  name = "${local.name_prefix}-sandbox"
}

# -----------------------------------------------------------------------------------------
# EC2 cluster for the backend (needs host networking features and reserved instances).
# -----------------------------------------------------------------------------------------

resource "aws_ecs_cluster" "backend" {
  name = "${local.name_prefix}-backend"

  configuration {
    execute_command_configuration {
      logging = "DEFAULT"
    }
  }
}

resource "aws_launch_template" "ecs" {
  name_prefix   = "${local.name_prefix}-ecs-"
  image_id      = var.ecs_ami_id
  instance_type = var.backend_instance_type

  iam_instance_profile {
    name = aws_iam_instance_profile.ecs_instance.name
  }

  vpc_security_group_ids = [aws_security_group.ecs_instances.id]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<CONFIG
    ECS_CLUSTER=${aws_ecs_cluster.backend.name}
    ECS_ENABLE_CONTAINER_METADATA=true
    ECS_CONTAINER_STOP_TIMEOUT=30s
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.common_tags, { Name = "${local.name_prefix}-ecs-backend" })
  }
}

resource "aws_autoscaling_group" "backend_ondemand" {
  name                  = "${local.name_prefix}-backend-ondemand"
  min_size              = 2
  max_size              = 10
  desired_capacity      = 2
  vpc_zone_identifier   = var.private_subnet_ids
  health_check_type     = "EC2"
  protect_from_scale_in = false
  suspended_processes   = ["AZRebalance"]

  launch_template {
    id      = aws_launch_template.ecs.id
    version = "$Latest"
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_group" "backend_spot" {
  name                = "${local.name_prefix}-backend-spot"
  min_size            = 0
  max_size            = 20
  vpc_zone_identifier = var.private_subnet_ids
  health_check_type   = "EC2"

  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = 0
      on_demand_percentage_above_base_capacity = 0
      spot_allocation_strategy                 = "price-capacity-optimized"
    }

    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.ecs.id
        version            = "$Latest"
      }

      override {
        instance_type = "c6i.large"
      }

      override {
        instance_type = "c5.large"
      }
    }
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "ondemand" {
  name = "${local.name_prefix}-backend-ondemand"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.backend_ondemand.arn
    managed_termination_protection = "DISABLED"

    # Switched off during the October capacity incident ("ECS keeps adding instances");
    # the reservation alarms in scaling.tf were meant to take over.
    managed_scaling {
      status          = "DISABLED"
      target_capacity = 100
    }
  }
}

resource "aws_ecs_capacity_provider" "spot" {
  name = "${local.name_prefix}-backend-spot"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.backend_spot.arn
    managed_termination_protection = "DISABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = 90
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 4
      instance_warmup_period    = 180
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "backend" {
  cluster_name       = aws_ecs_cluster.backend.name
  capacity_providers = [aws_ecs_capacity_provider.ondemand.name, aws_ecs_capacity_provider.spot.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.ondemand.name
    base              = 2
    weight            = 1
  }

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.spot.name
    weight            = 3
  }
}
