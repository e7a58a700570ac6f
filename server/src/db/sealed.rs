//! Re-sealing stored secrets with the current key (`lantern secrets
//! rotate`): after it, the old keys can be dropped from the settings.

use super::{Db, Result, read, write};

/// The columns that hold sealed secrets: (table, key column, secret column).
const SEALED: [(&str, &str, &str); 2] = [
    ("sites", "id", "identity_secret"),
    ("webhook_endpoints", "id", "secret"),
];

impl Db {
    /// Fails when a stored secret does not open with the configured keys,
    /// so that a server missing its key stops at start-up with a reason
    /// rather than failing each webhook and identity check later.
    pub async fn check_secrets(&self) -> Result<()> {
        for (table, _, column) in SEALED {
            let select = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
            let rows: Vec<(String,)> =
                read!(self, p => sqlx::query_as(&select).fetch_all(p).await)?;
            for (stored,) in rows {
                self.unseal(&stored)?;
            }
        }
        Ok(())
    }

    /// Seals every stored secret with the current key (plaintext ones
    /// too); returns how many changed. Fails, changing nothing further,
    /// on a secret no configured key opens.
    pub async fn reseal_secrets(&self) -> Result<u64> {
        let Some(sealer) = self.sealer.clone() else {
            return Ok(0);
        };
        let mut changed = 0;
        for (table, key, column) in SEALED {
            let select = format!("SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL");
            let rows: Vec<(String, String)> =
                read!(self, p => sqlx::query_as(&select).fetch_all(p).await)?;
            let update = format!("UPDATE {table} SET {column} = $2 WHERE {key} = $1 AND {column} = $3");
            for (id, stored) in rows {
                if sealer.is_current(&stored) {
                    continue;
                }
                let resealed = sealer.seal(&self.unseal(&stored)?);
                changed += write!(self, p => sqlx::query(&update)
                    .bind(&id)
                    .bind(&resealed)
                    .bind(&stored)
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
        }
        Ok(changed)
    }
}
