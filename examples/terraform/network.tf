resource "aws_security_group" "alb" {
  name        = "${local.name_prefix}-alb"
  description = "Public and internal load balancers"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "HTTP (redirected to HTTPS, and the internal backend listener)"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "services" {
  name        = "${local.name_prefix}-ecs-services"
  description = "ECS tasks (awsvpc)"
  vpc_id      = var.vpc_id

  ingress {
    description     = "From the load balancers"
    from_port       = 8080
    to_port         = 9200
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  ingress {
    description = "Prometheus scrapes the ecs-exporter sidecars"
    from_port   = 9779
    to_port     = 9779
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "ecs_instances" {
  name        = "${local.name_prefix}-ecs-instances"
  description = "Container instances of the backend cluster"
  vpc_id      = var.vpc_id

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_sqs_queue" "reports" {
  name                       = local.reports_queue_name
  visibility_timeout_seconds = 900
  message_retention_seconds  = 345600
}
