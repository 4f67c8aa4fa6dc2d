"""Generate a deterministic, realistic ECS Terraform monorepo of a chosen number of .tf files.

    python benchmarks/corpus.py OUT_DIR --files 2000 [--seed 1]

The layout follows a typical platform monorepo:

    modules/ecs-service-vN/   shared service module: task definition (jsonencode), service,
                              target group, app auto scaling, alarms, IAM
    modules/naming/           variables and locals only; called by every service root
    modules/s3-bucket/ ...    unrelated shared modules, called by unrelated roots
    clusters/ENV-NAME/        roots: cluster, capacity provider, Auto Scaling group
    services/TEAM/APP-ENV/    roots: call the service module, or declare the task definition
                              themselves with a templatefile() or heredoc container definition
    infra/AREA/NAME/          unrelated roots (VPC, S3, RDS, Lambda, SQS, DynamoDB, IAM, DNS)

About 55% of the files are ECS-related and 45% are not, and files average ~4 KB like the
public ECS modules. The same arguments always give byte-identical output.
"""

from __future__ import annotations

import argparse
import os
import random
import textwrap

TEAMS = ["payments", "search", "catalog", "identity", "growth", "logistics", "media", "ledger"]
APPS = ["api", "worker", "web", "gateway", "scheduler", "indexer", "notifier", "exporter",
        "consumer", "renderer", "ingest", "billing"]
ENVS = ["dev", "staging", "prod"]
AREAS = ["network", "storage", "data", "compute", "security", "dns", "messaging"]
FARGATE = [(256, 512), (512, 1024), (1024, 2048), (2048, 4096), (4096, 8192)]

# .tf files a unit writes; the generator fills with units until the count is reached.
SERVICE_MODULE_FILES = 5
NAMING_FILES = 2
SHARED_UNRELATED_FILES = 6


def _w(out: dict[str, str], path: str, text: str) -> None:
    out[path] = textwrap.dedent(text).lstrip("\n")


KNOBS = [("tags", "map(string)", "{}"), ("enable_deletion_protection", "bool", "true"),
         ("kms_key_id", "string", "null"), ("log_retention_in_days", "number", "90"),
         ("owner_email", "string", '"platform@example.com"'),
         ("cost_center", "string", '"cc-1042"'), ("create", "bool", "true"),
         ("allowed_cidr_blocks", "list(string)", '["10.0.0.0/8"]'),
         ("maintenance_window", "string", '"sun:03:00-sun:04:00"'),
         ("backup_retention_days", "number", "14"), ("enable_monitoring", "bool", "true"),
         ("notification_emails", "list(string)", "[]"), ("data_classification", "string",
                                                          '"internal"'),
         ("availability_zones", "list(string)", '["eu-west-1a", "eu-west-1b"]'),
         ("extra_policy_arns", "list(string)", "[]"), ("timeouts", "map(string)", "{}")]


def _variables(rng: random.Random, names: list[tuple[str, str, str]]) -> str:
    taken = {n for n, _t, _d in names}
    names = names + [k for k in rng.sample(KNOBS, rng.randint(3, 12)) if k[0] not in taken]
    parts = []
    for name, typ, default in names:
        words = name.replace("_", " ")
        check = ""
        if typ == "number" and rng.random() < 0.4:
            check = f'''
  validation {{
    condition     = var.{name} == null || var.{name} >= 0
    error_message = "The {words} must be a non-negative number."
  }}
'''
        elif typ == "string" and default != "null" and rng.random() < 0.3:
            check = f'''
  validation {{
    condition     = length(var.{name}) > 0 && length(var.{name}) <= 255
    error_message = "The {words} must be between 1 and 255 characters long."
  }}
'''
        parts.append(f'''
variable "{name}" {{
  description = "The {words} used by this stack. {rng.choice(NOTES)}"
  type        = {typ}
  default     = {default}
{check}}}
''')
    return "".join(parts).lstrip("\n")


NOTES = ["Changing it replaces dependent resources, so coordinate with the owning team first.",
         "Set per environment in terraform.tfvars; the default suits development.",
         "See the platform runbook (section 4.2) before changing this in production.",
         "Leave unset to inherit the organisation-wide default from the platform team.",
         "Reviewed quarterly by the cost working group; keep it in line with the budget."]


def _dashboard(rng: random.Random, title: str, metrics: list[tuple[str, str]]) -> str:
    widgets = []
    for i, (namespace, metric) in enumerate(metrics):
        widgets.append(f'''
      {{
        type   = "metric"
        x      = {(i % 2) * 12}
        y      = {(i // 2) * 6}
        width  = 12
        height = 6
        properties = {{
          title   = "{metric}"
          region  = var.region
          stat    = "{rng.choice(["Average", "Maximum", "p99"])}"
          period  = {rng.choice([60, 300])}
          metrics = [["{namespace}", "{metric}", "Stack", "{title}"]]
        }}
      }},''')
    return f'''
resource "aws_cloudwatch_dashboard" "this" {{
  dashboard_name = "{title}-${{var.environment}}"
  dashboard_body = jsonencode({{
    widgets = [{"".join(widgets)}
    ]
  }})
}}
'''


def _versions(rng: random.Random) -> str:
    return f'''
terraform {{
  required_version = ">= 1.{rng.randint(3, 8)}"

  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.{rng.randint(10, 60)}"
    }}
  }}
}}

provider "aws" {{
  region = var.region

  default_tags {{
    tags = {{
      ManagedBy = "terraform"
      Repo      = "platform-monorepo"
    }}
  }}
}}
'''


# ----------------------------------------------------------------------- shared modules

def service_module(rng: random.Random, out: dict[str, str], d: str) -> None:
    sidecar = rng.random() < 0.5
    _w(out, f"{d}/main.tf", f'''
        locals {{
          container_name = var.name
          log_group      = "/ecs/${{var.environment}}/${{var.name}}"
          env_list       = [for k, v in var.environment_variables : {{ name = k, value = v }}]
          containers = concat([
            {{
              name              = local.container_name
              image             = var.image
              essential         = true
              cpu               = var.container_cpu
              memory            = var.container_memory
              memoryReservation = var.memory_reservation
              portMappings      = [{{ containerPort = var.container_port, protocol = "tcp" }}]
              environment       = local.env_list
              healthCheck = {{
                command     = ["CMD-SHELL", "curl -fsS http://localhost:${{var.container_port}}/health || exit 1"]
                interval    = 30
                timeout     = var.health_check_timeout
                retries     = 3
                startPeriod = var.start_period
              }}
              logConfiguration = {{
                logDriver = "awslogs"
                options = {{
                  awslogs-group         = local.log_group
                  awslogs-region        = var.region
                  awslogs-stream-prefix = var.name
                }}
              }}
            }}
          ], {"var.enable_metrics_sidecar ? [local.sidecar] : []" if sidecar else "[]"})
          sidecar = {{
            name              = "metrics"
            image             = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
            essential         = false
            cpu               = 64
            memoryReservation = 128
            command           = ["--config=/etc/ecs/container-insights/otel-task-metrics-config.yaml"]
          }}
        }}

        resource "aws_cloudwatch_log_group" "this" {{
          name              = local.log_group
          retention_in_days = var.log_retention_days
        }}

        resource "aws_ecs_task_definition" "this" {{
          family                   = "${{var.environment}}-${{var.name}}"
          requires_compatibilities = [var.launch_type]
          network_mode             = "awsvpc"
          cpu                      = var.task_cpu
          memory                   = var.task_memory
          execution_role_arn       = aws_iam_role.execution.arn
          task_role_arn            = aws_iam_role.task.arn
          container_definitions    = jsonencode(local.containers)

          runtime_platform {{
            operating_system_family = "LINUX"
            cpu_architecture        = var.cpu_architecture
          }}
        }}

        resource "aws_ecs_service" "this" {{
          name                              = var.name
          cluster                           = var.cluster_arn
          task_definition                   = aws_ecs_task_definition.this.arn
          desired_count                     = var.desired_count
          launch_type                       = var.launch_type
          health_check_grace_period_seconds = var.health_check_grace_period
          enable_execute_command            = var.environment != "prod"
          propagate_tags                    = "SERVICE"

          deployment_circuit_breaker {{
            enable   = true
            rollback = true
          }}

          network_configuration {{
            subnets          = var.subnet_ids
            security_groups  = var.security_group_ids
            assign_public_ip = false
          }}

          load_balancer {{
            target_group_arn = aws_lb_target_group.this.arn
            container_name   = local.container_name
            container_port   = var.container_port
          }}

          lifecycle {{
            ignore_changes = [desired_count]
          }}
        }}

        resource "aws_lb_target_group" "this" {{
          name                 = substr("${{var.environment}}-${{var.name}}", 0, 32)
          port                 = var.container_port
          protocol             = "HTTP"
          target_type          = "ip"
          vpc_id               = var.vpc_id
          deregistration_delay = 30

          health_check {{
            path                = var.health_check_path
            interval            = var.lb_health_check_interval
            timeout             = var.lb_health_check_timeout
            healthy_threshold   = 3
            unhealthy_threshold = 3
            matcher             = "200-399"
          }}
        }}
    ''')
    _w(out, f"{d}/scaling.tf", f'''
        resource "aws_appautoscaling_target" "this" {{
          count              = var.enable_autoscaling ? 1 : 0
          service_namespace  = "ecs"
          resource_id        = "service/${{var.cluster_name}}/${{aws_ecs_service.this.name}}"
          scalable_dimension = "ecs:service:DesiredCount"
          min_capacity       = var.min_capacity
          max_capacity       = var.max_capacity
        }}

        resource "aws_appautoscaling_policy" "cpu" {{
          count              = var.enable_autoscaling ? 1 : 0
          name               = "${{var.name}}-cpu"
          policy_type        = "TargetTrackingScaling"
          service_namespace  = "ecs"
          resource_id        = aws_appautoscaling_target.this[0].resource_id
          scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

          target_tracking_scaling_policy_configuration {{
            target_value       = var.cpu_target
            scale_in_cooldown  = 300
            scale_out_cooldown = 60

            predefined_metric_specification {{
              predefined_metric_type = "ECSServiceAverageCPUUtilization"
            }}
          }}
        }}

        resource "aws_appautoscaling_policy" "memory" {{
          count              = var.enable_autoscaling ? 1 : 0
          name               = "${{var.name}}-memory"
          policy_type        = "TargetTrackingScaling"
          service_namespace  = "ecs"
          resource_id        = aws_appautoscaling_target.this[0].resource_id
          scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

          target_tracking_scaling_policy_configuration {{
            target_value = {rng.choice([70, 75, 80])}

            predefined_metric_specification {{
              predefined_metric_type = "ECSServiceAverageMemoryUtilization"
            }}
          }}
        }}

        resource "aws_cloudwatch_metric_alarm" "cpu_high" {{
          alarm_name          = "${{var.environment}}-${{var.name}}-cpu-high"
          comparison_operator = "GreaterThanOrEqualToThreshold"
          evaluation_periods  = 3
          metric_name         = "CPUUtilization"
          namespace           = "AWS/ECS"
          period              = 60
          statistic           = "Maximum"
          threshold           = 90
          alarm_actions       = var.alarm_topic_arns

          dimensions = {{
            ClusterName = var.cluster_name
            ServiceName = aws_ecs_service.this.name
          }}
        }}
    ''')
    _w(out, f"{d}/iam.tf", '''
        data "aws_iam_policy_document" "assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = ["ecs-tasks.amazonaws.com"]
            }
          }
        }

        resource "aws_iam_role" "execution" {
          name               = "${var.environment}-${var.name}-execution"
          assume_role_policy = data.aws_iam_policy_document.assume.json
        }

        resource "aws_iam_role_policy_attachment" "execution" {
          role       = aws_iam_role.execution.name
          policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        }

        resource "aws_iam_role" "task" {
          name               = "${var.environment}-${var.name}-task"
          assume_role_policy = data.aws_iam_policy_document.assume.json
        }

        data "aws_iam_policy_document" "task" {
          statement {
            sid       = "ReadParameters"
            actions   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
            resources = ["arn:aws:ssm:${var.region}:*:parameter/${var.environment}/${var.name}/*"]
          }
          statement {
            sid       = "Exec"
            actions   = ["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"]
            resources = ["*"]
          }
        }

        resource "aws_iam_role_policy" "task" {
          role   = aws_iam_role.task.id
          policy = data.aws_iam_policy_document.task.json
        }
    ''')
    variables = [
        ("name", "string", "null"), ("environment", "string", '"dev"'),
        ("region", "string", '"eu-west-1"'), ("cluster_arn", "string", "null"),
        ("cluster_name", "string", "null"), ("image", "string", "null"),
        ("launch_type", "string", '"FARGATE"'), ("task_cpu", "number", "512"),
        ("task_memory", "number", "1024"), ("container_cpu", "number", "null"),
        ("container_memory", "number", "null"), ("memory_reservation", "number", "null"),
        ("container_port", "number", "8080"), ("cpu_architecture", "string", '"X86_64"'),
        ("environment_variables", "map(string)", "{}"),
        ("health_check_timeout", "number", "5"), ("start_period", "number", "30"),
        ("health_check_path", "string", '"/health"'),
        ("health_check_grace_period", "number", "60"),
        ("lb_health_check_interval", "number", "30"), ("lb_health_check_timeout", "number", "5"),
        ("desired_count", "number", "2"), ("enable_autoscaling", "bool", "true"),
        ("min_capacity", "number", "2"), ("max_capacity", "number", "10"),
        ("cpu_target", "number", "60"), ("log_retention_days", "number", "30"),
        ("subnet_ids", "list(string)", "[]"), ("security_group_ids", "list(string)", "[]"),
        ("vpc_id", "string", "null"), ("alarm_topic_arns", "list(string)", "[]"),
        ("enable_metrics_sidecar", "bool", "true"),
    ]
    _w(out, f"{d}/variables.tf", _variables(rng, variables))
    _w(out, f"{d}/outputs.tf", '''
        output "service_name" {
          value = aws_ecs_service.this.name
        }

        output "task_definition_arn" {
          value = aws_ecs_task_definition.this.arn
        }

        output "target_group_arn" {
          value = aws_lb_target_group.this.arn
        }

        output "log_group_name" {
          value = aws_cloudwatch_log_group.this.name
        }
    ''')


def naming_module(rng: random.Random, out: dict[str, str], d: str) -> None:
    _w(out, f"{d}/variables.tf", _variables(rng, [
        ("team", "string", '"platform"'), ("app", "string", "null"),
        ("environment", "string", '"dev"'), ("cost_center", "string", '"cc-000"')]))
    _w(out, f"{d}/outputs.tf", '''
        locals {
          short_env = { dev = "d", staging = "s", prod = "p" }
          prefix    = "${var.team}-${var.app}-${lookup(local.short_env, var.environment, "x")}"
          tags = {
            Team        = var.team
            Application = var.app
            Environment = var.environment
            CostCenter  = var.cost_center
          }
        }

        output "prefix" {
          value = local.prefix
        }

        output "tags" {
          value = local.tags
        }
    ''')


def shared_unrelated_modules(rng: random.Random, out: dict[str, str], d: str) -> None:
    _w(out, f"{d}/s3-bucket/main.tf", '''
        resource "aws_s3_bucket" "this" {
          bucket        = var.name
          force_destroy = var.force_destroy
          tags          = var.tags
        }

        resource "aws_s3_bucket_versioning" "this" {
          bucket = aws_s3_bucket.this.id
          versioning_configuration {
            status = var.versioning ? "Enabled" : "Suspended"
          }
        }

        resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
          bucket = aws_s3_bucket.this.id
          rule {
            apply_server_side_encryption_by_default {
              sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
              kms_master_key_id = var.kms_key_arn
            }
          }
        }

        resource "aws_s3_bucket_public_access_block" "this" {
          bucket                  = aws_s3_bucket.this.id
          block_public_acls       = true
          block_public_policy     = true
          ignore_public_acls      = true
          restrict_public_buckets = true
        }

        output "arn" {
          value = aws_s3_bucket.this.arn
        }
    ''')
    _w(out, f"{d}/s3-bucket/variables.tf", _variables(rng, [
        ("name", "string", "null"), ("force_destroy", "bool", "false"),
        ("versioning", "bool", "true"), ("kms_key_arn", "string", "null"),
        ("tags", "map(string)", "{}")]))
    _w(out, f"{d}/security-group/main.tf", '''
        resource "aws_security_group" "this" {
          name_prefix = "${var.name}-"
          vpc_id      = var.vpc_id
          description = "Managed by Terraform: ${var.name}"

          dynamic "ingress" {
            for_each = var.ingress
            content {
              from_port   = ingress.value.port
              to_port     = ingress.value.port
              protocol    = "tcp"
              cidr_blocks = ingress.value.cidrs
            }
          }

          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }

          lifecycle {
            create_before_destroy = true
          }
        }

        output "id" {
          value = aws_security_group.this.id
        }
    ''')
    _w(out, f"{d}/security-group/variables.tf", _variables(rng, [
        ("name", "string", "null"), ("vpc_id", "string", "null"),
        ("ingress", "list(object({ port = number, cidrs = list(string) }))", "[]")]))
    _w(out, f"{d}/iam-role/main.tf", '''
        data "aws_iam_policy_document" "assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = var.services
            }
          }
        }

        resource "aws_iam_role" "this" {
          name                 = var.name
          assume_role_policy   = data.aws_iam_policy_document.assume.json
          max_session_duration = 3600
        }

        resource "aws_iam_role_policy_attachment" "managed" {
          for_each   = toset(var.managed_policy_arns)
          role       = aws_iam_role.this.name
          policy_arn = each.value
        }

        output "arn" {
          value = aws_iam_role.this.arn
        }
    ''')
    _w(out, f"{d}/iam-role/variables.tf", _variables(rng, [
        ("name", "string", "null"), ("services", "list(string)", '["lambda.amazonaws.com"]'),
        ("managed_policy_arns", "list(string)", "[]")]))


# ----------------------------------------------------------------------- roots

def cluster_root(rng: random.Random, out: dict[str, str], d: str, env: str, name: str) -> None:
    insights = rng.choice(['"enhanced"', '"enabled"', '"disabled"', None])
    setting = (f'''
  setting {{
    name  = "containerInsights"
    value = {insights}
  }}
''' if insights else "")
    managed = rng.choice(["ENABLED", "ENABLED", "DISABLED"])
    _w(out, f"{d}/cluster.tf", f'''
resource "aws_ecs_cluster" "this" {{
  name = "${{var.environment}}-{name}"
{setting}
  configuration {{
    execute_command_configuration {{
      logging = "OVERRIDE"
      log_configuration {{
        cloud_watch_log_group_name = aws_cloudwatch_log_group.exec.name
      }}
    }}
  }}
}}

resource "aws_cloudwatch_log_group" "exec" {{
  name              = "/ecs/${{var.environment}}/{name}/exec"
  retention_in_days = 14
}}

resource "aws_ecs_cluster_capacity_providers" "this" {{
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT", aws_ecs_capacity_provider.ec2.name]

  default_capacity_provider_strategy {{
    capacity_provider = "FARGATE"
    base              = 1
    weight            = {rng.randint(1, 4)}
  }}
}}
''')
    _w(out, f"{d}/capacity.tf", f'''
data "aws_ssm_parameter" "ami" {{
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}}

resource "aws_launch_template" "ec2" {{
  name_prefix   = "${{var.environment}}-{name}-"
  image_id      = data.aws_ssm_parameter.ami.value
  instance_type = var.instance_type
  user_data = base64encode(<<-EOT
    #!/bin/bash
    echo ECS_CLUSTER=${{var.environment}}-{name} >> /etc/ecs/ecs.config
    echo ECS_ENABLE_CONTAINER_METADATA=true >> /etc/ecs/ecs.config
  EOT
  )

  iam_instance_profile {{
    name = var.instance_profile_name
  }}
}}

resource "aws_autoscaling_group" "ec2" {{
  name_prefix           = "${{var.environment}}-{name}-"
  min_size              = var.min_size
  max_size              = var.max_size
  vpc_zone_identifier   = var.subnet_ids
  protect_from_scale_in = true

  launch_template {{
    id      = aws_launch_template.ec2.id
    version = "$Latest"
  }}

  tag {{
    key                 = "AmazonECSManaged"
    value               = true
    propagate_at_launch = true
  }}
}}

resource "aws_ecs_capacity_provider" "ec2" {{
  name = "${{var.environment}}-{name}-ec2"

  auto_scaling_group_provider {{
    auto_scaling_group_arn         = aws_autoscaling_group.ec2.arn
    managed_termination_protection = "ENABLED"

    managed_scaling {{
      status                    = "{managed}"
      target_capacity           = {rng.choice([80, 90, 100])}
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 10
    }}
  }}
}}
''')
    _w(out, f"{d}/variables.tf", _variables(rng, [
        ("environment", "string", f'"{env}"'), ("region", "string", '"eu-west-1"'),
        ("instance_type", "string", f'"{rng.choice(["m6i.large", "c6i.xlarge", "r6g.large"])}"'),
        ("instance_profile_name", "string", '"ecs-instance"'),
        ("min_size", "number", "1"), ("max_size", "number", str(rng.randint(4, 40))),
        ("subnet_ids", "list(string)", "[]")]))
    _w(out, f"{d}/outputs.tf", '''
        output "cluster_arn" {
          value = aws_ecs_cluster.this.arn
        }

        output "cluster_name" {
          value = aws_ecs_cluster.this.name
        }

        output "capacity_provider" {
          value = aws_ecs_capacity_provider.ec2.name
        }
    ''')
    _w(out, f"{d}/versions.tf", _versions(rng))


TEMPLATE = '''[
  {
    "name": "${name}",
    "image": "${image}",
    "essential": true,
    "memory": ${memory},
    "cpu": ${cpu},
    "portMappings": [{ "containerPort": ${port}, "protocol": "tcp" }],
    "environment": [
%{ for key, value in environment ~}
      { "name": "${key}", "value": "${value}" },
%{ endfor ~}
      { "name": "AWS_REGION", "value": "${region}" }
    ],
    "healthCheck": {
      "command": ["CMD-SHELL", "curl -fsS http://localhost:${port}/health || exit 1"],
      "interval": 30,
      "timeout": ${timeout},
      "retries": 3,
      "startPeriod": 45
    },
    "logConfiguration": {
      "logDriver": "awslogs",
      "options": {
        "awslogs-group": "${log_group}",
        "awslogs-region": "${region}",
        "awslogs-stream-prefix": "${name}"
      }
    }
  }
]
'''


def service_root(rng: random.Random, out: dict[str, str], d: str, module_dir: str, team: str,
                 app: str, env: str, style: str) -> None:
    cpu, mem = rng.choice(FARGATE)
    port = rng.choice([80, 3000, 8000, 8080, 9090])
    rel = os.path.relpath(module_dir, d)
    naming = os.path.relpath("modules/naming", d)
    env_vars = "\n".join(f'    {k:<14}= "{v}"' for k, v in
                         [("APP_ENV", env), ("LOG_LEVEL", rng.choice(["info", "warn", "debug"])),
                          ("FEATURE_FLAGS", "${var.feature_flags}"),
                          ("QUEUE_URL", "${var.queue_url}")][: rng.randint(2, 4)])
    naming_call = f'''
module "naming" {{
  source      = "{naming}"
  team        = "{team}"
  app         = "{app}"
  environment = var.environment
}}
'''
    if style == "module":
        body = f'''{naming_call}
module "service" {{
  source = "{rel}"

  name         = module.naming.prefix
  environment  = var.environment
  region       = var.region
  cluster_arn  = data.aws_ecs_cluster.this.arn
  cluster_name = data.aws_ecs_cluster.this.cluster_name
  image        = "${{var.registry}}/{team}/{app}:${{var.image_tag}}"

  task_cpu           = {cpu}
  task_memory        = {mem}
  container_cpu      = {cpu - 64}
  memory_reservation = {mem // 2}
  container_port     = {port}
  start_period       = {rng.choice([10, 30, 60, 90])}
  health_check_grace_period = {rng.choice([0, 30, 60, 120])}

  environment_variables = local.environment_variables

  desired_count = var.desired_count
  min_capacity  = var.desired_count
  max_capacity  = var.desired_count * {rng.randint(2, 6)}

  subnet_ids         = var.private_subnet_ids
  security_group_ids = [module.sg.id]
  vpc_id             = var.vpc_id
  alarm_topic_arns   = [var.alarm_topic_arn]
}}
'''
    else:
        if style == "templatefile":
            out[f"{d}/templates/{app}.json.tftpl"] = TEMPLATE
            defs = f'''templatefile("${{path.module}}/templates/{app}.json.tftpl", {{
    name        = "{app}"
    image       = "${{var.registry}}/{team}/{app}:${{var.image_tag}}"
    memory      = {mem}
    cpu         = {cpu}
    port        = {port}
    timeout     = {rng.choice([2, 5, 10])}
    region      = var.region
    log_group   = aws_cloudwatch_log_group.this.name
    environment = local.environment_variables
  }})'''
        else:
            defs = f'''<<-EOF
    [
      {{
        "name": "{app}",
        "image": "${{var.registry}}/{team}/{app}:${{var.image_tag}}",
        "essential": true,
        "memoryReservation": {mem // 2},
        "portMappings": [{{ "containerPort": {port} }}],
        "logConfiguration": {{
          "logDriver": "awslogs",
          "options": {{ "awslogs-group": "${{aws_cloudwatch_log_group.this.name}}",
                       "awslogs-region": "${{var.region}}" }}
        }}
      }}
    ]
  EOF'''
        body = f'''{naming_call}
resource "aws_cloudwatch_log_group" "this" {{
  name              = "/ecs/${{var.environment}}/{app}"
  retention_in_days = 30
}}

resource "aws_ecs_task_definition" "this" {{
  family                   = module.naming.prefix
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = {cpu}
  memory                   = {mem}
  execution_role_arn       = var.execution_role_arn
  container_definitions    = {defs}
}}

resource "aws_ecs_service" "this" {{
  name            = "{app}"
  cluster         = data.aws_ecs_cluster.this.arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {{
    subnets         = var.private_subnet_ids
    security_groups = [module.sg.id]
  }}
}}
'''
    _w(out, f"{d}/main.tf", f'''
data "aws_ecs_cluster" "this" {{
  cluster_name = "${{var.environment}}-{rng.choice(["apps", "jobs", "edge"])}"
}}
{body}
module "sg" {{
  source = "{os.path.relpath("modules/shared/security-group", d)}"
  name   = "{team}-{app}-${{var.environment}}"
  vpc_id = var.vpc_id
  ingress = [{{ port = {port}, cidrs = ["10.0.0.0/8"] }}]
}}

resource "aws_ssm_parameter" "config" {{
  for_each = {{
    "log-level"     = local.environment_variables["LOG_LEVEL"]
    "owner"         = local.owners[0]
    "desired-count" = tostring(var.desired_count)
  }}
  name  = "/${{var.environment}}/{app}/${{each.key}}"
  type  = "String"
  value = each.value
}}

resource "aws_lb_listener_rule" "this" {{
  listener_arn = var.listener_arn
  priority     = {rng.randint(1, 50000)}

  action {{
    type             = "forward"
    target_group_arn = var.target_group_arn
  }}

  condition {{
    host_header {{
      values = ["{app}.${{var.environment}}.{team}.example.com"]
    }}
  }}
}}

resource "aws_route53_record" "this" {{
  zone_id = var.zone_id
  name    = "{app}.${{var.environment}}.{team}.example.com"
  type    = "CNAME"
  ttl     = 300
  records = [var.alb_dns_name]
}}
''')
    _w(out, f"{d}/monitoring.tf", _dashboard(rng, f"{team}-{app}", [
        ("AWS/ECS", "CPUUtilization"), ("AWS/ECS", "MemoryUtilization"),
        ("AWS/ApplicationELB", "TargetResponseTime"), ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("ECS/ContainerInsights", "RunningTaskCount")][: rng.randint(2, 5)]) + f'''
resource "aws_cloudwatch_metric_alarm" "errors" {{
  alarm_name          = "{team}-{app}-${{var.environment}}-5xx"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  metric_name         = "HTTPCode_Target_5XX_Count"
  namespace           = "AWS/ApplicationELB"
  period              = 60
  statistic           = "Sum"
  threshold           = {rng.choice([5, 10, 50])}
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}}
''')
    _w(out, f"{d}/locals.tf", f'''
locals {{
  environment_variables = {{
{env_vars}
  }}
  owners = ["{team}@example.com"]
  is_production = var.environment == "prod"
}}
''')
    _w(out, f"{d}/variables.tf", _variables(rng, [
        ("environment", "string", f'"{env}"'), ("region", "string", '"eu-west-1"'),
        ("registry", "string", '"123456789012.dkr.ecr.eu-west-1.amazonaws.com"'),
        ("image_tag", "string", f'"{rng.getrandbits(28):07x}"'),
        ("desired_count", "number", str(rng.choice([1, 2, 3, 4]))),
        ("private_subnet_ids", "list(string)", '["subnet-0a1b2c3d", "subnet-4e5f6a7b"]'),
        ("vpc_id", "string", '"vpc-0123456789abcdef0"'),
        ("alarm_topic_arn", "string", '"arn:aws:sns:eu-west-1:123456789012:alarms"'),
        ("execution_role_arn", "string", '"arn:aws:iam::123456789012:role/ecs-execution"'),
        ("feature_flags", "string", '"checkout-v2,new-search"'),
        ("queue_url", "string", '""'),
        ("listener_arn", "string", '"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/0f1e2d3c/4b5a6978"'),
        ("target_group_arn", "string", "null"), ("zone_id", "string", '"Z0123456789ABCDEFGHIJ"'),
        ("alb_dns_name", "string", '"edge-123456789.eu-west-1.elb.amazonaws.com"')]))
    _w(out, f"{d}/outputs.tf", '''
output "name" {
  value = module.naming.prefix
}

output "security_group_id" {
  value = module.sg.id
}
''' + ('''
output "task_definition" {
  value = module.service.task_definition_arn
}
''' if style == "module" else ""))
    _w(out, f"{d}/versions.tf", _versions(rng))


def unrelated_root(rng: random.Random, out: dict[str, str], d: str, kind: str, n: int) -> None:
    """An unrelated root of `n` (1..5) files."""
    name = os.path.basename(d)
    blocks = {
        "network": f'''
resource "aws_vpc" "this" {{
  cidr_block           = "10.{rng.randint(0, 250)}.0.0/16"
  enable_dns_hostnames = true
  tags                 = {{ Name = "{name}" }}
}}

resource "aws_subnet" "private" {{
  count             = 3
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 4, count.index)
  availability_zone = element(var.azs, count.index)
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.this.id
  route {{
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this.id
  }}
}}

resource "aws_nat_gateway" "this" {{
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.private[0].id
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
}}
''',
        "storage": f'''
module "bucket" {{
  source      = "{os.path.relpath("modules/shared/s3-bucket", d)}"
  name        = "{name}-${{var.environment}}"
  versioning  = true
  kms_key_arn = aws_kms_key.this.arn
}}

resource "aws_kms_key" "this" {{
  description             = "{name} bucket key"
  deletion_window_in_days = 30
  enable_key_rotation     = true
}}
''',
        "data": f'''
resource "aws_db_instance" "this" {{
  identifier              = "{name}-${{var.environment}}"
  engine                  = "postgres"
  engine_version          = "16.{rng.randint(1, 4)}"
  instance_class          = "db.r6g.large"
  allocated_storage       = {rng.choice([50, 100, 200])}
  storage_encrypted       = true
  backup_retention_period = 7
  skip_final_snapshot     = var.environment != "prod"
  db_subnet_group_name    = aws_db_subnet_group.this.name
}}

resource "aws_db_subnet_group" "this" {{
  name       = "{name}"
  subnet_ids = var.subnet_ids
}}

resource "aws_dynamodb_table" "locks" {{
  name         = "{name}-locks"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"
  attribute {{
    name = "LockID"
    type = "S"
  }}
}}
''',
        "compute": f'''
module "role" {{
  source   = "{os.path.relpath("modules/shared/iam-role", d)}"
  name     = "{name}-lambda"
  services = ["lambda.amazonaws.com"]
}}

resource "aws_lambda_function" "this" {{
  function_name = "{name}"
  role          = module.role.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "${{path.module}}/build/{name}.zip"
  timeout       = {rng.choice([10, 30, 60])}
  memory_size   = {rng.choice([128, 256, 512])}
  environment {{
    variables = {{
      STAGE = var.environment
    }}
  }}
}}
''',
        "security": f'''
resource "aws_iam_policy" "read_only" {{
  name = "{name}-read-only"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::{name}-*", "arn:aws:s3:::{name}-*/*"]
    }}]
  }})
}}

resource "aws_guardduty_detector" "this" {{
  enable = true
}}
''',
        "dns": f'''
resource "aws_route53_zone" "this" {{
  name = "{name}.example.com"
}}

resource "aws_route53_record" "www" {{
  zone_id = aws_route53_zone.this.zone_id
  name    = "www"
  type    = "CNAME"
  ttl     = 300
  records = ["{name}.cdn.example.net"]
}}
''',
        "messaging": f'''
resource "aws_sqs_queue" "dlq" {{
  name                      = "{name}-dlq"
  message_retention_seconds = 1209600
}}

resource "aws_sqs_queue" "this" {{
  name                       = "{name}"
  visibility_timeout_seconds = {rng.choice([30, 60, 300])}
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  }})
}}

resource "aws_sns_topic" "this" {{
  name = "{name}-events"
}}

resource "aws_sns_topic_subscription" "this" {{
  topic_arn = aws_sns_topic.this.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.this.arn
}}
''',
    }
    _w(out, f"{d}/main.tf", blocks[kind])
    extra = [
        ("variables.tf", _variables(rng, [
            ("environment", "string", '"dev"'), ("region", "string", '"eu-west-1"'),
            ("azs", "list(string)", '["eu-west-1a", "eu-west-1b", "eu-west-1c"]'),
            ("subnet_ids", "list(string)", "[]")])),
        ("versions.tf", _versions(rng)),
        ("outputs.tf", f'''
output "name" {{
  description = "Name of the {kind} stack"
  value       = "{name}"
}}
'''),
    ]
    metrics = {"network": "NetworkIn", "storage": "BucketSizeBytes", "data": "CPUUtilization",
               "compute": "Duration", "security": "FindingsCount", "dns": "HealthCheckStatus",
               "messaging": "ApproximateAgeOfOldestMessage"}
    monitoring = _dashboard(rng, name, [(f"AWS/{kind}", metrics[kind]), (f"AWS/{kind}", "Errors")])
    if rng.random() < 0.3:  # some stacks alarm on their own metrics: not skippable by type
        monitoring += f'''
resource "aws_cloudwatch_metric_alarm" "{kind}" {{
  alarm_name          = "{name}-${{var.environment}}-{metrics[kind]}"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  metric_name         = "{metrics[kind]}"
  namespace           = "AWS/{kind}"
  period              = 300
  statistic           = "Maximum"
  threshold           = {rng.randint(10, 1000)}
}}
'''
    extra.insert(1, ("monitoring.tf", monitoring))
    for fname, text in extra[: n - 1]:
        _w(out, f"{d}/{fname}", text)


# ----------------------------------------------------------------------- the corpus

def generate(n_files: int, seed: int = 1) -> dict[str, str]:
    """Relative path -> text, with exactly `n_files` .tf files (n_files >= 1)."""
    rng = random.Random(seed)
    out: dict[str, str] = {}

    def count() -> int:
        return sum(1 for p in out if p.endswith(".tf"))

    naming_module(rng, out, "modules/naming")
    shared_unrelated_modules(rng, out, "modules/shared")
    n_variants = max(1, n_files // 400)
    module_dirs = [f"modules/ecs-service-v{i + 1}" for i in range(n_variants)]
    for d in module_dirs:
        service_module(rng, out, d)

    unit = 0
    while count() < n_files:
        left = n_files - count()
        roll = rng.random()
        if left < 6 or roll < 0.40:
            kind = AREAS[unit % len(AREAS)]
            unrelated_root(rng, out, f"infra/{kind}/{kind}-{unit:04d}", kind, min(5, left))
        elif roll < 0.48:
            env = ENVS[unit % 3]
            cluster_root(rng, out, f"clusters/{env}-c{unit:04d}", env, f"c{unit:04d}")
        else:
            team, app, env = rng.choice(TEAMS), rng.choice(APPS), ENVS[unit % 3]
            style = rng.choices(["module", "templatefile", "heredoc"], [6, 3, 1])[0]
            service_root(rng, out, f"services/{team}/{app}-{env}-{unit:04d}",
                         rng.choice(module_dirs), team, app, env, style)
        unit += 1
    if count() > n_files:  # only when n_files is smaller than the shared modules
        for path in sorted(out, reverse=True):
            if count() == n_files:
                break
            if path.endswith(".tf"):
                del out[path]
    return out


def write(root: str, files: dict[str, str]) -> None:
    for rel, text in sorted(files.items()):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output directory (created; must not hold a corpus)")
    parser.add_argument("--files", type=int, default=2000, help=".tf files (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    files = generate(args.files, args.seed)
    write(args.out, files)
    tf = [p for p in files if p.endswith(".tf")]
    size = sum(len(files[p].encode()) for p in tf)
    print(f"{len(tf)} .tf files ({size // 1024} KB) and {len(files) - len(tf)} templates "
          f"in {args.out}")


if __name__ == "__main__":
    main()
