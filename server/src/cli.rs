//! The command line of the `lantern` binary.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::{seed, settings::Settings, startup, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "lantern",
    version,
    about = "Self-hosted chat assistant for websites"
)]
struct Cli {
    /// A TOML settings file (keys: the variables' names in lower case without
    /// `LANTERN_`); the environment overrides it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP (the default).
    Serve,
    /// Run migrations and exit.
    Migrate,
    /// Write a consistent, compressed, checksummed backup of the database
    /// and the attachment files (safe while serving): to FILE, or with
    /// --dir to a timestamped file there, keeping the newest --keep.
    Backup {
        #[arg(required_unless_present = "dir", conflicts_with = "dir")]
        file: Option<std::path::PathBuf>,
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 7, requires = "dir", value_parser = clap::value_parser!(u16).range(1..))]
        keep: u16,
        /// Leave the attachment files out (when their store is backed up
        /// on its own).
        #[arg(long)]
        without_attachments: bool,
    },
    /// Replace the database with the backup in FILE (stop the server
    /// first), and put its attachment files into the configured store.
    Restore {
        file: std::path::PathBuf,
        /// Restore the database only.
        #[arg(long)]
        without_attachments: bool,
    },
    /// Manage sites.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Manage knowledge bases.
    #[command(subcommand)]
    Kb(KbCommand),
    /// Manage people who sign in to the console.
    #[command(subcommand)]
    User(UserCommand),
    /// Keys for the secrets stored in the database.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// One visitor's data: export it, or erase it.
    #[command(subcommand)]
    Visitor(VisitorCommand),
}

#[derive(Debug, Subcommand)]
enum VisitorCommand {
    /// Print everything held about the visitor as JSON.
    Export { id: String },
    /// Erase the visitor and everything about them (recorded in the site's
    /// erasure log as done by `cli`). Streams open on a running server end
    /// when erased through the API; from here, at their next reconnect.
    Erase { id: String },
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Print a new random key for LANTERN_SECRETS_KEY.
    NewKey,
    /// Re-seal every stored secret with LANTERN_SECRETS_KEY (the keys in
    /// LANTERN_SECRETS_OLD_KEYS open the old ones); afterwards the old keys
    /// can be dropped.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (or reuse the one with this email) with a role on a site.
    Create(UserCreate),
}

#[derive(Debug, Args)]
struct UserCreate {
    /// Their email address (unique, case-insensitively).
    #[arg(long)]
    email: String,
    /// The site they join.
    #[arg(long)]
    site: String,
    /// `owner` (everything for the site) or `agent` (the inbox only).
    #[arg(long, value_parser = ["owner", "agent"])]
    role: String,
    /// Display name (default: the part of the email before `@`).
    #[arg(long)]
    name: Option<String>,
    /// Read the password from the first line of standard input instead of
    /// prompting for it.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Subcommand)]
enum KbCommand {
    /// Import files or folders (.md, .txt, .html, FAQ .json/.csv) into a site.
    Import {
        /// The site to import into.
        #[arg(long)]
        site: String,
        /// Files or folders (folders are read recursively).
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Measure retrieval: top-1/top-3 hit rates of questions with known answers.
    Eval {
        /// JSON list of {"question", "document"} (document: title or url).
        file: std::path::PathBuf,
        /// Evaluate this site of DATABASE_URL instead of the built-in demo
        /// knowledge base in a throwaway SQLite file.
        #[arg(long)]
        site: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// Create a site; prints its id and admin key (shown once).
    Create(SiteCreate),
}

#[derive(Debug, Args)]
struct SiteCreate {
    /// Display name of the site.
    #[arg(long)]
    name: String,
    /// An origin allowed to embed the widget, e.g. https://www.example.com (repeatable).
    #[arg(long = "origin")]
    origins: Vec<String>,
    /// Print `{"site_id": …, "admin_key": …}`.
    #[arg(long)]
    json: bool,
}

/// Entry point of the binary. Exit codes: 0 success, 1 runtime failure,
/// 2 bad settings or usage.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lantern: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log_filter, settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lantern: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => startup::open_db(&settings).await.map(|db| {
                println!("migrations applied ({})", db.backend());
            }),
            Command::Site(SiteCommand::Create(args)) => site_create(settings, args).await,
            Command::User(UserCommand::Create(args)) => user_create(settings, args).await,
            Command::Secrets(SecretsCommand::NewKey) => {
                println!("{}", crate::sealing::Sealer::new_key());
                Ok(())
            }
            Command::Secrets(SecretsCommand::Rotate) => secrets_rotate(settings).await,
            Command::Backup {
                file,
                dir,
                keep,
                without_attachments,
            } => backup(settings, file, dir, keep, without_attachments).await,
            Command::Restore {
                file,
                without_attachments,
            } => {
                let store = attachment_store(&settings, without_attachments);
                match store {
                    Ok(store) => crate::backup::restore(settings.database_url.expose(), store.as_ref(), &file)
                        .await
                        .map(|held| println!("restored {held} from {}", file.display())),
                    Err(e) => Err(e),
                }
            }
            Command::Kb(KbCommand::Import { site, paths }) => {
                crate::kb_cli::import(settings, &site, &paths).await
            }
            Command::Kb(KbCommand::Eval { file, site }) => {
                crate::kb_cli::eval(settings, &file, site.as_deref()).await
            }
            Command::Visitor(command) => visitor(settings, command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<UsageError>().is_some() => {
            eprintln!("lantern: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("lantern: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (LANTERN_ADDR): {e}", settings.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, settings = ?settings, "lantern listening");
    let grace = std::time::Duration::from_secs(settings.shutdown_grace_secs);
    let (close, closing) = tokio::sync::watch::channel(false);
    let app = startup::build_with_shutdown(settings, closing.clone()).await?;
    println!("Lantern is running: demo page at http://{addr}/, console at http://{addr}/console/");
    // On SIGTERM/SIGINT: stop accepting, end live streams with a `reconnect`
    // event, let requests in flight (answers being written) finish — within
    // the grace period, after which the process exits anyway.
    let shutdown = async move {
        startup::shutdown_signal().await;
        let _ = close.send(true);
    };
    let mut closing = closing;
    let deadline = async move {
        while !*closing.borrow_and_update() {
            if closing.changed().await.is_err() {
                // The server finished first; the other branch has won.
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = startup::serve(listener, app, shutdown) => {
            tracing::info!("shut down cleanly");
            result
        }
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "grace period over; exiting with requests still open");
            Ok(())
        }
    }
}

/// The configured attachment store, unless asked to leave files out.
fn attachment_store(settings: &Settings, without: bool) -> anyhow::Result<Option<crate::attachments::Store>> {
    if without {
        return Ok(None);
    }
    crate::attachments::Store::open(settings).map(Some)
}

async fn backup(
    settings: Settings,
    file: Option<std::path::PathBuf>,
    dir: Option<std::path::PathBuf>,
    keep: u16,
    without_attachments: bool,
) -> anyhow::Result<()> {
    let store = attachment_store(&settings, without_attachments)?;
    let url = settings.database_url.expose();
    let (file, held) = match file {
        Some(file) => {
            let held = crate::backup::backup(url, store.as_ref(), &file).await?;
            (file, held)
        }
        None => {
            let dir = dir.unwrap_or_default();
            crate::backup::backup_to_dir(url, store.as_ref(), &dir, usize::from(keep)).await?
        }
    };
    println!("backup of {held} written to {}", file.display());
    Ok(())
}

async fn user_create(settings: Settings, args: UserCreate) -> anyhow::Result<()> {
    let role = lantern_shared::accounts::MemberRole::parse(&args.role)
        .ok_or_else(|| UsageError("--role must be owner or agent".into()))?;
    let db = startup::open_db(&settings).await?;
    let id = crate::accounts::cli::user_create(
        &db,
        &args.email,
        args.name.as_deref(),
        &args.site,
        role,
        args.password_stdin,
    )
    .await
    .map_err(|e| UsageError(e.to_string()))?;
    println!("user {id} is {} of site {}", role.as_str(), args.site);
    Ok(())
}

async fn site_create(settings: Settings, args: SiteCreate) -> anyhow::Result<()> {
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(UsageError("--name must be 1–100 characters".into()).into());
    }
    let mut origins = Vec::new();
    for o in &args.origins {
        origins.push(
            crate::validate::origin(o)
                .filter(|o| o != "*")
                .ok_or_else(|| {
                    UsageError(format!(
                        "--origin {o:?} is not an origin such as https://www.example.com"
                    ))
                })?,
        );
    }
    let db = startup::open_db(&settings).await?;
    let (site, key) = seed::create_site(&db, &seed::new_site_id(), name, origins).await?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"site_id": site.id, "admin_key": key})
        );
    } else {
        println!(
            "site id:   {}\nadmin key: {key}\n(the key is shown only this once)",
            site.id
        );
    }
    Ok(())
}

async fn secrets_rotate(settings: Settings) -> anyhow::Result<()> {
    if settings.secrets_key.is_none() {
        return Err(UsageError("set LANTERN_SECRETS_KEY to the new key first".into()).into());
    }
    let db = startup::open_db(&settings).await?;
    let changed = db.reseal_secrets().await?;
    println!("{changed} stored secrets re-sealed with the current key; the old keys can go");
    Ok(())
}

async fn visitor(settings: Settings, command: VisitorCommand) -> anyhow::Result<()> {
    let db = startup::open_db(&settings).await?;
    let id = match &command {
        VisitorCommand::Export { id } | VisitorCommand::Erase { id } => id,
    };
    let site_id = match db.visitor_site(id).await {
        Err(crate::db::Error::NotFound) => {
            return Err(UsageError(format!("no visitor {id}")).into());
        }
        other => other?,
    };
    match command {
        VisitorCommand::Export { id } => {
            let export = crate::privacy::export(&db, &site_id, &id).await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        VisitorCommand::Erase { id } => {
            let erased = crate::privacy::erase(&db, None, &site_id, &id, "cli").await?;
            // Their files go now; what cannot is retried by the server's
            // housekeeping job.
            crate::attachments::Attachments::open(&settings)?.sweep(&db).await;
            println!(
                "erased visitor {id}: {} conversations, {} messages",
                erased.conversation_ids.len(),
                erased.messages
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::validate::origin as normalise_origin;

    #[test]
    fn origins_are_normalised_or_refused() {
        assert_eq!(
            normalise_origin("https://Example.com/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            normalise_origin("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(normalise_origin("example.com"), None);
        assert_eq!(normalise_origin("https://example.com/path"), None);
        assert_eq!(normalise_origin("ftp://example.com"), None);
    }
}
