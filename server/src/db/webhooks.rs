//! Webhook endpoints and the durable queue of their deliveries. Deliveries
//! are queued inside the transaction that stores their event, so an event
//! is queued exactly when its write commits.

use chrono::{DateTime, Utc};
use lantern_shared::api::{Webhook, WebhookDelivery};
use serde_json::Value;

use super::{Db, found, Error, Result, Tx, new_id, read, rfc3339, tx, write};

pub const CONVERSATION_CREATED: &str = "conversation.created";
pub const MESSAGE_CREATED: &str = "message.created";
pub const CONVERSATION_HANDOFF: &str = "conversation.handoff";
/// A person was invited to the site's team (carries the invite link).
pub const MEMBER_INVITED: &str = "member.invited";
/// A conversation got (or lost) its assignee.
pub const CONVERSATION_ASSIGNED: &str = "conversation.assigned";
/// A member answered the visitor (notes excluded).
pub const AGENT_REPLIED: &str = "conversation.agent_replied";
pub const CONVERSATION_CLOSED: &str = "conversation.closed";

/// A registered endpoint, secret included (the worker signs with it).
#[derive(Clone)]
pub struct Endpoint {
    pub id: String,
    pub site_id: String,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// The API shape; `secret` only when `with_secret`.
    pub fn to_api(&self, with_secret: bool) -> Webhook {
        Webhook {
            id: self.id.clone(),
            url: self.url.clone(),
            events: self.events.clone(),
            secret: with_secret.then(|| self.secret.clone()),
            created_at: rfc3339(self.created_at),
        }
    }
}

type EndpointRow = (String, String, String, String, String, DateTime<Utc>);

fn endpoint(db: &Db, r: EndpointRow) -> Result<Endpoint> {
    Ok(Endpoint {
        id: r.0,
        site_id: r.1,
        url: r.2,
        secret: db.unseal(&r.3)?,
        events: r
            .4
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: r.5,
    })
}

/// A claimed delivery, ready to send.
#[derive(Clone)]
pub struct Claimed {
    pub id: String,
    pub event_id: String,
    pub body: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}
lantern_shared::redacted_debug!(Claimed { id, event_id, body, attempts, url } hides { secret });

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    event_id: String,
    event: String,
    status: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: i64,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(r: DeliveryRow) -> WebhookDelivery {
        let pending = r.status == "pending";
        WebhookDelivery {
            id: r.id,
            event_id: r.event_id,
            event: r.event,
            status: r.status,
            attempts: r.attempts,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            next_attempt_at: pending
                .then(|| DateTime::from_timestamp_millis(r.next_attempt_at).map(rfc3339))
                .flatten(),
            delivered_at: r.delivered_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
        }
    }
}

const ENDPOINT_COLUMNS: &str = "id, site_id, url, secret, events, created_at";

impl Db {
    pub async fn create_webhook(
        &self,
        site_id: &str,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> Result<Endpoint> {
        let e = Endpoint {
            id: new_id(),
            site_id: site_id.to_string(),
            url: url.to_string(),
            secret: secret.to_string(),
            events: events.to_vec(),
            created_at: Utc::now(),
        };
        // Stored as ",a,b," so that `LIKE '%,a,%'` finds subscribers.
        let events = format!(",{},", e.events.join(","));
        write!(self, p => sqlx::query(
            "INSERT INTO webhook_endpoints (id, site_id, url, secret, events, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&e.id)
        .bind(&e.site_id)
        .bind(&e.url)
        .bind(self.seal(&e.secret))
        .bind(&events)
        .bind(e.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(e)
    }

    pub async fn webhooks(&self, site_id: &str) -> Result<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 ORDER BY id"
        );
        let rows: Vec<EndpointRow> =
            read!(self, p => sqlx::query_as(&sql).bind(site_id).fetch_all(p).await)?;
        rows.into_iter().map(|r| endpoint(self, r)).collect()
    }

    /// The endpoint `id` of `site_id`.
    pub async fn webhook(&self, site_id: &str, id: &str) -> Result<Endpoint> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 AND id = $2"
        );
        let row: Option<EndpointRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        endpoint(self, row.ok_or(Error::NotFound)?)
    }

    /// Deletes the endpoint and its delivery log.
    pub async fn delete_webhook(&self, site_id: &str, id: &str) -> Result<()> {
        found(write!(self, p => sqlx::query(
            "DELETE FROM webhook_endpoints WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// The newest `limit` deliveries of an endpoint.
    pub async fn deliveries(&self, endpoint_id: &str, limit: i64) -> Result<Vec<WebhookDelivery>> {
        let rows: Vec<DeliveryRow> = read!(self, p => sqlx::query_as(
            "SELECT id, event_id, event, status, attempts, last_status_code, last_error, \
             next_attempt_at, delivered_at, created_at FROM webhook_deliveries \
             WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Claims up to `limit` due deliveries for `lease_ms`. Each claim is one
    /// conditional UPDATE, so of several instances racing for a row exactly
    /// one wins (on both backends); a crashed sender's lease simply expires.
    pub async fn claim_due_deliveries(&self, limit: i64, lease_ms: i64) -> Result<Vec<Claimed>> {
        let now = Utc::now().timestamp_millis();
        let ids: Vec<(String,)> = read!(self, p => sqlx::query_as(
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        let mut claimed = Vec::new();
        for (id,) in ids {
            let row: Option<(String, String, String, i64, String, String)> = write!(self, p =>
                sqlx::query_as(
                    "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
                     WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3 \
                     AND (locked_until IS NULL OR locked_until < $3) \
                     RETURNING id, event_id, body, attempts, \
                     (SELECT url FROM webhook_endpoints e WHERE e.id = endpoint_id), \
                     (SELECT secret FROM webhook_endpoints e WHERE e.id = endpoint_id)",
                )
                .bind(&id)
                .bind(now + lease_ms)
                .bind(now)
                .fetch_optional(p)
                .await)?;
            if let Some((id, event_id, body, attempts, url, secret)) = row {
                claimed.push(Claimed {
                    id,
                    event_id,
                    body,
                    attempts,
                    url,
                    secret: self.unseal(&secret)?,
                });
            }
        }
        Ok(claimed)
    }

    /// Records a successful attempt.
    pub async fn delivery_succeeded(&self, id: &str, status_code: u16) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', last_status_code = $2, \
             last_error = NULL, locked_until = NULL, delivered_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(status_code))
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at_ms`, or `failed` when
    /// `retry_at_ms` is `None`.
    pub async fn delivery_failed(
        &self,
        id: &str,
        status_code: Option<u16>,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<()> {
        let status = if retry_at_ms.is_some() {
            "pending"
        } else {
            "failed"
        };
        let next = retry_at_ms.unwrap_or_else(|| Utc::now().timestamp_millis());
        write!(self, p => sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4, \
             next_attempt_at = $5, locked_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(status_code.map(i64::from))
        .bind(error)
        .bind(next)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Resolves when deliveries may have been queued by this process.
    pub async fn deliveries_waiting(&self) {
        self.queued.notified().await;
    }

    /// Wakes the delivery worker when `queued`.
    pub(super) fn deliveries_queued(&self, queued: bool) {
        if queued {
            self.queued.notify_waiters();
        }
    }

    /// Queues one delivery of `event` per endpoint of the site subscribed
    /// to it, inside the caller's transaction. True when any was queued.
    pub(super) async fn enqueue_webhooks(
        &self,
        tx: &mut Tx,
        site_id: &str,
        event: &str,
        data: Value,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let endpoints: Vec<(String,)> = tx!(&mut *tx, c => sqlx::query_as(
            "SELECT id FROM webhook_endpoints WHERE site_id = $1 AND events LIKE $2",
        )
        .bind(site_id)
        .bind(format!("%,{event},%"))
        .fetch_all(c)
        .await)?;
        if endpoints.is_empty() {
            return Ok(false);
        }
        let event_id = new_id();
        let body = serde_json::json!({
            "id": event_id,
            "type": event,
            "created_at": rfc3339(now),
            "site_id": site_id,
            "data": data,
        })
        .to_string();
        for (endpoint_id,) in endpoints {
            tx!(&mut *tx, c => sqlx::query(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event, body, status, \
                 attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7)",
            )
            .bind(new_id())
            .bind(endpoint_id)
            .bind(&event_id)
            .bind(event)
            .bind(&body)
            .bind(now.timestamp_millis())
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(true)
    }
}
