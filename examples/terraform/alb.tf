# -----------------------------------------------------------------------------------------
# Public ALB: api and search.
# -----------------------------------------------------------------------------------------

resource "aws_lb" "public" {
  name                       = "${local.name_prefix}-public"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  idle_timeout               = 60
  drop_invalid_header_fields = true
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.public.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.public.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_target_group" "api" {
  name                 = "${local.name_prefix}-api"
  port                 = 8080
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group" "search" {
  name                 = "${local.name_prefix}-search"
  port                 = 9200
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 60

  # Thresholds left to the provider defaults (3 healthy / 3 unhealthy).
  health_check {
    path     = "/_health"
    interval = 10
    timeout  = 5
  }
}

resource "aws_lb_listener_rule" "routes" {
  for_each = {
    api = {
      priority         = 100
      paths            = ["/api/*"]
      target_group_arn = aws_lb_target_group.api.arn
    }
    search = {
      priority         = 110
      paths            = ["/search", "/search/*"]
      target_group_arn = aws_lb_target_group.search.arn
    }
  }

  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = each.value.target_group_arn
  }

  condition {
    path_pattern {
      values = each.value.paths
    }
  }
}

# -----------------------------------------------------------------------------------------
# Internal ALB: backend (called by api over the VPC).
# -----------------------------------------------------------------------------------------

resource "aws_lb" "internal" {
  name               = "${local.name_prefix}-internal"
  load_balancer_type = "application"
  internal           = true
  security_groups    = [aws_security_group.alb.id]
  subnets            = var.private_subnet_ids
}

# No health_check block: AWS defaults apply (path "/", interval 30 s, timeout 5 s,
# 5 healthy / 2 unhealthy).
resource "aws_lb_target_group" "backend" {
  name        = "${local.name_prefix}-backend"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
}

resource "aws_lb_listener" "internal_http" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.backend.arn
  }
}
