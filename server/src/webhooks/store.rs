//! Webhook endpoints and the delivery queue, on either backend. The queries
//! are the same for both; [`on_pool!`] runs one body per pool type.

use chrono::{DateTime, Utc};
use lantern_shared::api::{Webhook, WebhookDelivery};

use crate::{
    db::Pool,
    store::{StoreError, StoreResult, new_id, rows_rfc3339},
};

/// Runs `$body` with `$p` bound to the concrete pool.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

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
            created_at: rows_rfc3339(self.created_at),
        }
    }
}

type EndpointRow = (String, String, String, String, String, DateTime<Utc>);

fn endpoint(r: EndpointRow) -> Endpoint {
    Endpoint {
        id: r.0,
        site_id: r.1,
        url: r.2,
        secret: r.3,
        events: r
            .4
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: r.5,
    }
}

/// A claimed delivery, ready to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub event_id: String,
    pub body: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

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
                .then(|| DateTime::from_timestamp_millis(r.next_attempt_at).map(rows_rfc3339))
                .flatten(),
            delivered_at: r.delivered_at.map(rows_rfc3339),
            created_at: rows_rfc3339(r.created_at),
        }
    }
}

const ENDPOINT_COLUMNS: &str = "id, site_id, url, secret, events, created_at";

/// Storage of endpoints and deliveries.
#[derive(Clone, Debug)]
pub struct WebhookStore {
    pool: Pool,
}

impl WebhookStore {
    pub fn new(pool: Pool) -> WebhookStore {
        WebhookStore { pool }
    }

    pub async fn create(
        &self,
        site_id: &str,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> StoreResult<Endpoint> {
        let e = Endpoint {
            id: new_id(),
            site_id: site_id.to_string(),
            url: url.to_string(),
            secret: secret.to_string(),
            events: events.to_vec(),
            created_at: Utc::now(),
        };
        let sql = "INSERT INTO webhook_endpoints (id, site_id, url, secret, events, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        // Stored as ",a,b," so that `LIKE '%,a,%'` finds subscribers.
        let events = format!(",{},", e.events.join(","));
        on_pool!(&self.pool, p => sqlx::query(sql)
            .bind(&e.id).bind(&e.site_id).bind(&e.url).bind(&e.secret).bind(&events).bind(e.created_at)
            .execute(p).await.map(|_| ()))?;
        Ok(e)
    }

    pub async fn list(&self, site_id: &str) -> StoreResult<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 ORDER BY id"
        );
        let rows: Vec<EndpointRow> =
            on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(site_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    /// The endpoint `id` of `site_id`.
    pub async fn get(&self, site_id: &str, id: &str) -> StoreResult<Endpoint> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 AND id = $2"
        );
        let row: Option<EndpointRow> = on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(site_id).bind(id).fetch_optional(p).await)?;
        row.map(endpoint).ok_or(StoreError::NotFound)
    }

    /// Deletes the endpoint and its delivery log.
    pub async fn delete(&self, site_id: &str, id: &str) -> StoreResult<()> {
        let sql = "DELETE FROM webhook_endpoints WHERE site_id = $1 AND id = $2";
        let n = on_pool!(&self.pool, p => sqlx::query(sql).bind(site_id).bind(id).execute(p).await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The newest `limit` deliveries of an endpoint.
    pub async fn deliveries(
        &self,
        endpoint_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let sql = "SELECT id, event_id, event, status, attempts, last_status_code, last_error, \
                   next_attempt_at, delivered_at, created_at FROM webhook_deliveries \
                   WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2";
        let rows: Vec<DeliveryRow> = on_pool!(&self.pool, p => sqlx::query_as(sql)
            .bind(endpoint_id).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Claims up to `limit` due deliveries for `lease_ms`. Each claim is one
    /// conditional UPDATE, so of several instances racing for a row exactly
    /// one wins (on both backends); a crashed sender's lease simply expires.
    pub async fn claim_due(&self, limit: i64, lease_ms: i64) -> StoreResult<Vec<Claimed>> {
        let now = Utc::now().timestamp_millis();
        let due = "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                   AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at LIMIT $2";
        let ids: Vec<(String,)> = on_pool!(&self.pool, p => sqlx::query_as(due)
            .bind(now).bind(limit).fetch_all(p).await)?;
        let claim = "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
                     WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3 \
                     AND (locked_until IS NULL OR locked_until < $3)";
        let read = "SELECT d.id, d.event_id, d.body, d.attempts, e.url, e.secret FROM webhook_deliveries d \
                    JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1";
        let mut claimed = Vec::new();
        for (id,) in ids {
            let won = on_pool!(&self.pool, p => sqlx::query(claim)
                .bind(&id).bind(now + lease_ms).bind(now).execute(p).await
                .map(|r| r.rows_affected()))?;
            if won == 0 {
                continue;
            }
            let row: Option<(String, String, String, i64, String, String)> =
                on_pool!(&self.pool, p => sqlx::query_as(read).bind(&id).fetch_optional(p).await)?;
            if let Some((id, event_id, body, attempts, url, secret)) = row {
                claimed.push(Claimed {
                    id,
                    event_id,
                    body,
                    attempts,
                    url,
                    secret,
                });
            }
        }
        Ok(claimed)
    }

    /// Records a successful attempt.
    pub async fn delivered(&self, id: &str, status_code: u16) -> StoreResult<()> {
        let sql = "UPDATE webhook_deliveries SET status = 'delivered', last_status_code = $2, \
                   last_error = NULL, locked_until = NULL, delivered_at = $3 WHERE id = $1";
        on_pool!(&self.pool, p => sqlx::query(sql)
            .bind(id).bind(i64::from(status_code)).bind(Utc::now()).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at_ms`, or `failed` when
    /// `retry_at_ms` is `None`.
    pub async fn attempt_failed(
        &self,
        id: &str,
        status_code: Option<u16>,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> StoreResult<()> {
        let sql = "UPDATE webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4, \
                   next_attempt_at = $5, locked_until = NULL WHERE id = $1";
        let status = if retry_at_ms.is_some() {
            "pending"
        } else {
            "failed"
        };
        let next = retry_at_ms.unwrap_or_else(|| Utc::now().timestamp_millis());
        on_pool!(&self.pool, p => sqlx::query(sql)
            .bind(id).bind(status).bind(status_code.map(i64::from)).bind(error).bind(next)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}
