//! Sites and their admin keys.

use std::collections::BTreeMap;

use chrono::Utc;
use sqlx::types::Json;

use super::{Db, found, Result, new_id, read, tx, unique_to_conflict, write};
use crate::cache::Scope;

/// A site as the server sees it (the public part is `SiteConfig`).
#[derive(Clone, PartialEq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub bot_name: String,
    /// The welcome for languages without one of their own.
    pub welcome_message: String,
    /// Welcome messages by language tag (`ar`, `fr-CA`, …).
    pub welcome_messages: BTreeMap<String, String>,
    pub languages: Vec<String>,
    pub theme_color: String,
    /// Where the bubble sits: `right` or `left`.
    pub position: String,
    pub allowed_origins: Vec<String>,
    pub identity_secret: Option<String>,
    pub identity_required: bool,
    /// Confidence below which the bot says it does not know; `None`: the
    /// engine's default.
    pub answer_threshold: Option<f64>,
    /// Agents see the visitor's draft under the typing indicator.
    pub typing_preview: bool,
}

impl Site {
    /// The welcome for a conversation in `language`: its own, its primary
    /// language's (`fr` for `fr-CA`), else the default one.
    pub fn welcome_for(&self, language: &str) -> &str {
        let primary = language.split('-').next().unwrap_or(language);
        self.welcome_messages
            .get(language)
            .or_else(|| self.welcome_messages.get(primary))
            .unwrap_or(&self.welcome_message)
    }
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("allowed_origins", &self.allowed_origins)
            .field(
                "identity_secret",
                &self.identity_secret.as_ref().map(|_| "***"),
            )
            .field("identity_required", &self.identity_required)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    name: String,
    bot_name: String,
    welcome_message: String,
    welcome_messages: Json<BTreeMap<String, String>>,
    languages: Json<Vec<String>>,
    theme_color: String,
    position: String,
    allowed_origins: Json<Vec<String>>,
    identity_secret: Option<String>,
    identity_required: bool,
    answer_threshold: Option<f64>,
    typing_preview: bool,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Site {
        Site {
            id: r.id,
            name: r.name,
            bot_name: r.bot_name,
            welcome_message: r.welcome_message,
            welcome_messages: r.welcome_messages.0,
            languages: r.languages.0,
            theme_color: r.theme_color,
            position: r.position,
            allowed_origins: r.allowed_origins.0,
            identity_secret: r.identity_secret,
            identity_required: r.identity_required,
            answer_threshold: r.answer_threshold,
            typing_preview: r.typing_preview,
        }
    }
}

impl Db {
    /// A site from its row, its identity secret opened.
    fn site_from(&self, row: SiteRow) -> Result<Site> {
        let mut site = Site::from(row);
        site.identity_secret = site
            .identity_secret
            .map(|s| self.unseal(&s))
            .transpose()?;
        Ok(site)
    }
}

const SITE_COLUMNS: &str = "s.id, s.name, s.bot_name, s.welcome_message, s.welcome_messages, \
     s.languages, s.theme_color, s.position, s.allowed_origins, s.identity_secret, \
     s.identity_required, s.answer_threshold, s.typing_preview";

impl Db {
    /// Creates a site and its first admin key (by hash) together.
    pub async fn create_site(&self, site: &Site, admin_key_hash: &str) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let inserted = tx!(&mut tx, c => sqlx::query(
            "INSERT INTO sites (id, name, bot_name, welcome_message, languages, theme_color, \
             allowed_origins, identity_secret, identity_required, created_at, updated_at, \
             welcome_messages, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
        )
        .bind(&site.id)
        .bind(&site.name)
        .bind(&site.bot_name)
        .bind(&site.welcome_message)
        .bind(Json(&site.languages))
        .bind(&site.theme_color)
        .bind(Json(&site.allowed_origins))
        .bind(site.identity_secret.as_deref().map(|s| self.seal(s)))
        .bind(site.identity_required)
        .bind(now)
        .bind(Json(&site.welcome_messages))
        .bind(&site.position)
        .execute(c)
        .await
        .map(|r| r.rows_affected()));
        if let Err(e) = inserted {
            return Err(unique_to_conflict(e, "a site with this id already exists"));
        }
        tx!(&mut tx, c => sqlx::query(
            "INSERT INTO api_keys (id, site_id, key_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(&site.id)
        .bind(admin_key_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await
    }

    pub async fn site(&self, id: &str) -> Result<Option<Site>> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM sites s WHERE s.id = $1");
        let row: Option<SiteRow> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(|r| self.site_from(r)).transpose()
    }

    pub async fn site_count(&self) -> Result<i64> {
        let (n,): (i64,) =
            read!(self, p => sqlx::query_as("SELECT COUNT(*) FROM sites").fetch_one(p).await)?;
        Ok(n)
    }

    /// Replaces a site's editable settings (everything but id and secrets).
    pub async fn update_site(&self, site: &Site) -> Result<()> {
        let changed = write!(self, p => sqlx::query(
            "UPDATE sites SET name = $2, bot_name = $3, welcome_message = $4, languages = $5, \
             theme_color = $6, allowed_origins = $7, identity_required = $8, updated_at = $9, \
             welcome_messages = $10, position = $11, answer_threshold = $12, \
             typing_preview = $13 WHERE id = $1",
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
        .bind(Json(&site.welcome_messages))
        .bind(&site.position)
        .bind(site.answer_threshold)
        .bind(site.typing_preview)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        found(changed)?;
        self.invalidate(&[Scope::Site(site.id.clone())]).await;
        Ok(())
    }

    /// Revokes every admin key of the site and stores the new one's hash.
    pub async fn rotate_admin_key(&self, site_id: &str, new_key_hash: &str) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx!(&mut tx, c => sqlx::query(
            "UPDATE api_keys SET revoked_at = $2 WHERE site_id = $1 AND revoked_at IS NULL",
        )
        .bind(site_id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx!(&mut tx, c => sqlx::query(
            "INSERT INTO api_keys (id, site_id, key_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(site_id)
        .bind(new_key_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        // Admin callers are cached under their site: the old keys stop now.
        self.invalidate(&[Scope::Site(site_id.into())]).await;
        Ok(())
    }

    pub async fn set_identity_secret(&self, site_id: &str, secret: &str) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE sites SET identity_secret = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(site_id)
        .bind(self.seal(secret))
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        self.invalidate(&[Scope::Site(site_id.into())]).await;
        Ok(())
    }

    /// The site an unrevoked admin key (by its hash) belongs to.
    pub async fn site_by_admin_key(&self, key_hash: &str) -> Result<Option<Site>> {
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM sites s JOIN api_keys k ON k.site_id = s.id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        );
        let row: Option<SiteRow> =
            read!(self, p => sqlx::query_as(&sql).bind(key_hash).fetch_optional(p).await)?;
        row.map(|r| self.site_from(r)).transpose()
    }
}
