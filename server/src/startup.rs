//! Building and running the server. Tests call [`launch`] with a listener on
//! port 0 and a shutdown future of their own.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    accounts,
    chat::Chat,
    db::Db,
    engine::{Engine, llm::LlmClient},
    events::EventHub,
    http::{self, AppState},
    knowledge::{
        KnowledgeBase,
        embed::{self, Embeddings},
    },
    ratelimit::RateLimiter,
    redis_link::RedisLink,
    seed,
    settings::Settings,
    webhooks,
};

/// Opens the configured database and applies its migrations: the one place
/// that says which database could not be opened.
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(settings.database_url.expose())
        .await
        .with_context(|| format!("cannot open the database at {}", settings.database_url))?
        .with_sealer(settings.sealer())
        .with_cache_ttl(settings.cache_ttl);
    // A tool's changes reach running servers through the database; the
    // server itself turns this off (`listen_for_announcements`).
    db.announce_changes(true);
    db.check_secrets()
        .await
        .context("stored secrets do not open with LANTERN_SECRETS_KEY / LANTERN_SECRETS_OLD_KEYS")?;
    // Passages indexed by an older text analysis are indexed again (the
    // analysis is Rust code, so a migration cannot do it).
    KnowledgeBase::new(db.clone())
        .reindex()
        .await
        .context("cannot index the knowledge base again")?;
    Ok(db)
}

/// Builds the application state and router for `settings`: migrations, the
/// demo site on an empty database, the answerer.
pub async fn build(settings: Settings) -> anyhow::Result<axum::Router> {
    let (never, closing) = tokio::sync::watch::channel(false);
    // Nothing will ever close this app's streams but dropping it.
    std::mem::forget(never);
    build_with_shutdown(settings, closing).await
}

/// Like [`build`]; `closing` turning true ends live streams gracefully.
pub async fn build_with_shutdown(
    settings: Settings,
    closing: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<axum::Router> {
    // Install the metrics recorder before anything records.
    crate::stats::handle();
    let db = open_db(&settings).await?;
    // This server hears of the CLI's changes to what `db` caches.
    db.listen_for_announcements(closing.clone());
    let embeddings = match settings.embeddings.config() {
        Some(config) => {
            tracing::info!(model = %config.model, "hybrid retrieval: passages are embedded and searches fuse both rankings");
            Some(Arc::new(
                Embeddings::new(config).context("cannot set up the embeddings client")?,
            ))
        }
        None => None,
    };
    let knowledge = KnowledgeBase::new(db.clone()).with_embeddings(embeddings.clone());
    // URL imports this server (or its previous run) left unfinished: each
    // page is stored whole or not at all, so marking them failed leaves
    // nothing half-indexed; a sync finishes the rest.
    let pages = db.fail_unfinished_documents().await?;
    let sources = db.fail_unfinished_sources().await?;
    if pages + sources > 0 {
        tracing::warn!(sources, pages, "URL imports interrupted by a stop were marked failed");
    }
    webhooks::worker::spawn(
        db.clone(),
        webhooks::worker::Options {
            retry_base_ms: settings.webhook_retry_base_ms,
            allow_private: settings.allow_private(),
        },
        closing.clone(),
    )
    .context("cannot start the webhook worker")?;
    if !settings.demo {
        if db.site_count().await? == 0 {
            tracing::info!("no site yet: create one with `lantern site create`, or start with LANTERN_DEMO=1 for the demo site");
        }
    } else if seed::ensure_demo_site(&db, &knowledge).await? {
        // The demo site's first owner signs in with a one-time link: nothing
        // lasting and secret goes to the log.
        let url = accounts::first_owner::create(&db, seed::DEMO_SITE_ID, settings.addr).await?;
        tracing::info!("created the demo site's owner; the one-time sign-in link is on standard output");
        println!("Sign in to the console as the demo site's owner (one-time link, valid 24 h): {url}");
    }
    accounts::password::warm_up();
    let llm = match settings.llm.clone() {
        Some(llm) => Some(LlmClient::new(llm).context("cannot set up the LLM client")?),
        None => None,
    };
    let redis = settings
        .redis_url
        .as_ref()
        .map(|url| url.expose())
        .and_then(|url| RedisLink::start(url, &settings.redis_prefix));
    let engine = Engine {
        knowledge: knowledge.clone(),
        llm,
        llm_budget: crate::engine::llm::budget::LlmBudget::new(
            redis.clone(),
            settings.llm_daily_requests_per_site,
            settings.llm_daily_tokens_per_site,
        ),
    };
    let cache = crate::kvcache::KvCache::new(redis.clone());
    if let Some(e) = &embeddings {
        embed::worker::spawn(db.clone(), e.clone(), cache.clone(), closing.clone());
    }
    let hub = match &redis {
        Some(link) => EventHub::with_redis(link.clone()),
        None => EventHub::default(),
    };
    if let Some(link) = &redis {
        // Other instances hear of every change to what `db` caches.
        db.relay_invalidations(link.clone());
    }
    let attachments = crate::attachments::Attachments::open(&settings)?;
    crate::prune::spawn(db.clone(), hub.clone(), attachments.clone(), &settings, closing.clone());
    crate::knowledge::upkeep::spawn(db.clone(), closing.clone());
    crate::backup::schedule::spawn(&settings, attachments.store.clone(), closing.clone());
    let chat = Chat {
        db: db.clone(),
        hub,
        answerer: Arc::new(engine),
    };
    let state = AppState {
        db,
        chat,
        knowledge,
        attachments,
        limiter: RateLimiter::new(redis.clone()),
        streams: Default::default(),
        presence: crate::inbox::Presence::new(redis.clone()),
        cache,
        redis,
        settings: Arc::new(settings),
        started: std::time::Instant::now(),
        closing,
    };
    Ok(http::router(state))
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = build(settings).await?;
    serve(listener, app, shutdown).await
}

/// Serves an already built `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    // Live event streams over HTTP/1.1 skip hyper (see `listen`); hyper
    // serves the rest. `tap_io` only lets axum hand on the peer address,
    // which feeds client-IP rate limits.
    let (handoff, light) = crate::listen::split(listener, app.clone())?;
    axum::serve(
        handoff.tap_io(|_| ()),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("server error")?;
    // The light streams end with the shutdown signal too (their `reconnect`
    // event); wait for their last bytes as hyper waited for its own.
    light.closed().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}
