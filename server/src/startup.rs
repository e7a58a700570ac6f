//! Building and running the server. Tests call [`launch`] with a listener on
//! port 0 and a shutdown future of their own.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    answer::Acknowledger,
    chat::Chat,
    events::EventHub,
    http::{self, AppState},
    seed,
    settings::Settings,
    store::{self, Store},
};

/// Opens the store for the configured database and applies its migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    store::open(&settings.database_url).await.with_context(|| {
        format!(
            "cannot open the database at {}",
            crate::settings::redact_url(&settings.database_url)
        )
    })
}

/// Builds the application state and router for `settings`: migrations, the
/// demo site on an empty database, the answerer.
pub async fn build(settings: Settings) -> anyhow::Result<axum::Router> {
    let store = open_store(&settings).await?;
    seed::ensure_demo_site(store.as_ref()).await?;
    let chat = Chat {
        store,
        hub: EventHub::default(),
        answerer: Arc::new(Acknowledger),
    };
    let state = AppState {
        chat,
        settings: Arc::new(settings),
        started: std::time::Instant::now(),
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")
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
