//! `ecusson serve`: the GraphQL API with the projections running beside it.

use anyhow::Context;
use ecusson_api::auth::{AuthSettings, Authenticator};
use ecusson_api::{serve_on, ApiContext, ServerState};
use ecusson_app::credentials::PublicSite;
use ecusson_app::Ledger;
use ecusson_projections::{EngineSettings, ProjectionEngine};
use ecusson_store::{DatabaseUrl, Vault};
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
    /// Load the demonstration network into an empty database and print a token per role.
    pub demo: bool,
    /// The vault's key file (created on first use); `ECUSSON_VAULT_KEY` wins.
    pub vault_key_file: std::path::PathBuf,
    /// The public address credentials and badge pages name (`https://badges.example`);
    /// `http://<listen address>` when not given.
    pub public_url: Option<String>,
    /// When the audit sealer signs a checkpoint of a tenant's log.
    pub seal_policy: ecusson_app::audit::SealPolicy,
    /// Days the access log of personal data is kept.
    pub access_log_retention_days: u32,
}

/// The seed of the demonstration network `serve --demo` loads (the same as `ecusson demo`'s
/// default, so that both give the same ids).
const DEMO_SEED: u64 = 2026;

/// Opens the database (running pending migrations), starts the projection runners, serves
/// until SIGTERM or SIGINT, lets in-flight requests finish, then stops the runners.
pub async fn serve(url: &DatabaseUrl, options: &ServeOptions) -> anyhow::Result<()> {
    let stores = crate::commands::open(url).await?;
    let settings = AuthSettings::from_env(Path::new(&options.dev_secret_file))
        .context("configuring authentication")?;
    let vault_key = crate::commands::vault_key(&options.vault_key_file)?;
    let demo_tokens = match options.demo {
        false => Vec::new(),
        true => {
            if stores
                .events
                .tenants()
                .await
                .context("listing tenants")?
                .is_empty()
            {
                crate::bench::load_demo(url, DEMO_SEED, vault_key.clone()).await?;
            }
            let secret = settings.dev_secret.as_ref().context(
                "--demo prints development tokens: set ECUSSON_DEV_SECRET or remove ECUSSON_JWKS",
            )?;
            demo_tokens(&crate::bench::demo_network(DEMO_SEED), secret, &settings)?
        }
    };
    let authenticator = Authenticator::new(settings)
        .await
        .context("loading the token keys")?;
    let engine = ProjectionEngine::new(
        stores.events.clone(),
        EngineSettings::for_backend(stores.backend),
    );
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = watch::channel(false);
    let runner = options
        .projections
        .then(|| engine.spawn(wake.clone(), stopped.clone()));
    let sweeper = tokio::spawn(sweep_expiries(
        Ledger::new(stores.events.clone()),
        wake.clone(),
        stopped.clone(),
    ));
    let purger = tokio::spawn(purge_access_log(
        stores.events.clone(),
        options.access_log_retention_days,
        stopped.clone(),
    ));
    let listener = std::net::TcpListener::bind(options.listen)
        .with_context(|| format!("listening on {}", options.listen))?;
    let address = listener.local_addr().context("the listening address")?;
    let site = PublicSite::new(&options.public_url.clone().unwrap_or_else(|| {
        // Listening on every interface names no address a visitor could use: credentials
        // would carry 0.0.0.0. A development machine gets its loopback; production sets its
        // public address.
        let shown = if address.ip().is_unspecified() {
            tracing::warn!(
                "no public address is set (--public-url, ECUSSON_PUBLIC_URL): credentials and \
                 badge pages name the loopback address"
            );
            std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
        } else {
            address
        };
        format!("http://{shown}")
    }))?;
    let vault = Vault::new(stores.events.clone(), vault_key);
    if options.demo {
        // The demonstration's badges are signed before its tokens are printed, so that a
        // newcomer finds every credential and badge page at once.
        let ledger = Ledger::new(stores.events.clone());
        loop {
            let report = ecusson_app::credentials::issue_pending(&ledger, &vault, &site, 200)
                .await
                .context("issuing the demonstration's credentials")?;
            if report.issued == 0 {
                break;
            }
        }
    }
    if options.demo {
        // The demonstration's logs are sealed at once, so that its checkpoints and proofs can
        // be tried at once.
        let ledger = Ledger::new(stores.events.clone());
        ecusson_app::audit::seal_all(&ledger, &vault, &site, options.seal_policy, true)
            .await
            .context("sealing the demonstration's logs")?;
    }
    if options.demo && runner.is_some() {
        // The tokens are printed once the read models hold the demonstration too, so that
        // every credential and badge page the API names answers at once.
        wake.notify_waiters();
        if !engine
            .wait_until_caught_up(std::time::Duration::from_secs(60))
            .await
            .context("waiting for the demonstration's read models")?
        {
            tracing::warn!("the read models did not catch up with the demonstration in a minute");
        }
    }
    let sealer = tokio::spawn(seal_logs(
        Ledger::new(stores.events.clone()),
        vault.clone(),
        site.clone(),
        options.seal_policy,
        stopped.clone(),
    ));
    let issuer = tokio::spawn(issue_credentials(
        Ledger::new(stores.events.clone()),
        vault.clone(),
        site.clone(),
        wake.clone(),
        stopped.clone(),
    ));
    let state = ServerState::new(
        ApiContext {
            ledger: Ledger::new(stores.events.clone()),
            engine,
            wake,
            vault,
            site: site.clone(),
        },
        authenticator,
    );
    let (server, address) = serve_on(state, listener).context("serving")?;
    tracing::info!(%address, "serving GraphQL on /graphql");
    println!("Écusson is listening: GraphQL at http://{address}/graphql (GraphiQL in a browser)");
    println!(
        "Public side at {}: badge pages /badges/<award>, the verification page {}, Open Badges \
         wallets at {}/ims/ob/v3p0/discovery",
        site.base(),
        site.verify_page(),
        site.base()
    );
    if !demo_tokens.is_empty() {
        println!(
            "Development tokens (8 hours), to send as `Authorization: Bearer <token>`; try the \
             query {{ viewer {{ personId tenantId roles }} staff {{ personId roles }} }}"
        );
        for (label, token) in &demo_tokens {
            println!("  {label}: {token}");
        }
    }
    server.await.context("serving")?;
    tracing::info!("server stopped, stopping the projections");
    let _ = stop.send(true);
    if let Err(error) = sweeper.await {
        tracing::error!(error = %error, "the expiry sweeper panicked");
    }
    if let Err(error) = purger.await {
        tracing::error!(error = %error, "the access log purger panicked");
    }
    if let Err(error) = sealer.await {
        tracing::error!(error = %error, "the audit sealer panicked");
    }
    if let Err(error) = issuer.await {
        tracing::error!(error = %error, "the credential issuer panicked");
    }
    if let Some(runner) = runner {
        match runner.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(error = %error, "projections had stopped"),
            Err(error) => tracing::error!(error = %error, "the projection runner panicked"),
        }
    }
    Ok(())
}

/// Waits for the next tick: true, or false once `stopped` turns true (or its sender is gone).
async fn next_tick(ticks: &mut tokio::time::Interval, stopped: &mut watch::Receiver<bool>) -> bool {
    loop {
        tokio::select! {
            _ = ticks.tick() => return true,
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    return false;
                }
            }
        }
    }
}

/// How often awards past their date are recorded as expired.
const EXPIRY_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Records the expiry of awards past their date, at start and then every
/// [`EXPIRY_SWEEP_INTERVAL`], until `stopped` turns true. A failed sweep is logged and retried
/// at the next tick.
async fn sweep_expiries(ledger: Ledger, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(EXPIRY_SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !next_tick(&mut ticks, &mut stopped).await {
            return;
        }
        // A full page means more are due: sweep again at once.
        loop {
            match ecusson_app::expire_due_awards(&ledger, 500).await {
                Ok(report) => {
                    if report.expired > 0 {
                        wake.notify_waiters();
                    }
                    if report.expired + report.already_settled < 500 || report.expired == 0 {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %error, "the expiry sweep failed; it runs again at the next tick");
                    break;
                }
            }
        }
    }
}

/// How often the access log is purged of entries past their retention.
const ACCESS_LOG_PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Deletes the access log's entries older than `retention_days`, at start and then every
/// [`ACCESS_LOG_PURGE_INTERVAL`], until `stopped` turns true; a failed purge is logged and
/// retried at the next tick.
async fn purge_access_log(
    store: Arc<dyn ecusson_store::EventStore>,
    retention_days: u32,
    mut stopped: watch::Receiver<bool>,
) {
    const BATCH: usize = 5_000;
    let mut ticks = tokio::time::interval(ACCESS_LOG_PURGE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !next_tick(&mut ticks, &mut stopped).await {
            return;
        }
        let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(retention_days));
        loop {
            match ecusson_store::access_log::purge_before(store.as_ref(), cutoff, BATCH).await {
                Ok(deleted) => {
                    if deleted > 0 {
                        tracing::info!(
                            deleted,
                            retention_days,
                            "access log entries past their retention purged"
                        );
                    }
                    if deleted < BATCH as u64 {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %error, "the access log purge failed; it runs again at the next tick");
                    break;
                }
            }
        }
    }
}

/// How often the sealer looks for logs due a checkpoint.
const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Seals the tenants' logs as `policy` says, every [`SEAL_INTERVAL`], until `stopped` turns
/// true. A log that does not match what was sealed is reported once (an error in the log, with
/// its position) and left unsealed; a failed sweep is logged and retried.
async fn seal_logs(
    ledger: Ledger,
    vault: Vault,
    site: PublicSite,
    policy: ecusson_app::audit::SealPolicy,
    mut stopped: watch::Receiver<bool>,
) {
    let mut reported = std::collections::HashSet::new();
    let mut ticks = tokio::time::interval(SEAL_INTERVAL);
    loop {
        if !next_tick(&mut ticks, &mut stopped).await {
            return;
        }
        match ecusson_app::audit::seal_all(&ledger, &vault, &site, policy, false).await {
            Ok(sweep) => {
                for (tenant, violation) in sweep.tampered {
                    if reported.insert((tenant, violation.clone())) {
                        tracing::error!(
                            %tenant,
                            position = violation.position(),
                            violation = %violation,
                            "TAMPERING: a tenant's log does not match its sealed audit tree; it is not sealed any further"
                        );
                    }
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "the audit sealer failed; it runs again shortly");
            }
        }
    }
}

/// How often the issuer looks for awards without a credential when nothing wakes it.
const ISSUE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Issues the credentials of new awards: after every write this process makes (once the read
/// models have had a moment to follow) and every [`ISSUE_INTERVAL`] for the writes of other
/// processes, until `stopped` turns true. A failed sweep is logged and retried.
async fn issue_credentials(
    ledger: Ledger,
    vault: Vault,
    site: PublicSite,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut waiting_logged = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(ISSUE_INTERVAL) => {}
            _ = wake.notified() => {}
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    return;
                }
            }
        }
        loop {
            match ecusson_app::credentials::issue_pending(&ledger, &vault, &site, 200).await {
                Ok(report) => {
                    if report.waiting_for_key > 0 && !waiting_logged {
                        tracing::warn!(
                            awards = report.waiting_for_key,
                            "awards wait for their credential: their network has no issuer key (ecusson keys generate --network <id>)"
                        );
                        waiting_logged = true;
                    }
                    if report.issued == 0 {
                        break;
                    }
                    wake.notify_waiters();
                }
                Err(error) => {
                    tracing::warn!(error = %error, "the credential issuer failed; it runs again shortly");
                    break;
                }
            }
        }
    }
}

/// A development token for one person of each role of the demonstration network: the
/// network's administrator, then every role of the first structure's staff, and a worker.
fn demo_tokens(
    network: &ecusson_demo::GeneratedNetwork,
    secret: &ecusson_api::auth::DevSecret,
    settings: &AuthSettings,
) -> anyhow::Result<Vec<(String, String)>> {
    use ecusson_domain::Role;
    let mint = |tenant, role: Role, person| {
        ecusson_api::auth::mint_dev_token(
            secret,
            &settings.issuer,
            &settings.audience,
            tenant,
            &[role],
            person,
            chrono::Duration::hours(8),
        )
        .context("minting a development token")
    };
    let mut tokens = Vec::new();
    if let Some(admin) = network.network_staff.first() {
        tokens.push((
            "network admin (network)".to_owned(),
            mint(network.network_tenant, Role::NetworkAdmin, admin.person_id)?,
        ));
    }
    if let Some(structure) = network.structures.first() {
        for role in [
            Role::StructureAdmin,
            Role::Direction,
            Role::Counsellor,
            Role::TechnicalSupervisor,
            Role::CommitteeMember,
        ] {
            if let Some(member) = structure
                .staff
                .iter()
                .find(|member| member.roles.contains(&role))
            {
                tokens.push((
                    format!(
                        "{} ({})",
                        ecusson_api::auth::role_name(role),
                        structure.name
                    ),
                    mint(structure.tenant_id, role, member.person_id)?,
                ));
            }
        }
        // The first structure decides systematically: a committee member comes from the first
        // structure that has one.
        if let Some((structure, member)) = network.structures.iter().find_map(|structure| {
            structure
                .staff
                .iter()
                .find(|member| member.roles.contains(&Role::CommitteeMember))
                .map(|member| (structure, member))
        }) {
            if !tokens
                .iter()
                .any(|(label, _)| label.starts_with("committee_member"))
            {
                tokens.push((
                    format!("committee_member ({})", structure.name),
                    mint(structure.tenant_id, Role::CommitteeMember, member.person_id)?,
                ));
            }
        }
        if let Some(earner) = structure.earners.first() {
            tokens.push((
                format!("earner ({})", structure.name),
                mint(structure.tenant_id, Role::Earner, *earner)?,
            ));
        }
    }
    Ok(tokens)
}
