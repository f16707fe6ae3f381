//! CloudWatch alarm state changes, as EventBridge delivers them (`source: aws.cloudwatch`,
//! `detail-type: CloudWatch Alarm State Change`; CloudWatch User Guide, "Alarm events and
//! EventBridge"), and the normalisation shared with the SNS route.
//!
//! - `ALARM` triggers; `OK` and `INSUFFICIENT_DATA` are state changes (`OK` = recovered).
//! - The alarm ARN is the trigger ARN and the automatic dedupe key: AWS merges repeated
//!   notifications of one alarm into its open incident.
//! - Related items: the alarm's metrics as one `METRIC` item (`metricDefinition` is the compact
//!   JSON of `configuration.metrics`), then the resources its metric dimensions name, as
//!   `INVOLVED_RESOURCE` ARNs where the ARN is derivable from the dimension alone:
//!
//! | namespace | dimension | ARN |
//! |---|---|---|
//! | `AWS/EC2` (any namespace if the value starts `i-`) | `InstanceId` | `ec2:…:instance/<v>` |
//! | `AWS/EBS` | `VolumeId` | `ec2:…:volume/<v>` |
//! | `AWS/Lambda` | `FunctionName` | `lambda:…:function:<v>` |
//! | `AWS/SQS` | `QueueName` | `sqs:…:<v>` |
//! | `AWS/SNS` | `TopicName` | `sns:…:<v>` |
//! | `AWS/DynamoDB` | `TableName` | `dynamodb:…:table/<v>` |
//! | `AWS/RDS` | `DBInstanceIdentifier` / `DBClusterIdentifier` | `rds:…:db:<v>` / `rds:…:cluster:<v>` |
//! | `AWS/S3` | `BucketName` | `s3:::<v>` |
//! | `AWS/ApplicationELB`, `AWS/NetworkELB`, `AWS/GatewayELB` | `LoadBalancer` / `TargetGroup` | `elasticloadbalancing:…:loadbalancer/<v>` / `…:<v>` |
//! | `AWS/ELB` | `LoadBalancerName` | `elasticloadbalancing:…:loadbalancer/<v>` |
//! | `AWS/ECS` | `ClusterName` (+ `ServiceName`) | `ecs:…:cluster/<c>` (`ecs:…:service/<c>/<s>`) |
//! | `AWS/Kinesis` | `StreamName` | `kinesis:…:stream/<v>` |
//! | `AWS/ElastiCache` | `CacheClusterId` | `elasticache:…:cluster:<v>` |
//! | `AWS/NATGateway` | `NatGatewayId` | `ec2:…:natgateway/<v>` |
//! | `AWS/EFS` | `FileSystemId` | `elasticfilesystem:…:file-system/<v>` |
//! | any | any value that is itself an ARN (e.g. `StateMachineArn`) | the value |
//!
//! `…` is `<region>:<account>` of the alarm (from the event, else the alarm ARN, else the
//! deployment), in the partition of the region. Auto Scaling groups, API Gateway APIs and other
//! resources whose ARNs embed ids the metric does not carry are not derived.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tocsin_proto::arn::Arn;
use tocsin_proto::records::{ItemValue, RelatedItem, TriggerDetails};

use super::json::{self, Reader};
use super::{Action, CLOUDWATCH_SOURCE, Format, FormatError, Normalized, ParseCtx, PlanRef};

/// `detail-type` of CloudWatch alarm state change events.
pub(super) const DETAIL_TYPE: &str = "CloudWatch Alarm State Change";
/// Alarm states.
pub(super) const STATES: &[&str] = &["ALARM", "OK", "INSUFFICIENT_DATA"];

/// Whether an EventBridge event is a CloudWatch alarm state change.
pub(super) fn is_alarm_event(event: &Value) -> bool {
    json::str_at(event, "source") == Some(CLOUDWATCH_SOURCE)
        && json::str_at(event, "detail-type") == Some(DETAIL_TYPE)
}

pub(super) fn parse(event: Value, ctx: &ParseCtx) -> Result<Normalized, FormatError> {
    let mut r = Reader::new(&event);
    let source = r.required("source");
    r.check(
        source.is_none_or(|s| s == CLOUDWATCH_SOURCE),
        "source",
        format!("must be {CLOUDWATCH_SOURCE:?}"),
    );
    let detail_type = r.required("detail-type");
    r.check(
        detail_type.is_none_or(|d| d == DETAIL_TYPE),
        "detail-type",
        format!("must be {DETAIL_TYPE:?}"),
    );
    let name = r.required("detail.alarmName");
    let state = r.one_of("detail.state.value", STATES);
    let region = r.optional("region");
    let account = r.optional("account");
    r.finish(Format::CloudWatch)?;
    // `finish` refused the document if either was missing.
    let (Some(name), Some(state)) = (name, state) else {
        return Err(json::schema_error(Format::CloudWatch, "detail", "required"));
    };
    let named_arn = json::get(&event, "resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|a| a.contains(":alarm:"));
    let place = Place::of(named_arn, region, account, ctx);
    let timestamp = json::str_at(&event, "detail.state.timestamp")
        .and_then(json::timestamp)
        .or_else(|| json::str_at(&event, "time").and_then(json::timestamp))
        .unwrap_or(ctx.received_at);
    let metrics = json::get(&event, "detail.configuration.metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let alarm = Alarm {
        name: name.to_string(),
        state: state.to_string(),
        arn: place.alarm_arn(named_arn, name),
        timestamp,
        metrics,
        place,
    };
    Ok(alarm.normalize(Format::CloudWatch, event))
}

/// Region, account and partition of an alarm's resources.
pub(super) struct Place {
    region: String,
    account: String,
}

impl Place {
    /// From the payload's own region and account when valid, else from the alarm ARN, else
    /// the deployment's.
    pub(super) fn of(
        alarm_arn: Option<&str>,
        region: Option<&str>,
        account: Option<&str>,
        ctx: &ParseCtx,
    ) -> Self {
        let parsed = alarm_arn.and_then(|a| Arn::parse(a).ok());
        let valid_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
        let valid_region = |r: &str| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let arn_region = parsed.as_ref().map(|a| a.region.as_str());
        let arn_account = parsed.as_ref().map(|a| a.account.as_str());
        let region = [region, arn_region]
            .into_iter()
            .flatten()
            .find(|r| valid_region(r));
        let account = [account, arn_account]
            .into_iter()
            .flatten()
            .find(|a| valid_account(a));
        Self {
            region: region.map_or_else(|| ctx.region.clone(), str::to_string),
            account: account.map_or_else(|| ctx.account.clone(), str::to_string),
        }
    }

    fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The given alarm ARN when it parses, else one built from the name.
    pub(super) fn alarm_arn(&self, given: Option<&str>, name: &str) -> String {
        match given.filter(|a| Arn::parse(a).is_ok()) {
            Some(arn) => arn.to_string(),
            None => self.arn("cloudwatch", &format!("alarm:{name}")),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        let (p, r, a) = (self.partition(), &self.region, &self.account);
        format!("arn:{p}:{service}:{r}:{a}:{resource}")
    }
}

/// A CloudWatch alarm notification, whichever route it came by.
pub(super) struct Alarm {
    pub(super) name: String,
    pub(super) state: String,
    pub(super) arn: String,
    pub(super) timestamp: DateTime<Utc>,
    /// `configuration.metrics` in the EventBridge shape.
    pub(super) metrics: Vec<Value>,
    pub(super) place: Place,
}

impl Alarm {
    pub(super) fn normalize(self, format: Format, event: Value) -> Normalized {
        let action = if self.state == "ALARM" {
            Action::Trigger
        } else {
            Action::StateChange {
                recovered: self.state == "OK",
                state: self.state.clone(),
            }
        };
        Normalized {
            format,
            action,
            plan: PlanRef::None,
            related_items: self.related_items(),
            trigger: TriggerDetails {
                source: CLOUDWATCH_SOURCE.into(),
                timestamp: self.timestamp,
                trigger_arn: Some(self.arn.clone()),
                raw_data: Some(json::raw_data(&event)),
            },
            title: self.name,
            impact: None,
            dedupe: None,
            auto_dedupe: Some(json::dedupe("cloudwatch", &self.arn)),
            client_token: None,
            event,
        }
    }

    fn related_items(&self) -> Vec<RelatedItem> {
        let mut items = Vec::new();
        if !self.metrics.is_empty() {
            let value = ItemValue {
                metric_definition: Some(Value::Array(self.metrics.clone()).to_string()),
                ..ItemValue::default()
            };
            json::push_item(
                &mut items,
                Some(json::item("METRIC", value, Some(&self.name))),
            );
        }
        for metric in &self.metrics {
            let namespace = json::str_at(metric, "metricStat.metric.namespace").unwrap_or("");
            let Some(dims) =
                json::get(metric, "metricStat.metric.dimensions").and_then(Value::as_object)
            else {
                continue;
            };
            for (name, value) in dims {
                let Some(value) = value.as_str() else {
                    continue;
                };
                let arn = self.dimension_arn(namespace, name, value, dims.get("ServiceName"));
                let title = format!("{name}: {value}");
                json::push_item(
                    &mut items,
                    arn.and_then(|a| json::arn_item(&a, Some(&title))),
                );
            }
        }
        items
    }

    fn dimension_arn(
        &self,
        namespace: &str,
        name: &str,
        v: &str,
        ecs_service: Option<&Value>,
    ) -> Option<String> {
        if v.starts_with("arn:") {
            return Some(v.to_string());
        }
        let p = &self.place;
        let arn = match (namespace, name) {
            ("AWS/EC2", "InstanceId") => p.arn("ec2", &format!("instance/{v}")),
            (_, "InstanceId") if v.starts_with("i-") => p.arn("ec2", &format!("instance/{v}")),
            ("AWS/EBS", "VolumeId") => p.arn("ec2", &format!("volume/{v}")),
            ("AWS/Lambda", "FunctionName") => p.arn("lambda", &format!("function:{v}")),
            ("AWS/SQS", "QueueName") => p.arn("sqs", v),
            ("AWS/SNS", "TopicName") => p.arn("sns", v),
            ("AWS/DynamoDB", "TableName") => p.arn("dynamodb", &format!("table/{v}")),
            ("AWS/RDS", "DBInstanceIdentifier") => p.arn("rds", &format!("db:{v}")),
            ("AWS/RDS", "DBClusterIdentifier") => p.arn("rds", &format!("cluster:{v}")),
            ("AWS/S3", "BucketName") => format!("arn:{}:s3:::{v}", p.partition()),
            ("AWS/ApplicationELB" | "AWS/NetworkELB" | "AWS/GatewayELB", "LoadBalancer") => {
                p.arn("elasticloadbalancing", &format!("loadbalancer/{v}"))
            }
            ("AWS/ApplicationELB" | "AWS/NetworkELB" | "AWS/GatewayELB", "TargetGroup") => {
                p.arn("elasticloadbalancing", v)
            }
            ("AWS/ELB", "LoadBalancerName") => {
                p.arn("elasticloadbalancing", &format!("loadbalancer/{v}"))
            }
            ("AWS/ECS", "ClusterName") => match ecs_service.and_then(Value::as_str) {
                Some(service) => p.arn("ecs", &format!("service/{v}/{service}")),
                None => p.arn("ecs", &format!("cluster/{v}")),
            },
            ("AWS/Kinesis", "StreamName") => p.arn("kinesis", &format!("stream/{v}")),
            ("AWS/ElastiCache", "CacheClusterId") => p.arn("elasticache", &format!("cluster:{v}")),
            ("AWS/NATGateway", "NatGatewayId") => p.arn("ec2", &format!("natgateway/{v}")),
            ("AWS/EFS", "FileSystemId") => p.arn("elasticfilesystem", &format!("file-system/{v}")),
            _ => return None,
        };
        Some(arn)
    }
}
