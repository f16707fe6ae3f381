//! Terraform's AWS provider manages Tocsin through its custom endpoints, as a team moving off
//! AWS Incident Manager would: `compat/terraform/main.tf` declares every `aws_ssmcontacts_*` and
//! `aws_ssmincidents_*` resource type; against `tocsin run --role api` on RabbitMQ and Redis the
//! test applies it, re-plans expecting no drift, applies revision 2 (each resource changed),
//! re-plans again, destroys it, and reads the API after each step to see that the records are
//! what Terraform says they are.
//!
//! Terraform is not on crates.io or PyPI: the test runs where `terraform` is installed (or named
//! by `TOCSIN_TERRAFORM`) together with a provider mirror holding `hashicorp/aws` (named by
//! `TOCSIN_TERRAFORM_PLUGINS`, else the usual mirror folders); elsewhere it says SKIPPED, or
//! fails when either variable names something missing. The provider is never downloaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tocsin::cli::client::{Client, encode};
use tocsin_runtime::Settings;
use tocsin_runtime::config::AwsCredential;
use tocsin_testkit::{Kind, TestBackends};

use crate::procs::{Proc, api_ready, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_tocsin");
const KEY_ID: &str = "AKIDTERRAFORMTEST01";
const SECRET: &str = "terraform-test-secret-of-the-account";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// Where a provider mirror usually is (`TOCSIN_TERRAFORM_PLUGINS` comes first).
const MIRRORS: &[&str] = &[
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
];

/// `terraform` and a mirror folder holding `registry.terraform.io/hashicorp/aws`, or why not.
fn toolchain() -> Result<(PathBuf, PathBuf), String> {
    let terraform = match std::env::var_os("TOCSIN_TERRAFORM") {
        Some(p) => PathBuf::from(p),
        None => std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|d| d.join("terraform"))
            .find(|p| p.is_file())
            .ok_or("terraform is not on PATH (TOCSIN_TERRAFORM names it elsewhere)")?,
    };
    if !terraform.is_file() {
        return Err(format!("{} does not exist", terraform.display()));
    }
    let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".terraform.d/plugins"));
    let mirror = std::env::var_os("TOCSIN_TERRAFORM_PLUGINS")
        .map(PathBuf::from)
        .into_iter()
        .chain(MIRRORS.iter().map(PathBuf::from))
        .chain(home)
        .find(|m| m.join("registry.terraform.io/hashicorp/aws").is_dir())
        .ok_or("no provider mirror holds registry.terraform.io/hashicorp/aws")?;
    Ok((terraform, mirror))
}

/// One Terraform working directory: the configuration, a CLI configuration that installs the
/// provider from the mirror only, and the variables that point it at Tocsin.
struct Workdir {
    dir: tempfile::TempDir,
    terraform: PathBuf,
    endpoint: String,
}

impl Workdir {
    fn new(terraform: PathBuf, mirror: &Path, endpoint: String) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../compat/terraform/main.tf");
        std::fs::copy(config, dir.path().join("main.tf"))?;
        std::fs::write(
            dir.path().join("cli.tfrc"),
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    \
                 include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
                mirror.display().to_string()
            ),
        )?;
        Ok(Self {
            dir,
            terraform,
            endpoint,
        })
    }

    /// Runs `terraform ARGS` (revision `rev` of the configuration); its exit code and output.
    fn run(&self, rev: u8, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(&self.terraform)
            .args(args)
            .args(["-no-color", "-input=false"])
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_VAR_endpoint", &self.endpoint)
            .env("TF_VAR_access_key", KEY_ID)
            .env("TF_VAR_secret_key", SECRET)
            .env("TF_VAR_region", REGION)
            .env("TF_VAR_account_id", ACCOUNT)
            .env("TF_VAR_revision", rev.to_string())
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("run terraform");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }

    /// `terraform ARGS` must succeed.
    fn ok(&self, rev: u8, args: &[&str]) -> String {
        let (code, text) = self.run(rev, args);
        assert_eq!(code, Some(0), "terraform {args:?} failed:\n{text}");
        text
    }

    /// A plan of revision `rev` must find nothing to change (`-detailed-exitcode`: 0, not 2).
    fn no_drift(&self, rev: u8) {
        let (code, text) = self.run(rev, &["plan", "-detailed-exitcode"]);
        assert_eq!(
            code,
            Some(0),
            "the plan of revision {rev} is not empty:\n{text}"
        );
        assert!(text.contains("No changes."), "{text}");
    }
}

/// A SigV4 client of the API with the test's key.
fn client(endpoint: &str) -> anyhow::Result<Client> {
    let mut settings = Settings {
        region: REGION.into(),
        ..Settings::default()
    };
    settings.aws_credentials = vec![AwsCredential {
        access_key_id: KEY_ID.into(),
        secret_access_key: SecretString::from(SECRET),
        account_id: ACCOUNT.into(),
    }];
    Client::new(&settings, Some(endpoint.into()))
}

/// The aliases of the account's contacts, sorted.
async fn aliases(api: &Client) -> anyhow::Result<Vec<String>> {
    let listed = api.contacts("ListContacts", json!({})).await?;
    let mut names: Vec<String> = listed["Contacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["Alias"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// The ARN of the contact `alias`.
fn contact_arn(alias: &str) -> String {
    format!("arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact/{alias}")
}

/// The response plan `tf-critical`.
async fn response_plan(api: &Client) -> anyhow::Result<Value> {
    let arn = format!("arn:aws:ssm-incidents::{ACCOUNT}:response-plan/tf-critical");
    api.incidents("GET", "/getResponsePlan", &[("arn", &arn)], None)
        .await
}

/// The tags of `arn`.
async fn tags(api: &Client, arn: &str) -> anyhow::Result<Value> {
    let path = format!("/tags/{}", encode(arn));
    Ok(api.incidents("GET", &path, &[], None).await?["tags"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_applies_replans_without_drift_updates_and_destroys() -> anyhow::Result<()> {
    let (terraform, mirror) = match toolchain() {
        Ok(t) => t,
        Err(why)
            if std::env::var_os("TOCSIN_TERRAFORM").is_some()
                || std::env::var_os("TOCSIN_TERRAFORM_PLUGINS").is_some() =>
        {
            panic!("terraform was asked for and is missing: {why}")
        }
        Err(why) => {
            eprintln!(
                "SKIPPED terraform_applies_replans_without_drift_updates_and_destroys: {why}"
            );
            return Ok(());
        }
    };
    let b = TestBackends::new(Kind::Real).await?;
    let addr = format!("127.0.0.1:{}", free_port());
    let mut c = Command::new(BIN);
    c.args(["run", "--role", "api"])
        .env("TOCSIN_AMQP_URL", b.settings.amqp_url.expose_secret())
        .env("TOCSIN_REDIS_URL", b.settings.redis_url.expose_secret())
        .env("TOCSIN_NAMESPACE", &b.settings.namespace)
        .env("TOCSIN_API_ADDR", &addr)
        .env("TOCSIN_INGEST_ADDR", "off")
        .env("TOCSIN_ACCOUNT_ID", ACCOUNT)
        .env("TOCSIN_REGION", REGION)
        .env("TOCSIN_ACCESS_KEY_ID", KEY_ID)
        .env("TOCSIN_SECRET_ACCESS_KEY", SECRET)
        .env("TOCSIN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let _api = Proc(c.spawn()?);
    api_ready(&addr).await?;
    let endpoint = format!("http://{addr}");
    let api = client(&endpoint)?;
    let tf = tokio::task::spawn_blocking({
        let endpoint = endpoint.clone();
        move || Workdir::new(terraform, &mirror, endpoint)
    })
    .await??;
    let tf = std::sync::Arc::new(tf);
    // Terraform blocks; it runs off the runtime's threads.
    let step = |rev: u8, args: &'static [&'static str]| {
        let tf = tf.clone();
        async move { tokio::task::spawn_blocking(move || tf.ok(rev, args)).await }
    };
    let replan = |rev: u8| {
        let tf = tf.clone();
        async move { tokio::task::spawn_blocking(move || tf.no_drift(rev)).await }
    };

    step(1, &["init"]).await?;
    let applied = step(1, &["apply", "-auto-approve"]).await?;
    assert!(
        applied.contains("Apply complete! Resources: 10 added, 0 changed, 0 destroyed."),
        "{applied}"
    );
    assert_eq!(
        aliases(&api).await?,
        ["tf-alice", "tf-bob", "tf-escalation"]
    );
    let escalation = api
        .contacts(
            "GetContact",
            json!({"ContactId": contact_arn("tf-escalation")}),
        )
        .await?;
    assert_eq!(
        escalation["Plan"]["Stages"].as_array().map(Vec::len),
        Some(2)
    );
    let plan = response_plan(&api).await?;
    assert_eq!(plan["incidentTemplate"]["title"], "Service outage");
    assert_eq!(
        plan["actions"][0]["ssmAutomation"]["dynamicParameters"]["IncidentArn"]["variable"],
        "INVOLVED_RESOURCES"
    );
    let sets = api
        .incidents("POST", "/listReplicationSets", &[], Some(json!({})))
        .await?;
    assert_eq!(sets["replicationSetArns"].as_array().map(Vec::len), Some(1));
    replan(1).await?;

    let updated = step(2, &["apply", "-auto-approve"]).await?;
    assert!(
        updated.contains("Apply complete! Resources: 0 added, 7 changed, 0 destroyed."),
        "{updated}"
    );
    let plan = response_plan(&api).await?;
    assert_eq!(
        plan["incidentTemplate"]["title"],
        "Service outage (updated)"
    );
    let arn = plan["arn"].as_str().unwrap_or_default().to_owned();
    assert_eq!(tags(&api, &arn).await?, json!({"team": "sre", "tier": "1"}));
    let bob = api
        .contacts("GetContact", json!({"ContactId": contact_arn("tf-bob")}))
        .await?;
    assert_eq!(bob["DisplayName"], "Bob Updated");
    replan(2).await?;

    let destroyed = step(2, &["destroy", "-auto-approve"]).await?;
    assert!(
        destroyed.contains("Destroy complete! Resources: 10 destroyed."),
        "{destroyed}"
    );
    assert!(aliases(&api).await?.is_empty());
    let plans = api
        .incidents("POST", "/listResponsePlans", &[], Some(json!({})))
        .await?;
    assert_eq!(plans["responsePlanSummaries"], json!([]));
    let sets = api
        .incidents("POST", "/listReplicationSets", &[], Some(json!({})))
        .await?;
    assert_eq!(sets["replicationSetArns"], json!([]));
    let rotations = api.contacts("ListRotations", json!({})).await?;
    assert_eq!(rotations["Rotations"], json!([]));
    Ok(())
}
