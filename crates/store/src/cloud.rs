//! The object stores a location can name, each behind its cargo feature (`s3`, `gcs`, `azure`,
//! all on by default): a build without them reads local folders only and pulls in no HTTP
//! client, no cloud SDK and no TLS stack for them.

use crate::StoreError;
use object_store::ObjectStore;
use std::sync::Arc;

/// The scheme's cargo feature, for the message of a build without it.
fn feature_of(scheme: &str) -> Option<&'static str> {
    match scheme {
        "s3" => Some("s3"),
        "gs" => Some("gcs"),
        "az" | "azure" => Some("azure"),
        _ => None,
    }
}

/// The store for `scheme://bucket` (its credentials and endpoint from the environment, as each
/// cloud's own tools read them).
#[cfg_attr(not(feature = "cloud"), allow(unused_variables))]
pub(crate) fn store(
    spec: &str,
    scheme: &str,
    bucket: &str,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let invalid = |m: String| StoreError::Invalid(spec.into(), m);
    #[cfg(feature = "cloud")]
    let (retry, client) = (
        object_store::RetryConfig {
            max_retries: 3,
            retry_timeout: std::time::Duration::from_secs(60),
            backoff: object_store::BackoffConfig::default(),
        },
        object_store::ClientOptions::new()
            .with_timeout(std::time::Duration::from_secs(60))
            .with_connect_timeout(std::time::Duration::from_secs(10)),
    );
    #[cfg(feature = "cloud")]
    let built = |r: object_store::Result<Arc<dyn ObjectStore>>| {
        r.map_err(|e| invalid(crate::Failure::from(e).to_string()))
    };
    match scheme {
        #[cfg(feature = "s3")]
        "s3" => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(retry)
                .with_client_options(client);
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
                b = b.with_endpoint(endpoint);
            }
            if std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v == "true" || v == "1") {
                b = b.with_allow_http(true);
            }
            if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err()
            {
                b = b.with_region("us-east-1");
            }
            built(b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>))
        }
        #[cfg(feature = "gcs")]
        "gs" => built(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .with_retry(retry)
                .with_client_options(client)
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        ),
        #[cfg(feature = "azure")]
        "az" | "azure" => built(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_container_name(bucket)
                .with_retry(retry)
                .with_client_options(client)
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        ),
        other => Err(invalid(match feature_of(other) {
            Some(feature) => format!(
                "this veloscope was built without {other}:// support (cargo feature `{feature}`)"
            ),
            None => format!("unsupported scheme {other}://"),
        })),
    }
}

#[cfg(test)]
mod tests {
    /// A scheme whose store this build left out names the feature that brings it; one built in
    /// is never refused for that reason (it may still lack credentials here).
    #[test]
    fn a_scheme_left_out_names_its_feature() {
        for (scheme, built_in) in [
            ("s3", cfg!(feature = "s3")),
            ("gs", cfg!(feature = "gcs")),
            ("az", cfg!(feature = "azure")),
        ] {
            let said = match super::store(&format!("{scheme}://bucket"), scheme, "bucket") {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            };
            assert_eq!(
                said.contains("cargo feature"),
                !built_in,
                "{scheme}: {said}"
            );
        }
        let ftp = super::store("ftp://bucket", "ftp", "bucket")
            .err()
            .map(|e| e.to_string());
        assert!(ftp.is_some_and(|e| e.contains("unsupported scheme ftp://")));
    }
}
