# Production values. Anything not set here keeps the default from variables.tf.
environment           = "prod"
backend_instance_type = "c6i.large"

image_tags = {
  api     = "1.42.0"
  backend = "2024.11.3"
  reports = "3.8.1"
  search  = "0.19.4"
}
