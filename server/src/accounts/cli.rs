//! `lantern user create`: a person with a role on a site, from the command
//! line (the way in before anyone can sign in to the console).

use std::io::{BufRead, IsTerminal, Write};

use lantern_shared::accounts::MemberRole;

use super::password;
use crate::db::Db;

/// Creates the user (or reuses the one with this email) and gives them
/// `role` on `site_id`. The password comes from standard input's first line
/// with `password_stdin`, else from a prompt (not echoed on a terminal).
pub async fn user_create(
    db: &Db,
    email: &str,
    name: Option<&str>,
    site_id: &str,
    role: MemberRole,
    password_stdin: bool,
) -> anyhow::Result<String> {
    if !super::valid_email(email) {
        anyhow::bail!("--email {email:?} is not an email address");
    }
    if db.site(site_id).await?.is_none() {
        anyhow::bail!("no site with id {site_id:?}");
    }
    let user = match db.user_by_email(email).await? {
        Some(user) => user,
        None => {
            let pw = read_password(password_stdin)?;
            if let Some(why) = password::weakness(&pw) {
                anyhow::bail!("the password {why}");
            }
            let hash = password::hash(&pw).await?;
            let name = name
                .map(str::to_string)
                .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
            db.create_user(email, name.trim(), Some(&hash)).await?
        }
    };
    match db.role_on(&user.id, site_id).await? {
        None => db.add_member(&user.id, site_id, role.as_str()).await?,
        Some(_) => db.change_member(site_id, &user.id, Some(role.as_str())).await?,
    }
    Ok(user.id)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let tty = !from_stdin && stdin.is_terminal();
    if tty {
        eprint!("Password (at least {} characters): ", password::MIN_LEN);
        std::io::stderr().flush()?;
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if tty {
        set_echo(true);
        eprintln!();
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns terminal echo off or on (`stty`), so a typed password is not shown.
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}
