//! Templates from the seeds, applied to an in-memory store: records as the API would keep
//! them, a plan that says what changes, a second apply with nothing to do, and errors that
//! name the template path.

use chrono::TimeZone as _;
use tocsin_proto::records::{ActivationStatus, Contact, ContactType, ResponsePlan, kinds};
use tocsin_runtime::Records;
use tocsin_store::{MemoryStore, Store};

use super::changes::{self, Action};
use super::{parse, resolve};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "ap-northeast-1";

/// Seed 002's template ("IaC 操作(CloudFormation)"), indentation restored, with its escalation
/// plan targeting the on-call contact (the model's escalation stages engage contacts) and an
/// E.164 number.
const SEED_002: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Description: 'Incident Manager Setup'
Resources:
  OnCallEngineer:
    Type: AWS::SSMContacts::Contact
    Properties:
      Alias: on-call-engineer
      DisplayName: On-Call Engineer
      Type: PERSONAL
      Plan:
        - DurationInMinutes: 0
          Targets:
            - ChannelTargetInfo:
                ChannelId: !Ref SMSChannel
                RetryIntervalInMinutes: 2
  SMSChannel:
    Type: AWS::SSMContacts::ContactChannel
    Properties:
      ContactId: !Ref OnCallEngineer
      ChannelName: SMSNotification
      ChannelType: SMS
      DeliveryAddress:
        SimpleAddress: '+819012345678'
  EscalationPlan:
    Type: AWS::SSMContacts::Contact
    Properties:
      Alias: escalation-plan
      DisplayName: Incident Escalation
      Type: ESCALATION
      Plan:
        Stages:
          - DurationInMinutes: 5
            Targets:
              - ContactTargetInfo:
                  ContactId: !GetAtt OnCallEngineer.Arn
                  IsEssential: true
  ResponsePlan:
    Type: AWS::SSMIncidents::ResponsePlan
    Properties:
      Name: prod-api-response-plan
      IncidentTemplate:
        Title: Production API Incident
        Impact: 1
        Summary: Critical API incident
        NotificationTargets:
          - SnsTopicArn: !Ref IncidentNotificationTopic
      Engagements:
        - !GetAtt EscalationPlan.Arn
  IncidentNotificationTopic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: Incident Notifications
      TopicName: incident-notifications
  APIErrorAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: api-error-rate-alarm
      AlarmActions:
        - !Sub 'arn:aws:ssm-incidents::${AWS::AccountId}:responseplan/${ResponsePlan}'
Outputs:
  ResponsePlanArn:
    Value: !GetAtt ResponsePlan.Arn
"#;

fn records() -> Records {
    Records::new(Store::Memory(MemoryStore::new()), ACCOUNT)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

#[tokio::test]
async fn the_seed_template_applies_once_then_has_nothing_to_change() {
    let desired = resolve(&parse(SEED_002).unwrap(), ACCOUNT, REGION).unwrap();
    assert_eq!(
        desired.skipped,
        [
            (
                "APIErrorAlarm".to_owned(),
                "AWS::CloudWatch::Alarm".to_owned()
            ),
            ("IncidentNotificationTopic".into(), "AWS::SNS::Topic".into())
        ]
    );
    let records = records();
    let plan = changes::plan(&records, &desired, now()).await.unwrap();
    assert!(plan.iter().all(|c| c.action == Action::Create), "{plan:?}");
    assert_eq!(plan.len(), 4);
    let text = changes::render(&plan, &desired.skipped);
    assert!(
        text.contains("Plan: 4 to create, 0 to update, 0 unchanged."),
        "{text}"
    );
    assert_eq!(changes::apply(&records, &plan).await.unwrap(), 4);

    let (person, _): (Contact, u64) = records
        .get(kinds::CONTACT, "on-call-engineer")
        .await
        .unwrap()
        .unwrap();
    let channel = records.channels_of(&person.contact_arn).await.unwrap();
    assert_eq!(channel.len(), 1);
    assert_eq!(channel[0].activation_status, ActivationStatus::Activated);
    let target = person.plan.stages[0].targets[0]
        .channel_target_info
        .clone()
        .unwrap();
    assert_eq!(target.contact_channel_id, channel[0].contact_channel_arn);
    assert_eq!(target.retry_interval_in_minutes, Some(2));
    let (esc, _): (Contact, u64) = records
        .get(kinds::CONTACT, "escalation-plan")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(esc.contact_type, ContactType::Escalation);
    assert_eq!(
        esc.plan.stages[0].targets[0]
            .contact_target_info
            .as_ref()
            .unwrap()
            .contact_id
            .as_deref(),
        Some(person.contact_arn.as_str())
    );
    let plan_record: ResponsePlan = records
        .response_plan(&tocsin_proto::arn::response_plan(
            ACCOUNT,
            "prod-api-response-plan",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(plan_record.engagements, [esc.contact_arn.as_str()]);
    assert_eq!(
        plan_record.incident_template.notification_targets[0]
            .sns_topic_arn
            .as_deref(),
        Some("arn:aws:sns:ap-northeast-1:123456789012:incident-notifications")
    );

    // Idempotent: the same template again changes nothing.
    let again = changes::plan(&records, &desired, now()).await.unwrap();
    assert!(
        again.iter().all(|c| c.action == Action::Unchanged),
        "{again:?}"
    );
    // An edit is an update of that resource only.
    let edited = SEED_002.replace("Impact: 1", "Impact: 2");
    let desired = resolve(&parse(&edited).unwrap(), ACCOUNT, REGION).unwrap();
    let plan = changes::plan(&records, &desired, now()).await.unwrap();
    let updated: Vec<&str> = plan
        .iter()
        .filter(|c| c.action == Action::Update)
        .map(|c| c.logical_id.as_str())
        .collect();
    assert_eq!(updated, ["ResponsePlan"]);
}

#[test]
fn the_seed_as_written_is_refused_with_the_fields_named() {
    // As printed in the seed: the escalation plan targets a channel, the number has dashes.
    let seed = SEED_002
        .replace(
            "              - ContactTargetInfo:\n                  ContactId: !GetAtt OnCallEngineer.Arn\n                  IsEssential: true",
            "              - ChannelTargetInfo:\n                  ContactChannelId: !Ref SMSChannel\n                  RetryIntervalInMinutes: 2",
        )
        .replace("'+819012345678'", "'+81-90-1234-5678'");
    let e = resolve(&parse(&seed).unwrap(), ACCOUNT, REGION)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Resources.SMSChannel.Properties.DeliveryAddress.SimpleAddress"),
        "{e}"
    );
    assert!(e.contains("Resources.EscalationPlan.Properties"), "{e}");
}

#[tokio::test]
async fn rotations_plans_and_the_replication_set_in_json() {
    let json = r#"{
      "Resources": {
        "Ann": { "Type": "AWS::SSMContacts::Contact",
                 "Properties": { "Alias": "ann", "Type": "PERSONAL" } },
        "AnnMail": { "Type": "AWS::SSMContacts::ContactChannel",
                 "Properties": { "ContactId": { "Ref": "Ann" }, "ChannelName": "mail",
                                 "ChannelType": "EMAIL", "ChannelAddress": "ann@example.com",
                                 "DeferActivation": true } },
        "AnnPlan": { "Type": "AWS::SSMContacts::Plan",
                 "Properties": { "ContactId": { "Fn::GetAtt": ["Ann", "Arn"] },
                   "Stages": [{ "DurationInMinutes": 0, "Targets": [{ "ChannelTargetInfo":
                     { "ChannelId": { "Ref": "AnnMail" }, "RetryIntervalInMinutes": 1 } }] }] } },
        "Weekly": { "Type": "AWS::SSMContacts::Rotation",
                 "Properties": { "Name": "weekly", "ContactIds": [{ "Ref": "Ann" }],
                   "StartTime": "2026-01-05T09:00:00", "TimeZoneId": "Europe/London",
                   "Recurrence": { "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1,
                     "WeeklySettings": [{ "DayOfWeek": "MON", "HandOffTime": "09:00" }],
                     "ShiftCoverages": [{ "DayOfWeek": "MON",
                       "CoverageTimes": [{ "StartTime": "09:00", "EndTime": "17:00" }] }] } } },
        "OnCall": { "Type": "AWS::SSMContacts::Contact",
                 "Properties": { "Alias": "primary", "Type": "ONCALL_SCHEDULE",
                   "Plan": [{ "RotationIds": [{ "Fn::GetAtt": ["Weekly", "Arn"] }] }] } },
        "Set": { "Type": "AWS::SSMIncidents::ReplicationSet",
                 "Properties": { "Regions": [{ "RegionName": { "Fn::Sub": "${AWS::Region}" } }],
                                 "DeletionProtected": false } }
      }
    }"#;
    let desired = resolve(&parse(json).unwrap(), ACCOUNT, REGION).unwrap();
    let (_, ann) = desired.contacts.iter().find(|(id, _)| id == "Ann").unwrap();
    assert_eq!(
        ann.plan.stages.len(),
        1,
        "the Plan resource gives Ann her stages"
    );
    assert_eq!(
        desired.channels[0].1.activation_status,
        ActivationStatus::NotActivated
    );
    let (_, rotation) = &desired.rotations[0];
    assert_eq!(
        rotation.start_time,
        chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
    );
    let (_, oncall) = desired
        .contacts
        .iter()
        .find(|(id, _)| id == "OnCall")
        .unwrap();
    assert_eq!(oncall.plan.rotation_ids, [rotation.rotation_arn.as_str()]);
    let records = records();
    let plan = changes::plan(&records, &desired, now()).await.unwrap();
    changes::apply(&records, &plan).await.unwrap();
    let (set, _): (serde_json::Value, u64) = records
        .get("replication-set", "set")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set["deletionProtected"], false);
    assert!(set["regions"][REGION].is_object(), "{set}");
    let again = changes::plan(&records, &desired, now()).await.unwrap();
    assert!(
        again.iter().all(|c| c.action == Action::Unchanged),
        "{again:?}"
    );
}

#[test]
fn unknown_references_and_types_are_named() {
    let t = "Resources:\n  P:\n    Type: AWS::SSMIncidents::ResponsePlan\n    Properties:\n      Name: p\n      IncidentTemplate: { Title: t, Impact: 9 }\n      Engagements: [!Ref Ghost]\n  E:\n    Type: AWS::SSMIncidents::EscalationPlan\n    Properties: {}\n";
    let e = resolve(&parse(t).unwrap(), ACCOUNT, REGION)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"Ghost\" is not a resource or parameter"),
        "{e}"
    );
    assert!(e.contains("Resources.E.Type"), "{e}");
}
