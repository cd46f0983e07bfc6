//! `ecusson audit seal|export|verify|key`: the verifiable audit trail from the command line.

use crate::cli::AuditCommand;
use anyhow::Context;
use ecusson_app::audit::{self, SealPolicy};
use ecusson_app::credentials::PublicSite;
use ecusson_app::Ledger;
use ecusson_domain::TenantId;
use ecusson_store::{DatabaseUrl, Vault};
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;

pub async fn run(
    url: &DatabaseUrl,
    vault_key_file: &std::path::Path,
    command: AuditCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { bundle, key, json } => verify(&bundle, key.as_deref(), json),
        AuditCommand::Key { network } => {
            let network = TenantId::parse(&network).context("reading --network")?;
            let stores = crate::commands::open(url).await?;
            let vault = Vault::new(stores.events, crate::commands::vault_key(vault_key_file)?);
            println!("{}", audit::verifier(&vault, network));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Seal { tenant, public_url } => {
            let site = PublicSite::new(&public_url).context("reading --public-url")?;
            let stores = crate::commands::open(url).await?;
            let ledger = Ledger::new(stores.events.clone());
            let vault = Vault::new(stores.events, crate::commands::vault_key(vault_key_file)?);
            let tenants = match tenant {
                Some(text) => vec![TenantId::parse(&text).context("reading --tenant")?],
                None => ledger.store().tenants().await.context("listing tenants")?,
            };
            let mut intact = true;
            for tenant in tenants {
                match audit::seal_tenant(
                    &ledger,
                    &vault,
                    &site,
                    tenant,
                    SealPolicy::default(),
                    true,
                )
                .await
                {
                    Ok(outcome) => {
                        println!("tenant {tenant}: {}", serde_json::to_string(&outcome)?)
                    }
                    Err(audit::AuditError::Tampered { violation, .. }) => {
                        intact = false;
                        println!(
                            "tenant {tenant}: NOT SEALED, MISMATCH at position {}: {violation}",
                            violation.position()
                        );
                    }
                    Err(audit::AuditError::App(error)) => {
                        return Err(error).with_context(|| format!("sealing tenant {tenant}"))
                    }
                }
            }
            Ok(if intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Export {
            tenant,
            until,
            output,
        } => {
            let tenant = TenantId::parse(&tenant).context("reading --tenant")?;
            let stores = crate::commands::open(url).await?;
            let ledger = Ledger::new(stores.events.clone());
            let vault = Vault::new(stores.events, crate::commands::vault_key(vault_key_file)?);
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout().lock())),
            };
            let summary = audit::export_bundle(&ledger, &vault, tenant, until, &mut out)
                .await
                .context("exporting the bundle")?;
            drop(out);
            eprintln!(
                "{} events, {} checkpoints written",
                summary.events, summary.checkpoints
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify(bundle: &std::path::Path, key: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let pinned = key
        .map(|text| text.parse::<ecusson_audit::NoteVerifier>())
        .transpose()
        .context("reading --key")?;
    let file =
        std::fs::File::open(bundle).with_context(|| format!("opening {}", bundle.display()))?;
    let report = audit::verify_bundle(BufReader::new(file), pinned.as_ref());
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        if let Some(tenant) = report.tenant {
            println!("tenant {tenant}, log {}", report.origin);
        }
        println!(
            "signed by {} ({})",
            report.verifier_key,
            if report.key_pinned {
                "the key given with --key"
            } else {
                "the bundle's own key: compare it with the key the network published"
            }
        );
        println!(
            "{} events, {} checkpoints; events 1..={} covered by a signed checkpoint",
            report.events, report.checkpoints, report.sealed_events
        );
        if let Some(figures) = &report.figures {
            let text = |shown: &ecusson_reports::disclosure::Shown| match shown {
                ecusson_reports::disclosure::Shown::Count(n) => n.to_string(),
                ecusson_reports::disclosure::Shown::Suppressed(text) => (*text).to_owned(),
            };
            println!(
                "figures recomputed from the events (as a funder sees them): badges awarded {}, \
                 workers badged {}, decisions {}{}",
                text(&figures.awards_total),
                text(&figures.workers_badged),
                text(&figures.decision_time.count),
                if report.uncounted_events > 0 {
                    format!(
                        " ({} events of unknown types not counted)",
                        report.uncounted_events
                    )
                } else {
                    String::new()
                }
            );
        }
        match &report.failure {
            None => println!("VALID: every signature, proof, hash and tree holds"),
            Some(failure) => println!(
                "INVALID at line {}{}: {}",
                failure.line,
                failure
                    .position
                    .map(|position| format!(", position {position}"))
                    .unwrap_or_default(),
                failure.message
            ),
        }
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
