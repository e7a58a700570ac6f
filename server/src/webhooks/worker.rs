//! The delivery worker: claims due deliveries, POSTs them signed, and records
//! the outcome (delivered, retried with exponential backoff, or failed).

use std::time::Duration;

use chrono::Utc;

use super::{MAX_ATTEMPTS, backoff_ms, check_url, guard, signature};
use crate::db::{Claimed, Db};

/// How often the queue is polled when no wake-up comes.
const POLL: Duration = Duration::from_millis(200);
/// How long a claim holds a delivery (longer than one attempt can take).
const LEASE_MS: i64 = 30_000;
const TIMEOUT: Duration = Duration::from_secs(10);
const BATCH: i64 = 16;

/// How deliveries are sent.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The first retry's wait; each further one doubles it.
    pub retry_base_ms: u64,
    /// Receivers on loopback and private networks are allowed.
    pub allow_private: bool,
}

/// Starts the worker on the current runtime; it stops when `closing` turns true.
pub fn spawn(
    store: Db,
    opts: Options,
    closing: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        // HTTP(S)_PROXY from the environment would carry the request past
        // the address checks below (the proxy resolves the name).
        .no_proxy()
        // A receiver must answer itself; following redirects would let a
        // registered URL point the server anywhere.
        .redirect(reqwest::redirect::Policy::none());
    if !opts.allow_private {
        client = client.dns_resolver(std::sync::Arc::new(guard::PublicOnly));
    }
    let client = client.build()?;
    Ok(tokio::spawn(async move {
        while !*closing.borrow() {
            match store.claim_due_deliveries(BATCH, LEASE_MS).await {
                Ok(batch) => {
                    futures::future::join_all(
                        batch
                            .into_iter()
                            .map(|c| deliver(&store, &client, opts, c)),
                    )
                    .await;
                }
                Err(e) => tracing::warn!(error = %e, "webhook queue poll failed"),
            }
            tokio::select! {
                _ = store.deliveries_waiting() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }))
}

/// One attempt at one delivery, and its bookkeeping.
async fn deliver(store: &Db, client: &reqwest::Client, opts: Options, c: Claimed) {
    // Checked again: the operator may have withdrawn consent to private
    // receivers since the URL was registered. No retry would change that.
    if let Err(problem) = check_url(&c.url, opts.allow_private) {
        let error = format!("refused: the URL {problem}");
        if let Err(e) = store.delivery_failed(&c.id, None, &error, None).await {
            tracing::warn!(error = %e, delivery = %c.id, "cannot record a webhook attempt");
        }
        return;
    }
    let timestamp = Utc::now().timestamp();
    let sent = client
        .post(&c.url)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("Lantern-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("Lantern-Webhook-Id", &c.event_id)
        .header("Lantern-Webhook-Timestamp", timestamp.to_string())
        .header(
            "Lantern-Webhook-Signature",
            signature(&c.secret, timestamp, &c.body),
        )
        .body(c.body.clone())
        .send()
        .await;
    let (code, error) = match sent {
        Ok(res) if res.status().is_success() => {
            if let Err(e) = store.delivery_succeeded(&c.id, res.status().as_u16()).await {
                tracing::warn!(error = %e, delivery = %c.id, "cannot record a webhook delivery");
            }
            return;
        }
        Ok(res) => (
            Some(res.status().as_u16()),
            format!("the receiver answered {}", res.status()),
        ),
        Err(e) if e.is_timeout() => (None, "timed out after 10 s".to_string()),
        // Without the URL: it may carry credentials, and the log is shown to
        // the site's admins.
        Err(e) => (None, format!("cannot reach the receiver: {}", e.without_url())),
    };
    let retry_at = (c.attempts < MAX_ATTEMPTS)
        .then(|| Utc::now().timestamp_millis() + backoff_ms(opts.retry_base_ms, c.attempts) as i64);
    tracing::info!(delivery = %c.id, attempts = c.attempts, error = %error, "webhook attempt failed");
    if let Err(e) = store.delivery_failed(&c.id, code, &error, retry_at).await {
        tracing::warn!(error = %e, delivery = %c.id, "cannot record a webhook attempt");
    }
}
