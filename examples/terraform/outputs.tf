output "public_alb_dns_name" {
  value = aws_lb.public.dns_name
}

output "internal_alb_dns_name" {
  value = aws_lb.internal.dns_name
}

output "cluster_arns" {
  value = {
    apps    = aws_ecs_cluster.apps.arn
    backend = aws_ecs_cluster.backend.arn
    jobs    = aws_ecs_cluster.jobs.arn
    sandbox = aws_ecs_cluster.sandbox.arn
  }
}

output "services" {
  value = {
    api     = module.api.service_name
    backend = module.backend.service_name
    reports = aws_ecs_service.reports.name
    search  = aws_ecs_service.search.name
  }
}

output "task_families" {
  value = concat(
    [module.api.task_family, module.backend.task_family],
    [for td in [aws_ecs_task_definition.reports, aws_ecs_task_definition.search, aws_ecs_task_definition.cron] : td.family],
  )
}
