//! A real S3-compatible server for the attachment store's tests: moto's
//! server mode, installed by `scripts/setup.sh --test` into the Python
//! venv it keeps under `target/schemathesis` (or the `moto_server` that
//! `MOTO_SERVER` names). Started on a free loopback port; stopped on drop.
//! A missing moto fails the test: it is never skipped.

use std::{path::PathBuf, sync::Arc, time::Duration};

use object_store::{ObjectStore, aws::AmazonS3Builder, path::Path};
use tokio::process::{Child, Command};

pub struct Moto {
    pub endpoint: String,
    pub port: u16,
    _child: Child,
}

/// The `moto_server` to run.
fn binary() -> PathBuf {
    std::env::var_os("MOTO_SERVER").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/schemathesis/bin/moto_server"
            ))
        },
        PathBuf::from,
    )
}

impl Moto {
    /// Starts moto and waits until it answers.
    pub async fn start() -> Moto {
        let bin = binary();
        assert!(
            bin.exists(),
            "moto is missing ({}): run scripts/setup.sh --test, which installs moto[server] \
             for the S3 tests (or set MOTO_SERVER to a moto_server binary)",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{endpoint}/moto-api/"))
                .send()
                .await
                .is_ok()
            {
                return Moto {
                    endpoint,
                    port,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not answer on {endpoint} within 30 s");
    }

    /// Creates a bucket (moto accepts any credentials).
    pub async fn bucket(&self, name: &str) {
        let res = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("moto reached");
        assert!(res.status().is_success(), "bucket {name}: {}", res.status());
    }

    /// A client of `bucket`, to see what the server stored.
    pub fn client(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(
            AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region("us-east-1")
                .with_endpoint(&self.endpoint)
                .with_allow_http(true)
                .with_access_key_id("test")
                .with_secret_access_key("test")
                .build()
                .expect("an S3 client"),
        )
    }
}

/// Every key in `store` under `prefix`.
pub async fn keys(store: &Arc<dyn ObjectStore>, prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    let prefix = Path::from(prefix);
    let listed: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .expect("list the bucket");
    listed.into_iter().map(|m| m.location.to_string()).collect()
}
