//! Where attachments are stored and how much of them is accepted. The S3
//! settings carry the names the AWS tools use, so an operator's usual
//! environment works as it is.

use clap::Args;

use super::{Secret, parse};

#[derive(Debug, Clone, Args)]
pub struct AttachmentSettings {
    /// Where attachment files go: `file:///ABSOLUTE/DIR`, or
    /// `s3://BUCKET[/PREFIX]` with the `AWS_*` settings below. Unset: the
    /// folder `attachments` beside the SQLite database (on Postgres, in the
    /// working directory).
    #[arg(long = "attachments", env = "LANTERN_ATTACHMENTS", value_parser = parse::attachments_url)]
    pub store: Option<String>,
    /// The largest attachment any site may accept, in bytes; each site's
    /// own limit (10 MiB unless its owner changes it) stays below it.
    #[arg(long = "attachments-max-bytes", env = "LANTERN_ATTACHMENTS_MAX_BYTES", default_value = "26214400", value_parser = parse::whole::<u64>(1..=1_073_741_824))]
    pub max_bytes: u64,
    /// Bytes one site's attachments may take in the store, thumbnails included.
    #[arg(long = "attachments-site-quota-bytes", env = "LANTERN_ATTACHMENTS_SITE_QUOTA_BYTES", default_value = "1073741824", value_parser = parse::whole::<u64>(1..=u64::MAX / 2))]
    pub site_quota_bytes: u64,
    /// Uploads per minute per visitor.
    #[arg(long = "attachments-uploads-per-visitor", env = "LANTERN_ATTACHMENTS_UPLOADS_PER_VISITOR", default_value = "10", value_parser = parse::whole::<u32>(1..=100_000))]
    pub uploads_per_visitor: u32,
    /// Uploads per minute per site, whoever sends them.
    #[arg(long = "attachments-uploads-per-site", env = "LANTERN_ATTACHMENTS_UPLOADS_PER_SITE", default_value = "300", value_parser = parse::whole::<u32>(1..=10_000_000))]
    pub uploads_per_site: u32,
    /// S3: the endpoint of an S3-compatible store (MinIO, R2, …); unset: AWS.
    #[arg(long = "aws-endpoint-url", env = "AWS_ENDPOINT_URL", value_parser = parse::text)]
    pub aws_endpoint: Option<String>,
    /// S3: the bucket's region.
    #[arg(long = "aws-region", env = "AWS_REGION", default_value = "us-east-1", value_parser = parse::text)]
    pub aws_region: String,
    /// S3: the access key id; unset: the instance's or container's role.
    #[arg(long = "aws-access-key-id", env = "AWS_ACCESS_KEY_ID", value_parser = parse::text)]
    pub aws_access_key_id: Option<String>,
    /// S3: the secret access key; never logged.
    #[arg(long = "aws-secret-access-key", env = "AWS_SECRET_ACCESS_KEY", value_parser = parse::secret)]
    pub aws_secret_access_key: Option<Secret>,
    /// S3: a session token for temporary credentials; never logged.
    #[arg(long = "aws-session-token", env = "AWS_SESSION_TOKEN", value_parser = parse::secret)]
    pub aws_session_token: Option<Secret>,
    /// S3: allow an `http://` endpoint (a store on the same host or network).
    #[arg(long = "aws-allow-http", env = "AWS_ALLOW_HTTP", default_value = "false", action = clap::ArgAction::Set, value_parser = parse::boolean)]
    pub aws_allow_http: bool,
}
