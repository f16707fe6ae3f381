# A team's Terraform configuration of Tocsin through the AWS provider's custom endpoints:
# every aws_ssmcontacts_* and aws_ssmincidents_* resource type. The test
# services/tocsin/tests/it/terraform.rs applies it (revision 1), re-plans expecting no drift,
# applies revision 2 (an update of each kind of resource), re-plans again, and destroys it.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" {
  type        = string
  description = "Tocsin's API, e.g. http://127.0.0.1:8080"
}
variable "access_key" { type = string }
variable "secret_key" {
  type      = string
  sensitive = true
}
variable "region" {
  type    = string
  default = "us-east-1"
}
variable "account_id" {
  type    = string
  default = "123456789012"
}
variable "revision" {
  type        = number
  default     = 1
  description = "1: the first configuration; 2: the same resources, each changed"
}

locals {
  v2 = var.revision == 2
}

provider "aws" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key
  # Tocsin serves ssm-contacts and ssm-incidents only: no STS, no EC2 metadata, no region list.
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ssmcontacts  = var.endpoint
    ssmincidents = var.endpoint
  }
}

resource "aws_ssmincidents_replication_set" "this" {
  region {
    name = var.region
  }
  tags = local.v2 ? { team = "sre", tier = "1" } : { team = "sre" }
}

resource "aws_ssmcontacts_contact" "alice" {
  alias        = "tf-alice"
  display_name = "Alice Terraform"
  type         = "PERSONAL"
  tags         = local.v2 ? { team = "sre", tier = "1" } : { team = "sre" }
}

resource "aws_ssmcontacts_contact" "bob" {
  alias        = "tf-bob"
  display_name = local.v2 ? "Bob Updated" : "Bob Terraform"
  type         = "PERSONAL"
}

resource "aws_ssmcontacts_contact_channel" "alice_email" {
  contact_id = aws_ssmcontacts_contact.alice.arn
  name       = "alice-email"
  type       = "EMAIL"
  delivery_address {
    simple_address = local.v2 ? "alice@example.org" : "alice@example.com"
  }
}

resource "aws_ssmcontacts_contact_channel" "bob_sms" {
  contact_id = aws_ssmcontacts_contact.bob.arn
  name       = "bob-sms"
  type       = "SMS"
  delivery_address {
    simple_address = "+15555550123"
  }
}

resource "aws_ssmcontacts_plan" "alice" {
  contact_id = aws_ssmcontacts_contact.alice.arn
  stage {
    duration_in_minutes = 0
    target {
      channel_target_info {
        contact_channel_id        = aws_ssmcontacts_contact_channel.alice_email.arn
        retry_interval_in_minutes = 5
      }
    }
  }
}

resource "aws_ssmcontacts_contact" "escalation" {
  alias        = "tf-escalation"
  display_name = "SRE escalation"
  type         = "ESCALATION"
}

resource "aws_ssmcontacts_plan" "escalation" {
  contact_id = aws_ssmcontacts_contact.escalation.arn
  stage {
    duration_in_minutes = 5
    target {
      contact_target_info {
        contact_id   = aws_ssmcontacts_contact.alice.arn
        is_essential = true
      }
    }
  }
  stage {
    duration_in_minutes = local.v2 ? 15 : 10
    target {
      contact_target_info {
        contact_id   = aws_ssmcontacts_contact.bob.arn
        is_essential = false
      }
    }
  }
}

resource "aws_ssmcontacts_rotation" "weekly" {
  contact_ids  = [aws_ssmcontacts_contact.alice.arn, aws_ssmcontacts_contact.bob.arn]
  name         = "tf-weekly"
  time_zone_id = "Europe/London"
  start_time   = "2026-01-05T09:00:00Z"
  recurrence {
    number_of_on_calls    = 1
    recurrence_multiplier = 1
    weekly_settings {
      day_of_week = local.v2 ? "TUE" : "MON"
      hand_off_time {
        hour_of_day    = 9
        minute_of_hour = 0
      }
    }
  }
  tags       = local.v2 ? { team = "sre", tier = "1" } : { team = "sre" }
  depends_on = [aws_ssmcontacts_plan.alice]
}

resource "aws_ssmincidents_response_plan" "critical" {
  name         = "tf-critical"
  display_name = "Critical service outage"
  chat_channel = ["arn:aws:sns:${var.region}:${var.account_id}:tf-chat"]
  engagements  = [aws_ssmcontacts_contact.escalation.arn]
  incident_template {
    title         = local.v2 ? "Service outage (updated)" : "Service outage"
    impact        = 1
    summary       = "The service is down."
    dedupe_string = "tf-outage"
    incident_tags = { severity = "critical" }
    notification_target {
      sns_topic_arn = "arn:aws:sns:${var.region}:${var.account_id}:tf-notify"
    }
  }
  action {
    ssm_automation {
      document_name    = "AWSIncidents-CriticalIncidentRunbookTemplate"
      document_version = "$DEFAULT"
      role_arn         = "arn:aws:iam::${var.account_id}:role/tf-runbook"
      target_account   = "RESPONSE_PLAN_OWNER_ACCOUNT"
      parameter {
        name   = "Environment"
        values = ["production"]
      }
      dynamic_parameters = { IncidentArn = "INVOLVED_RESOURCES" }
    }
  }
  tags       = local.v2 ? { team = "sre", tier = "1" } : { team = "sre" }
  depends_on = [aws_ssmincidents_replication_set.this]
}
