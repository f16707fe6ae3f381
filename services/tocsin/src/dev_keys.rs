//! The AWS key of `tocsin dev` and the lines that tell a person how to point the aws CLI (or
//! any SDK) at it. The key is the dev pair `TOCSIN_ACCESS_KEY_ID` / `TOCSIN_SECRET_ACCESS_KEY`
//! (an admin of the default account); without any configured key, `tocsin dev` makes a random
//! pair for the run and prints it once, as it does for the native API token.

use secrecy::ExposeSecret;
use tocsin_runtime::Settings;
use tocsin_runtime::config::AwsCredential;

/// Adds a random key of the default account when none is configured; returns it if so.
pub fn ensure(settings: &mut Settings) -> Option<AwsCredential> {
    if !settings.aws_credentials.is_empty() {
        return None;
    }
    let id = format!(
        "AKIDDEV{}",
        &uuid::Uuid::new_v4().simple().to_string()[..13].to_uppercase()
    );
    let key = AwsCredential {
        access_key_id: id,
        secret_access_key: format!("dev{}", uuid::Uuid::new_v4().simple()).into(),
        account_id: settings.account_id.clone(),
    };
    settings.aws_credentials.push(key.clone());
    Some(key)
}

/// How to call the AWS-protocol API of this process. A generated key is shown with its
/// secret (it exists only for this run); a configured one only by its id.
pub fn instructions(settings: &Settings, generated: Option<&AwsCredential>) -> String {
    let endpoint = format!("http://{}", settings.api_addr);
    let region = &settings.region;
    // The dev pair is the last key of the default account (it is appended after the list).
    let dev = settings
        .aws_credentials
        .iter()
        .rev()
        .find(|k| k.account_id == settings.account_id);
    let (id, secret) = match (generated, dev) {
        (Some(k), _) => (
            k.access_key_id.clone(),
            k.secret_access_key.expose_secret().to_string(),
        ),
        (None, Some(k)) => (
            k.access_key_id.clone(),
            "<your TOCSIN_SECRET_ACCESS_KEY>".to_string(),
        ),
        (None, None) => return String::new(),
    };
    format!(
        "AWS API (ssm-incidents, ssm-contacts) on {endpoint}, region {region}, account {account}:\n  \
         export AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY={secret} AWS_DEFAULT_REGION={region}\n  \
         aws ssm-incidents list-response-plans --endpoint-url {endpoint}\n",
        account = settings.account_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_only_when_none_is_configured() {
        let mut s = Settings::default();
        let key = ensure(&mut s).unwrap();
        assert_eq!(s.aws_credentials.len(), 1);
        assert_eq!(key.account_id, s.account_id);
        assert!(key.access_key_id.len() >= 16);
        let text = instructions(&s, Some(&key));
        assert!(text.contains(&format!("AWS_ACCESS_KEY_ID={}", key.access_key_id)));
        assert!(text.contains(key.secret_access_key.expose_secret()));
        assert!(text.contains("--endpoint-url http://127.0.0.1:8080"));
        assert!(ensure(&mut s).is_none());
        let configured = instructions(&s, None);
        assert!(!configured.contains(key.secret_access_key.expose_secret()));
    }
}
