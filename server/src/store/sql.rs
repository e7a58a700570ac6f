//! The SQL both backends run. SQLite and Postgres agree on everything used
//! here (`$N` parameters, `RETURNING`, `ON CONFLICT`, `CAST`), so the
//! implementation is written once and stamped out per backend by
//! [`impl_store!`]; column types differ only in the migrations.

/// Implements [`super::Store`] for `$store`, whose `pool` is a `sqlx::Pool<$db>`.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn pool_stats(&self) -> (u32, u32) {
                (self.pool.size(), self.pool.num_idle() as u32)
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_site(&self, site: &Site, admin_key_hash: &str) -> StoreResult<()> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO sites (id, name, bot_name, welcome_message, languages, theme_color, \
                     allowed_origins, identity_secret, identity_required, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&site.id)
                .bind(&site.name)
                .bind(&site.bot_name)
                .bind(&site.welcome_message)
                .bind(Json(&site.languages))
                .bind(&site.theme_color)
                .bind(Json(&site.allowed_origins))
                .bind(&site.identity_secret)
                .bind(site.identity_required)
                .bind(now)
                .execute(&mut *tx)
                .await;
                if let Err(e) = inserted {
                    return Err(unique_to_conflict(e, "a site with this id already exists"));
                }
                sqlx::query("INSERT INTO api_keys (id, site_id, key_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(new_id())
                    .bind(&site.id)
                    .bind(admin_key_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn site(&self, id: &str) -> StoreResult<Option<Site>> {
                let row: Option<SiteRow> =
                    sqlx::query_as(&format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Site::from))
            }

            async fn site_count(&self) -> StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sites")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn update_site(&self, site: &Site) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE sites SET name = $2, bot_name = $3, welcome_message = $4, languages = $5, \
                     theme_color = $6, allowed_origins = $7, identity_required = $8, updated_at = $9 WHERE id = $1",
                )
                .bind(&site.id)
                .bind(&site.name)
                .bind(&site.bot_name)
                .bind(&site.welcome_message)
                .bind(Json(&site.languages))
                .bind(&site.theme_color)
                .bind(Json(&site.allowed_origins))
                .bind(site.identity_required)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn rotate_admin_key(&self, site_id: &str, new_key_hash: &str) -> StoreResult<()> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE site_id = $1 AND revoked_at IS NULL")
                    .bind(site_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO api_keys (id, site_id, key_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(new_id())
                    .bind(site_id)
                    .bind(new_key_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_identity_secret(&self, site_id: &str, secret: &str) -> StoreResult<()> {
                sqlx::query("UPDATE sites SET identity_secret = $2, updated_at = $3 WHERE id = $1")
                    .bind(site_id)
                    .bind(secret)
                    .bind(Utc::now())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn origin_known(&self, origin: &str) -> StoreResult<bool> {
                let rows: Vec<(Json<Vec<String>>,)> = sqlx::query_as("SELECT allowed_origins FROM sites")
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().any(|(o,)| o.0.iter().any(|o| o == origin || o == "*")))
            }

            async fn site_by_admin_key(&self, key_hash: &str) -> StoreResult<Option<Site>> {
                let row: Option<SiteRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM sites s JOIN api_keys k ON k.site_id = s.id \
                     WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
                    SITE_COLUMNS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ")
                ))
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Site::from))
            }

            async fn issue_visitor(
                &self,
                site_id: &str,
                external_user_id: Option<&str>,
                token_hash: &str,
                expires_at: DateTime<Utc>,
            ) -> StoreResult<Visitor> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                // A verified user keeps one visitor across devices.
                let existing: Option<(String,)> = match external_user_id {
                    Some(user) => {
                        sqlx::query_as("SELECT id FROM visitors WHERE site_id = $1 AND external_user_id = $2")
                            .bind(site_id)
                            .bind(user)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    None => None,
                };
                let id = match existing {
                    Some((id,)) => id,
                    None => {
                        let id = new_id();
                        sqlx::query(
                            "INSERT INTO visitors (id, site_id, external_user_id, created_at) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&id)
                        .bind(site_id)
                        .bind(external_user_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                };
                sqlx::query(
                    "INSERT INTO visitor_tokens (token_hash, visitor_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(&id)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Visitor {
                    id,
                    site_id: site_id.to_string(),
                    external_user_id: external_user_id.map(str::to_string),
                })
            }

            async fn add_visitor_token(&self, visitor_id: &str, token_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO visitor_tokens (token_hash, visitor_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(visitor_id)
                .bind(expires_at)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn visitor_by_token(&self, token_hash: &str) -> StoreResult<Option<Visitor>> {
                let row: Option<(String, String, Option<String>)> = sqlx::query_as(
                    "SELECT v.id, v.site_id, v.external_user_id FROM visitor_tokens t \
                     JOIN visitors v ON v.id = t.visitor_id WHERE t.token_hash = $1 AND t.expires_at > $2",
                )
                .bind(token_hash)
                .bind(Utc::now())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, site_id, external_user_id)| Visitor { id, site_id, external_user_id }))
            }

            async fn create_conversation(&self, new: &NewConversation) -> StoreResult<ConversationRecord> {
                let now = Utc::now();
                // One transaction: the conversation and its webhook deliveries.
                let mut tx = self.pool.begin().await?;
                let row: ConversationRow = sqlx::query_as(&format!(
                    "INSERT INTO conversations (id, site_id, visitor_id, status, language, metadata, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'open', $4, $5, $6, $6) RETURNING {CONVERSATION_COLUMNS}"
                ))
                .bind(new_id())
                .bind(&new.site_id)
                .bind(&new.visitor_id)
                .bind(&new.language)
                .bind(Json(&new.metadata))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let record: ConversationRecord = row.into();
                let queued = enqueue_webhooks(
                    &mut tx,
                    &record.site_id,
                    $crate::webhooks::CONVERSATION_CREATED,
                    conversation_data(&record),
                    now,
                )
                .await?;
                tx.commit().await?;
                $crate::webhooks::wake_if(queued);
                Ok(record)
            }

            async fn conversation(&self, id: &str) -> StoreResult<Option<ConversationRecord>> {
                let row: Option<ConversationRow> =
                    sqlx::query_as(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn list_conversations(
                &self,
                site_id: &str,
                visitor_id: Option<&str>,
                status: Option<ConversationStatus>,
                before: Option<&str>,
                limit: i64,
            ) -> StoreResult<Vec<ConversationRecord>> {
                let rows: Vec<ConversationRow> = sqlx::query_as(&format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site_id = $1 \
                     AND (CAST($2 AS TEXT) IS NULL OR visitor_id = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
                     AND (CAST($4 AS TEXT) IS NULL OR id < $4) \
                     ORDER BY id DESC LIMIT $5"
                ))
                .bind(site_id)
                .bind(visitor_id)
                .bind(status.map(|s| s.as_str()))
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn append_message(&self, conversation_id: &str, new: &NewMessage) -> StoreResult<Appended> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                // Write first: this takes the conversation's row lock (Postgres)
                // or the database write lock (SQLite) before any read, so the
                // counters are handed out one at a time and SQLite never has to
                // upgrade a read transaction (which can fail with BUSY).
                let counters: Option<(i64, i64, String, String)> = sqlx::query_as(
                    "UPDATE conversations SET last_seq = last_seq + 1, last_event_id = last_event_id + 1, \
                     updated_at = $2 WHERE id = $1 RETURNING last_seq, last_event_id, status, site_id",
                )
                .bind(conversation_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((seq, event_id, status, site_id)) = counters else {
                    return Err(StoreError::NotFound);
                };
                if let Some(client_id) = &new.client_message_id {
                    let existing: Option<MessageRow> = sqlx::query_as(&format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_message_id = $2"
                    ))
                    .bind(conversation_id)
                    .bind(client_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = existing {
                        // Undo the counter bump: seqs stay gap-free.
                        tx.rollback().await?;
                        return Ok(Appended { message: row.into(), event: None });
                    }
                }
                if status == "closed" {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict("the conversation is closed".into()));
                }
                let row: MessageRow = sqlx::query_as(&format!(
                    "INSERT INTO messages (id, conversation_id, seq, role, content, html, citations, incomplete, \
                     client_message_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     RETURNING {MESSAGE_COLUMNS}"
                ))
                .bind(new_id())
                .bind(conversation_id)
                .bind(seq)
                .bind(new.role.as_str())
                .bind(&new.content)
                .bind(&new.html)
                .bind(Json(&new.citations))
                .bind(new.incomplete)
                .bind(&new.client_message_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let message: Message = row.into();
                let event = insert_event(
                    &mut tx,
                    conversation_id,
                    event_id,
                    lantern_shared::event::kind::MESSAGE_CREATED,
                    serde_json::to_value(&message).map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
                    now,
                )
                .await?;
                let queued = enqueue_webhooks(
                    &mut tx,
                    &site_id,
                    $crate::webhooks::MESSAGE_CREATED,
                    event.data.clone(),
                    now,
                )
                .await?;
                tx.commit().await?;
                $crate::webhooks::wake_if(queued);
                Ok(Appended { message, event: Some(event) })
            }

            async fn messages(&self, conversation_id: &str, after_seq: i64, limit: i64) -> StoreResult<Vec<Message>> {
                let rows: Vec<MessageRow> = sqlx::query_as(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 \
                     ORDER BY seq LIMIT $3"
                ))
                .bind(conversation_id)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn message(&self, id: &str) -> StoreResult<Option<Message>> {
                let row: Option<MessageRow> =
                    sqlx::query_as(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn set_status(
                &self,
                conversation_id: &str,
                status: ConversationStatus,
            ) -> StoreResult<(ConversationRecord, Option<StoredEvent>)> {
                let now = Utc::now();
                let mut tx = self.pool.begin().await?;
                let changed: Option<(i64,)> = sqlx::query_as(
                    "UPDATE conversations SET status = $2, last_event_id = last_event_id + 1, updated_at = $3 \
                     WHERE id = $1 AND status <> $2 RETURNING last_event_id",
                )
                .bind(conversation_id)
                .bind(status.as_str())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let event = match changed {
                    Some((event_id,)) => {
                        let data = serde_json::json!({"conversation_id": conversation_id, "status": status});
                        Some(
                            insert_event(
                                &mut tx,
                                conversation_id,
                                event_id,
                                lantern_shared::event::kind::STATUS_CHANGED,
                                data,
                                now,
                            )
                            .await?,
                        )
                    }
                    None => None,
                };
                let row: Option<ConversationRow> =
                    sqlx::query_as(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
                        .bind(conversation_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let record: ConversationRecord = row.ok_or(StoreError::NotFound)?.into();
                let mut queued = false;
                if event.is_some() && status == ConversationStatus::Handoff {
                    queued = enqueue_webhooks(
                        &mut tx,
                        &record.site_id,
                        $crate::webhooks::CONVERSATION_HANDOFF,
                        conversation_data(&record),
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                $crate::webhooks::wake_if(queued);
                Ok((record, event))
            }

            async fn events_after(&self, conversation_id: &str, after_id: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
                let rows: Vec<EventRow> = sqlx::query_as(
                    "SELECT conversation_id, id, kind, data FROM events WHERE conversation_id = $1 AND id > $2 \
                     ORDER BY id LIMIT $3",
                )
                .bind(conversation_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| StoredEvent { conversation_id: r.conversation_id, id: r.id, kind: r.kind, data: r.data.0 })
                    .collect())
            }

            async fn put_feedback(&self, message_id: &str, rating: Rating, comment: Option<&str>) -> StoreResult<Feedback> {
                let now = Utc::now();
                // One verdict per message: a second vote replaces the first.
                sqlx::query(
                    "INSERT INTO feedback (message_id, rating, comment, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, \
                     comment = excluded.comment, created_at = excluded.created_at",
                )
                .bind(message_id)
                .bind(rating.as_str())
                .bind(comment)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(Feedback {
                    message_id: message_id.to_string(),
                    rating,
                    comment: comment.map(str::to_string),
                    created_at: rfc3339(now),
                })
            }
        }

        async fn insert_event(
            tx: &mut sqlx::Transaction<'_, $db>,
            conversation_id: &str,
            id: i64,
            kind: &str,
            data: serde_json::Value,
            now: DateTime<Utc>,
        ) -> Result<StoredEvent, sqlx::Error> {
            sqlx::query("INSERT INTO events (conversation_id, id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(conversation_id)
                .bind(id)
                .bind(kind)
                .bind(Json(&data))
                .bind(now)
                .execute(&mut **tx)
                .await?;
            Ok(StoredEvent { conversation_id: conversation_id.to_string(), id, kind: kind.to_string(), data })
        }

        /// Queues one webhook delivery of `event` per endpoint of the site
        /// subscribed to it, inside the caller's transaction (so an event is
        /// queued exactly when its write commits). True when any was queued.
        async fn enqueue_webhooks(
            tx: &mut sqlx::Transaction<'_, $db>,
            site_id: &str,
            event: &str,
            data: serde_json::Value,
            now: DateTime<Utc>,
        ) -> Result<bool, sqlx::Error> {
            let endpoints: Vec<(String,)> =
                sqlx::query_as("SELECT id FROM webhook_endpoints WHERE site_id = $1 AND events LIKE $2")
                    .bind(site_id)
                    .bind(format!("%,{event},%"))
                    .fetch_all(&mut **tx)
                    .await?;
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
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event, body, status, attempts, \
                     next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7)",
                )
                .bind(new_id())
                .bind(endpoint_id)
                .bind(&event_id)
                .bind(event)
                .bind(&body)
                .bind(now.timestamp_millis())
                .bind(now)
                .execute(&mut **tx)
                .await?;
            }
            Ok(true)
        }

        /// A conversation as webhook payload (the API shape, without messages).
        fn conversation_data(c: &ConversationRecord) -> serde_json::Value {
            serde_json::to_value($crate::chat::to_api(c.clone(), None)).unwrap_or_default()
        }
    };
}

pub(crate) use impl_store;

/// A new time-ordered id (UUIDv7), so ids double as creation-order cursors.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Maps a unique-constraint violation to a conflict with `message`.
pub fn unique_to_conflict(e: sqlx::Error, message: &str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            super::StoreError::Conflict(message.into())
        }
        _ => super::StoreError::Database(e),
    }
}
