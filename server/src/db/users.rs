//! People: users, their memberships (role per site), one-time sign-in links
//! and invites. The last owner of a site is protected here, inside the
//! transaction that would remove or demote them.

use chrono::{DateTime, Utc};

use super::{Db, found, Error, Result, Tx, new_id, read, tx, unique_to_conflict, write};
use crate::cache::Scope;

/// A user as stored. `password_hash` is `None` until a password is set (an
/// owner created with a one-time link).
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    /// Sessions carry the epoch they were made in; bumping it ends them all.
    pub session_epoch: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: Option<String>,
    session_epoch: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            session_epoch: r.session_epoch,
        }
    }
}

/// One site a user belongs to.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MembershipRow {
    pub site_id: String,
    pub site_name: String,
    pub role: String,
}

/// A member of a site, for the team list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

/// What an accepted invite grants.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteGrant {
    pub site_id: String,
    pub email: String,
    pub role: String,
}

const USER_COLUMNS: &str = "id, email, name, password_hash, session_epoch";

/// The key emails are unique by: lower-cased, trimmed.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Db {
    /// Creates a user; 409 when the email (any case) is taken.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        password_hash: Option<&str>,
    ) -> Result<User> {
        let user = User {
            id: new_id(),
            email: email.trim().to_string(),
            name: name.to_string(),
            password_hash: password_hash.map(str::to_string),
            session_epoch: 0,
        };
        let done = write!(self, p => sqlx::query(
            "INSERT INTO users (id, email, email_key, name, password_hash, session_epoch, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(email_key(email))
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()));
        done.map_err(|e| unique_to_conflict(e, "a user with this email already exists"))?;
        Ok(user)
    }

    pub async fn user(&self, id: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(User::from))
    }

    /// The user with `email`, compared case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email_key = $1");
        let row: Option<UserRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(email_key(email))
            .fetch_optional(p)
            .await)?;
        Ok(row.map(User::from))
    }

    /// Changes name, email and/or password hash (`None` leaves a field).
    pub async fn update_user(
        &self,
        id: &str,
        name: Option<&str>,
        email: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<()> {
        let changed = write!(self, p => sqlx::query(
            "UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email), \
             email_key = COALESCE($4, email_key), password_hash = COALESCE($5, password_hash) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(email.map(str::trim))
        .bind(email.map(email_key))
        .bind(password_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| unique_to_conflict(e, "a user with this email already exists"))?;
        found(changed)?;
        self.invalidate(&[Scope::User(id.into())]).await;
        Ok(())
    }

    /// Ends every session of the user ("sign out everywhere").
    pub async fn bump_session_epoch(&self, user_id: &str) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1",
        )
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        // Sessions check the cached user's epoch: they end here.
        self.invalidate(&[Scope::User(user_id.into())]).await;
        Ok(())
    }

    /// Every site the user belongs to, with its name.
    pub async fn memberships(&self, user_id: &str) -> Result<Vec<MembershipRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT m.site_id, s.name AS site_name, m.role FROM memberships m \
             JOIN sites s ON s.id = m.site_id WHERE m.user_id = $1 ORDER BY m.created_at, m.site_id",
        )
        .bind(user_id)
        .fetch_all(p)
        .await)?)
    }

    /// The user's role on `site_id`, if a member.
    pub async fn role_on(&self, user_id: &str, site_id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = read!(self, p => sqlx::query_as(
            "SELECT role FROM memberships WHERE user_id = $1 AND site_id = $2",
        )
        .bind(user_id)
        .bind(site_id)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(r,)| r))
    }

    /// Makes the user a member of the site with `role` (or changes the role
    /// of an existing membership upward only when asked through `set_role`).
    pub async fn add_member(&self, user_id: &str, site_id: &str, role: &str) -> Result<()> {
        write!(self, p => sqlx::query(
            "INSERT INTO memberships (user_id, site_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(site_id)
        .bind(role)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| unique_to_conflict(e, "this person is already a member of the site"))?;
        Ok(())
    }

    pub async fn members(&self, site_id: &str) -> Result<Vec<MemberRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.name, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.site_id = $1 ORDER BY m.created_at, u.id",
        )
        .bind(site_id)
        .fetch_all(p)
        .await)?)
    }

    /// Changes a member's role, or removes them (`role: None`). Refuses (409)
    /// to leave the site without an owner.
    pub async fn change_member(
        &self,
        site_id: &str,
        user_id: &str,
        role: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        if let Tx::Postgres(t) = &mut tx {
            // Serialises owner changes per site on Postgres (SQLite has one
            // writer), so two owners cannot demote each other at once.
            sqlx::query("SELECT id FROM sites WHERE id = $1 FOR UPDATE")
                .bind(site_id)
                .execute(&mut **t)
                .await?;
        }
        let current: Option<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT role FROM memberships WHERE site_id = $1 AND user_id = $2",
        )
        .bind(site_id)
        .bind(user_id)
        .fetch_optional(c)
        .await)?;
        let Some((current,)) = current else {
            return Err(Error::NotFound);
        };
        if current == "owner" && role != Some("owner") {
            let (owners,): (i64,) = tx!(&mut tx, c => sqlx::query_as(
                "SELECT COUNT(*) FROM memberships WHERE site_id = $1 AND role = 'owner'",
            )
            .bind(site_id)
            .fetch_one(c)
            .await)?;
            if owners <= 1 {
                return Err(Error::Conflict(
                    "the site's last owner cannot be removed or demoted; make someone else an owner first"
                        .into(),
                ));
            }
        }
        match role {
            Some(role) => tx!(&mut tx, c => sqlx::query(
                "UPDATE memberships SET role = $3 WHERE site_id = $1 AND user_id = $2",
            )
            .bind(site_id)
            .bind(user_id)
            .bind(role)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?,
            None => tx!(&mut tx, c => sqlx::query(
                "DELETE FROM memberships WHERE site_id = $1 AND user_id = $2",
            )
            .bind(site_id)
            .bind(user_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?,
        };
        tx.commit().await?;
        // Their cached role (and so their session's powers) ends here.
        self.invalidate(&[Scope::User(user_id.into())]).await;
        Ok(())
    }

    /// Stores a one-time sign-in link (by its token's hash).
    pub async fn create_sign_in_link(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        write!(self, p => sqlx::query(
            "INSERT INTO sign_in_links (token_hash, user_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Spends a sign-in link: the user it signs in, if the link is unused and
    /// unexpired. One conditional update, so a link works exactly once.
    pub async fn use_sign_in_link(&self, token_hash: &str) -> Result<Option<String>> {
        let now = Utc::now();
        let row: Option<(String,)> = write!(self, p => sqlx::query_as(
            "UPDATE sign_in_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(u,)| u))
    }

    /// Stores an invite (by its token's hash).
    pub async fn create_invite(
        &self,
        site_id: &str,
        email: &str,
        role: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        invite_url: &str,
    ) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx!(&mut tx, c => sqlx::query(
            "INSERT INTO invites (token_hash, site_id, email, role, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(site_id)
        .bind(email.trim())
        .bind(role)
        .bind(expires_at)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        // Teams without a mail server learn of the link this way; the
        // delivery is signed like every webhook.
        let data = serde_json::json!({
            "site_id": site_id,
            "email": email.trim(),
            "role": role,
            "invite_url": invite_url,
            "expires_at": super::rfc3339(expires_at),
        });
        let queued = self
            .enqueue_webhooks(&mut tx, site_id, super::webhooks::MEMBER_INVITED, data, now)
            .await?;
        tx.commit().await?;
        self.deliveries_queued(queued);
        Ok(())
    }

    /// A site's invites not yet accepted nor expired, newest first:
    /// (email, role, expires_at, created_at).
    pub async fn pending_invites(
        &self,
        site_id: &str,
    ) -> Result<Vec<(String, String, DateTime<Utc>, DateTime<Utc>)>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT email, role, expires_at, created_at FROM invites \
             WHERE site_id = $1 AND accepted_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC LIMIT 100",
        )
        .bind(site_id)
        .bind(Utc::now())
        .fetch_all(p)
        .await)?)
    }

    /// An unused, unexpired invite.
    pub async fn pending_invite(&self, token_hash: &str) -> Result<Option<InviteGrant>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT site_id, email, role FROM invites \
             WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_optional(p)
        .await)?)
    }

    /// Accepts an invite for `user_id` in one transaction: marks it used
    /// (only if still pending) and adds the membership. `NotFound` when the
    /// invite was spent meanwhile.
    pub async fn accept_invite(&self, token_hash: &str, user_id: &str) -> Result<InviteGrant> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let grant: Option<InviteGrant> = tx!(&mut tx, c => sqlx::query_as(
            "UPDATE invites SET accepted_at = $2 \
             WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2 \
             RETURNING site_id, email, role",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await)?;
        let grant = grant.ok_or(Error::NotFound)?;
        let added = tx!(&mut tx, c => sqlx::query(
            "INSERT INTO memberships (user_id, site_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(&grant.site_id)
        .bind(&grant.role)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()));
        added.map_err(|e| unique_to_conflict(e, "this person is already a member of the site"))?;
        tx.commit().await?;
        Ok(grant)
    }
}
