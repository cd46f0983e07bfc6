//! The expiry sweeper: records `BadgeExpired` for every active award whose date has passed.
//!
//! Expiry follows the clock, not anyone's judgement, so the command runs as the ledger itself
//! ([`Actor::ledger`]: the nil person id, no role). The awards due are found in the request-queue read model across
//! every tenant; each is then decided on its earner's stream like any command, so an award the
//! read model still shows as active but that the log already expired or revoked is refused by
//! the domain and skipped. An idempotency key per award makes several nodes sweeping at once
//! append one expiry.

use crate::{AppError, Ledger, RequestMeta};
use ecusson_domain::{Actor, DomainError, Earner, EarnerCommand};
use ecusson_store::{IdempotencyKey, StreamId};

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Awards whose expiry this sweep recorded.
    pub expired: usize,
    /// Awards the read model listed but the log had already settled (expired, revoked).
    pub already_settled: usize,
}

/// Records the expiry of at most `limit` awards due at the ledger's clock.
pub async fn expire_due_awards(ledger: &Ledger, limit: usize) -> Result<ExpiryReport, AppError> {
    let now = ledger.now();
    let due = {
        let mut transaction = ledger.store().begin_read_only().await?;
        ecusson_projections::awards_due_to_expire(transaction.as_mut(), now, limit)
            .await
            .map_err(|error| AppError::Internal(Box::new(error)))?
    };
    let mut report = ExpiryReport::default();
    for entry in due {
        let Some(award_id) = entry.award_id else {
            continue;
        };
        let actor = Actor::ledger(entry.tenant_id);
        let stream = StreamId::parse(Earner::stream_name(entry.earner_id))?;
        let key = format!("expiry/{award_id}");
        let meta = RequestMeta {
            idempotency_key: Some(IdempotencyKey::new(&key, key.as_bytes())?),
            ..RequestMeta::default()
        };
        let outcome = ledger
            .execute::<Earner, _>(&actor, entry.tenant_id, &stream, &meta, |_| {
                Ok(EarnerCommand::ExpireBadge { award_id })
            })
            .await;
        match outcome {
            Ok(executed) if executed.position.is_some() && !executed.replayed => {
                report.expired += 1;
            }
            Ok(_) | Err(AppError::Domain(DomainError::RuleViolated(_))) => {
                report.already_settled += 1;
            }
            Err(error) => return Err(error),
        }
    }
    if report.expired > 0 {
        tracing::info!(expired = report.expired, "recorded expired badges");
    }
    Ok(report)
}
