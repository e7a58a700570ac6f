//! A visitor's export and erasure, a conversation's deletion, and the
//! retention rules, above the storage layer: what the API, the command line
//! and the housekeeping job share. Deleting ends the live streams of the
//! conversations that went (on every instance, through the hub).

use chrono::{DateTime, Utc};
use lantern_shared::{
    api::Author,
    privacy::{ExportedFeedback, ExportedVisitor, VisitorExport},
    visitors::Memory,
};

use crate::{
    db::{self, Db, Erased, rfc3339},
    events::{EventHub, LiveEvent, REVOKED},
};

/// Everything held about `visitor_id` of `site_id`.
pub async fn export(db: &Db, site_id: &str, visitor_id: &str) -> db::Result<VisitorExport> {
    let v = db.visitor_profile(site_id, visitor_id).await?.ok_or(db::Error::NotFound)?;
    let mut conversations = Vec::new();
    let mut feedback = Vec::new();
    let mut attachments = Vec::new();
    for c in db.visitor_conversations(&v.id).await? {
        for a in db.conversation_attachments(&c.id).await? {
            let mut shown = serde_json::to_value(a.to_api()).unwrap_or_default();
            shown["conversation_id"] = c.id.clone().into();
            shown["message_id"] = a.message_id.clone().into();
            shown["created_at"] = rfc3339(a.created_at).into();
            attachments.push(shown);
        }
        let messages = db.messages(&c.id, 0, i64::MAX, true).await?;
        feedback.extend(db.feedback_of(&c.id).await?.into_iter().map(|f| ExportedFeedback {
            message_id: f.message_id,
            rating: f.rating,
            comment: f.comment,
            created_at: rfc3339(f.created_at),
        }));
        conversations.push(c.to_api(Some(messages)));
    }
    let memories = db
        .memories(&v.id, i64::MAX)
        .await?
        .into_iter()
        .map(|m| Memory {
            id: m.id,
            content: m.content,
            source: m.source,
            author: m.author_id.map(|id| Author {
                id,
                name: m.author_name.unwrap_or_default(),
            }),
            created_at: rfc3339(m.created_at),
        })
        .collect();
    Ok(VisitorExport {
        exported_at: rfc3339(Utc::now()),
        visitor: ExportedVisitor {
            id: v.id,
            site_id: site_id.to_string(),
            user_id: v.external_user_id,
            name: v.name,
            email: v.email,
            contact_email: v.contact_email,
            attributes: v.attributes.0,
            user_agent: v.user_agent,
            time_zone: v.time_zone,
            created_at: rfc3339(v.created_at),
            last_seen_at: v.last_seen_at.map(rfc3339),
            anonymised_at: v.anonymised_at.map(rfc3339),
        },
        conversations,
        feedback,
        memories,
        attachments,
    })
}

/// Erases the visitor and everything about them, logs it under `actor`,
/// and ends their open streams.
pub async fn erase(
    db: &Db,
    hub: Option<&EventHub>,
    site_id: &str,
    visitor_id: &str,
    actor: &str,
) -> db::Result<Erased> {
    let erased = db.erase_visitor(site_id, visitor_id, actor).await?;
    if let Some(hub) = hub {
        end_streams(hub, &erased.conversation_ids);
    }
    tracing::info!(
        site_id,
        actor,
        conversations = erased.conversation_ids.len(),
        messages = erased.messages,
        "visitor erased"
    );
    Ok(erased)
}

/// Deletes one conversation and ends its streams.
pub async fn delete_conversation(db: &Db, hub: &EventHub, id: &str) -> db::Result<i64> {
    let messages = db.delete_conversation(id).await?;
    end_streams(hub, &[id.to_string()]);
    Ok(messages)
}

/// Ends the streams `visitor_id` holds open on their conversations, here
/// and on other instances (their tokens were revoked).
pub async fn end_visitor_streams(db: &Db, hub: &EventHub, visitor_id: &str) -> db::Result<()> {
    end_streams_of(db, hub, visitor_id, visitor_id).await
}

/// Ends the streams `visitor_id` holds on the conversations `owner_id` has
/// now (itself, or the visitor its conversations moved to).
pub async fn end_streams_of(db: &Db, hub: &EventHub, visitor_id: &str, owner_id: &str) -> db::Result<()> {
    for c in db.visitor_conversations(owner_id).await? {
        hub.publish(LiveEvent::new(
            c.id,
            None,
            REVOKED,
            serde_json::json!({"visitor_id": visitor_id}),
        ));
    }
    Ok(())
}

/// Tells every stream of these conversations (here and on other
/// instances) that they are gone.
fn end_streams(hub: &EventHub, conversation_ids: &[String]) {
    for id in conversation_ids {
        hub.publish(LiveEvent::new(
            id.clone(),
            None,
            REVOKED,
            serde_json::json!({"conversation_id": id}),
        ));
    }
}

/// One round of every site's retention rule as of `now`: closed
/// conversations past their days deleted (their streams ended), inactive
/// visitors anonymised, in the housekeeping job's bounded batches.
pub async fn retention_round(db: &Db, hub: &EventHub, now: DateTime<Utc>) {
    use crate::prune::{BATCH, drain};
    let rules = match db.retention_rules().await {
        Ok(rules) => rules,
        Err(e) => {
            tracing::warn!(error = %e, "retention: could not read the rules; retried next round");
            return;
        }
    };
    let before = |days: i32| now - chrono::Duration::days(i64::from(days));
    for (site_id, rule) in rules {
        if let Some(days) = rule.closed_days {
            drain("closed_conversations", || async {
                let ids = db.delete_closed_before(&site_id, before(days), BATCH).await?;
                end_streams(hub, &ids);
                Ok(ids.len() as u64)
            })
            .await;
        }
        if let Some(days) = rule.inactive_days {
            drain("anonymised_visitors", || {
                db.anonymise_inactive(&site_id, before(days), BATCH)
            })
            .await;
        }
    }
}
