//! `ecusson serve`: the GraphQL API with the projections running beside it.

use anyhow::Context;
use ecusson_api::auth::{AuthSettings, Authenticator};
use ecusson_api::{bind, ServerState};
use ecusson_app::Ledger;
use ecusson_projections::{EngineSettings, ProjectionEngine};
use ecusson_store::DatabaseUrl;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// Options of `ecusson serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Run the projections in this process (the default; `ecusson projections run` runs them
    /// in another).
    pub projections: bool,
    /// The development secret's file, used when no JWKS is configured.
    pub dev_secret_file: std::path::PathBuf,
}

/// Opens the database (running pending migrations), starts the projection runners, serves
/// until SIGTERM or SIGINT, lets in-flight requests finish, then stops the runners.
pub async fn serve(url: &DatabaseUrl, options: &ServeOptions) -> anyhow::Result<()> {
    let stores = crate::commands::open(url).await?;
    let settings = AuthSettings::from_env(Path::new(&options.dev_secret_file))
        .context("configuring authentication")?;
    let authenticator = Authenticator::new(settings)
        .await
        .context("loading the token keys")?;
    let engine = ProjectionEngine::new(
        stores.events.clone(),
        EngineSettings::for_backend(stores.backend),
    );
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = watch::channel(false);
    let runners = if options.projections {
        engine.spawn(wake.clone(), stopped)
    } else {
        Vec::new()
    };
    let state = ServerState::with_wake(
        Ledger::new(stores.events.clone()),
        engine,
        authenticator,
        wake,
    );
    let (server, address) =
        bind(state, options.listen).with_context(|| format!("listening on {}", options.listen))?;
    tracing::info!(%address, "serving GraphQL on /graphql");
    println!("Écusson is listening: GraphQL at http://{address}/graphql (GraphiQL in a browser)");
    server.await.context("serving")?;
    tracing::info!("server stopped, stopping the projections");
    let _ = stop.send(true);
    for runner in runners {
        match runner.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(error = %error, "a projection had stopped"),
            Err(error) => tracing::error!(error = %error, "a projection runner panicked"),
        }
    }
    Ok(())
}
