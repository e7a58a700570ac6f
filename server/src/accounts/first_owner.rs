//! The first owner of a fresh install: when `lantern serve` creates the demo
//! site on an empty database, it also creates the site's owner (no password
//! yet) and prints a one-time sign-in link for them: nothing secret that
//! lasts is ever written to the log.

use std::net::SocketAddr;

use crate::db::Db;

/// The demo owner's placeholder address; they change it in the console.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.invalid";

/// Creates the owner of `site_id` and returns the console URL with a
/// one-time sign-in link (valid 24 h) for `addr`.
pub async fn create(db: &Db, site_id: &str, addr: SocketAddr) -> anyhow::Result<String> {
    let user = match db.user_by_email(DEMO_OWNER_EMAIL).await? {
        Some(u) => u,
        None => db.create_user(DEMO_OWNER_EMAIL, "Site owner", None).await?,
    };
    if db.role_on(&user.id, site_id).await?.is_none() {
        db.add_member(&user.id, site_id, "owner").await?;
    }
    let (token, _) = super::issue_sign_in_link(db, &user.id).await?;
    Ok(format!("{}#link={token}", super::console_url(&base_for(addr))))
}

/// `http://ADDR`, with a wildcard listen address shown as loopback (the
/// address a browser on this machine can open, and a secure context there).
pub fn base_for(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    format!("http://{host}")
}
