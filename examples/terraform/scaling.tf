# -----------------------------------------------------------------------------------------
# Legacy reservation-based scale-out of the backend on-demand ASG. Managed scaling of the
# on-demand capacity provider is off (cluster.tf), so these are the only scale-out path.
# -----------------------------------------------------------------------------------------

resource "aws_autoscaling_policy" "backend_scale_out" {
  name                   = "${local.name_prefix}-backend-scale-out"
  autoscaling_group_name = aws_autoscaling_group.backend_ondemand.name
  policy_type            = "SimpleScaling"
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = 2
  cooldown               = 300
  enabled                = false # disabled during the October incident, never re-enabled
}

resource "aws_cloudwatch_metric_alarm" "backend_reservation_high" {
  for_each = {
    CPUReservation    = 75
    MemoryReservation = 80
  }

  alarm_name          = format("%s-backend-%s-high", local.name_prefix, lower(each.key))
  alarm_description   = "Scale out the backend on-demand ASG when ${each.key} >= ${each.value}%"
  namespace           = "AWS/ECS"
  metric_name         = each.key
  dimensions          = { ClusterName = aws_ecs_cluster.backend.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = each.value
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = false
  alarm_actions   = [aws_autoscaling_policy.backend_scale_out.arn]
}

# -----------------------------------------------------------------------------------------
# Service auto scaling for search (api and backend get theirs from the service module).
# -----------------------------------------------------------------------------------------

# ecslint: ignore[ECS303] scale-out suspended during the index rebuild (INC-2291)
resource "aws_appautoscaling_target" "search" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.apps.name}/${aws_ecs_service.search.name}"
  min_capacity       = 2
  max_capacity       = 6
}
