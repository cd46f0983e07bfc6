//! What each subcommand does. Errors go up as `anyhow` with context; `main` reports them once.

use crate::cli::{Cli, Command, ProjectionsCommand};
use anyhow::{bail, Context};
use ecusson_domain::TenantId;
use ecusson_projections::{EngineSettings, ProjectionEngine, ProjectionSelection};
use ecusson_store::{connect, verify_log, DatabaseUrl, Stores};
use std::process::ExitCode;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let url = DatabaseUrl::parse(&cli.database.database_url).context("reading --database-url")?;
    match cli.command {
        Command::Migrate => {
            let stores = open(&url).await?;
            println!("database ready ({}), migrations applied", stores.backend);
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyLog { tenant, json } => verify(&url, tenant, json).await,
        Command::Projections { command } => projections(&url, command).await,
        Command::Demo {
            seed,
            vault_key_file,
        } => {
            let key = vault_key(&vault_key_file)?;
            crate::bench::load_demo(&url, seed, key)
                .await
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Bench { bench } => crate::bench::run(&url, bench)
            .await
            .map(|_| ExitCode::SUCCESS),
        Command::Token(options) => crate::token::run(options),
        Command::Keys {
            network,
            vault_key_file,
            command,
        } => keys(&url, network, &vault_key_file, command).await,
        Command::Verify { source, json } => crate::verify::run(&source, json).await,
        Command::Audit {
            vault_key_file,
            command,
        } => crate::audit::run(&url, &vault_key_file, command).await,
        Command::Badge {
            command: crate::cli::BadgeCommand::Extract { file },
        } => crate::verify::extract(&file),
        Command::Serve(args) => crate::serve::serve(
            &url,
            &crate::serve::ServeOptions {
                listen: args.listen,
                projections: !args.no_projections,
                dev_secret_file: args.dev_secret_file,
                demo: args.demo,
                vault_key_file: args.vault_key_file,
                public_url: args.public_url,
                seal_policy: ecusson_app::audit::SealPolicy {
                    every_events: args.seal_every_events.max(1),
                    every: std::time::Duration::from_secs(args.seal_every_seconds),
                    ..Default::default()
                },
                access_log_retention_days: args.access_log_retention_days,
            },
        )
        .await
        .map(|_| ExitCode::SUCCESS),
    }
}

pub async fn open(url: &DatabaseUrl) -> anyhow::Result<Stores> {
    connect(url).await.context("opening the database")
}

async fn verify(url: &DatabaseUrl, tenant: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let stores = open(url).await?;
    let tenants = match tenant {
        Some(text) => vec![TenantId::parse(&text).context("reading --tenant")?],
        None => stores.events.tenants().await.context("listing tenants")?,
    };
    let mut intact = true;
    let mut events = 0;
    for tenant in &tenants {
        let report = verify_log(stores.events.as_ref(), *tenant)
            .await
            .with_context(|| format!("verifying tenant {tenant}"))?;
        events += report.events_checked;
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            match &report.violation {
                None => println!(
                    "tenant {tenant}: {} events, chain intact",
                    report.events_checked
                ),
                Some(violation) => println!(
                    "tenant {tenant}: MISMATCH at position {} after {} intact events: {violation} {}",
                    violation.position(),
                    report.events_checked,
                    serde_json::to_string(violation)?
                ),
            }
        }
        intact &= report.is_intact();
    }
    if !json {
        println!(
            "{} tenants, {events} events checked: {}",
            tenants.len(),
            if intact {
                "all intact"
            } else {
                "TAMPERING DETECTED"
            }
        );
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn projections(url: &DatabaseUrl, command: ProjectionsCommand) -> anyhow::Result<ExitCode> {
    let stores = open(url).await?;
    let engine = ProjectionEngine::new(
        stores.events.clone(),
        EngineSettings::for_backend(stores.backend),
    );
    match command {
        ProjectionsCommand::Rebuild { name } => {
            let selection = match name {
                Some(name) => {
                    if !engine.projection_names().contains(&name.as_str()) {
                        bail!(
                            "unknown projection {name:?}; known: {}",
                            engine.projection_names().join(", ")
                        );
                    }
                    ProjectionSelection::Named(name)
                }
                None => ProjectionSelection::All,
            };
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} rebuilding [{bar:40}] {pos}/{len} events ({per_sec}, {eta})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            let started = std::time::Instant::now();
            let reports = engine
                .rebuild(selection, &mut |processed, total| {
                    bar.set_length(total);
                    bar.set_position(processed);
                })
                .await
                .context("rebuilding projections")?;
            bar.finish_and_clear();
            for report in reports {
                println!(
                    "{}: {} events applied in {:.1}s, checksum {}",
                    report.projection,
                    report.events_applied,
                    started.elapsed().as_secs_f64(),
                    engine
                        .checksum(report.projection)
                        .await
                        .context("checksum")?
                );
            }
        }
        ProjectionsCommand::Run { once } => {
            if once {
                for report in engine
                    .catch_up(ProjectionSelection::All)
                    .await
                    .context("catching up")?
                {
                    if report.locked_elsewhere {
                        println!(
                            "{}: {} events applied; another worker holds it, left to that worker",
                            report.projection, report.events_applied
                        );
                    } else {
                        println!(
                            "{}: {} events applied",
                            report.projection, report.events_applied
                        );
                    }
                }
            } else {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let wake = std::sync::Arc::new(tokio::sync::Notify::new());
                let mut runner = engine.spawn(wake, stopped);
                // Until Ctrl-C, or until the runner ends by itself (an event no projection can
                // decode, or every projection stopped): then the process fails, for its
                // supervisor to see.
                let ended = tokio::select! {
                    signal = tokio::signal::ctrl_c() => {
                        signal.context("waiting for Ctrl-C")?;
                        stop.send(true).ok();
                        runner.await
                    }
                    ended = &mut runner => ended,
                };
                ended
                    .context("the projection runner panicked")?
                    .context("projections failed")?;
            }
        }
        ProjectionsCommand::Status { json } => {
            for status in engine.status().await.context("reading projection status")? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "projection": status.projection,
                            "events_in_log": status.events_in_log,
                            "events_behind": status.events_behind,
                            "events_processed": status.checkpoint.events_processed,
                        })
                    );
                } else {
                    println!(
                        "{}: {} of {} events applied, {} behind",
                        status.projection,
                        status.checkpoint.events_processed,
                        status.events_in_log,
                        status.events_behind
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The vault's key-encryption key: from `ECUSSON_VAULT_KEY` (base64) when set, else from the
/// key file, which is created (mode 0600) on first use for the embedded setup.
async fn keys(
    url: &DatabaseUrl,
    network: Option<String>,
    vault_key_file: &std::path::Path,
    command: crate::cli::KeysCommand,
) -> anyhow::Result<ExitCode> {
    use crate::cli::KeysCommand;
    use ecusson_app::keys;
    use ecusson_domain::{IssuerKeyId, KeyRevocationReason};
    let network = network.context("--network names the network (its tenant id)")?;
    let network = TenantId::parse(&network).context("reading --network")?;
    let stores = open(url).await?;
    let ledger = ecusson_app::Ledger::new(stores.events.clone());
    match command {
        KeysCommand::Generate | KeysCommand::Rotate => {
            let vault =
                ecusson_store::Vault::new(stores.events.clone(), vault_key(vault_key_file)?);
            let rotate = matches!(command, KeysCommand::Rotate);
            for key in keys::activate_network_keys(&ledger, &vault, network, rotate).await? {
                println!(
                    "{} {} {}",
                    key.key_id,
                    key.algorithm.as_str(),
                    key.public_key_multibase
                );
            }
        }
        KeysCommand::Revoke {
            key,
            compromised_since,
            reason,
        } => {
            let key_id = IssuerKeyId::parse(&key).context("reading --key")?;
            let since = match compromised_since {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .context("reading --compromised-since (RFC 3339)")?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            let reason = match reason.as_str() {
                "key-compromise" => KeyRevocationReason::KeyCompromise,
                "superseded" => KeyRevocationReason::Superseded,
                other => bail!("--reason is key-compromise or superseded, not {other:?}"),
            };
            keys::revoke_key(&ledger, network, key_id, since, reason).await?;
            println!("{key_id} revoked");
        }
        KeysCommand::List { json } => {
            let state = keys::issuer_keys(&ledger, network).await?;
            for key in state.keys() {
                let status = match (&key.revocation, key.retired_at) {
                    (Some(_), _) => "revoked",
                    (None, Some(_)) => "retired",
                    (None, None) => "active",
                };
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "keyId": key.key_id.to_string(),
                            "algorithm": key.algorithm.as_str(),
                            "publicKeyMultibase": key.public_key_multibase,
                            "status": status,
                            "activatedAt": key.activated_at,
                            "retiredAt": key.retired_at,
                            "compromisedSince": key.revocation.as_ref().map(|r| r.compromised_since),
                        })
                    );
                } else {
                    println!(
                        "{} {} {} {status}",
                        key.key_id,
                        key.algorithm.as_str(),
                        key.public_key_multibase
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn vault_key(file: &std::path::Path) -> anyhow::Result<ecusson_store::VaultKey> {
    if let Ok(text) = std::env::var("ECUSSON_VAULT_KEY") {
        return ecusson_store::VaultKey::from_base64(&text).context("reading ECUSSON_VAULT_KEY");
    }
    if file.exists() {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        return ecusson_store::VaultKey::from_base64(&text)
            .with_context(|| format!("reading {}", file.display()));
    }
    let key = ecusson_store::VaultKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options
        .open(file)
        .with_context(|| format!("creating {}", file.display()))?;
    std::io::Write::write_all(&mut handle, key.to_base64().as_bytes())?;
    eprintln!(
        "created a new vault key in {} (keep it safe: without it the vault cannot be read)",
        file.display()
    );
    Ok(key)
}
