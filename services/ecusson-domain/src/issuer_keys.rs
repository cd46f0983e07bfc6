//! The network's issuer keys (stream "issuer-keys" of the network tenant): the keys that sign
//! its Open Badges credentials — Ed25519 for Data Integrity proofs, P-256 for VC-JWTs.
//!
//! One key of each algorithm is active at a time. Rotation activates a new key and retires the old one, which
//! signs no more but stays published: a credential is checked against the key that signed it,
//! for as long as the credential lives. Revocation marks a key compromised from a given
//! instant: what it signed from then on must fail verification, what it signed before still
//! verifies (the ledger knows when it issued each credential). Only network admins manage
//! keys. The private halves never enter the log: the events carry the public key.

use crate::decider::{require_any_role, Aggregate};
use crate::events::*;
use crate::ids::*;
use crate::model::*;
use crate::DomainError;
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerKeysCommand {
    /// The first key of an algorithm (refused when one is active: rotate it).
    Generate {
        key_id: IssuerKeyId,
        algorithm: KeyAlgorithm,
        public_key_multibase: String,
    },
    /// A new key replaces the active one of its algorithm.
    Rotate {
        key_id: IssuerKeyId,
        algorithm: KeyAlgorithm,
        public_key_multibase: String,
    },
    Revoke {
        key_id: IssuerKeyId,
        compromised_since: DateTime<Utc>,
        reason: KeyRevocationReason,
    },
}

/// One key as the log tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKey {
    pub key_id: IssuerKeyId,
    pub algorithm: KeyAlgorithm,
    pub public_key_multibase: String,
    pub activated_at: DateTime<Utc>,
    /// When a rotation replaced it (it signs no more).
    pub retired_at: Option<DateTime<Utc>>,
    pub revocation: Option<KeyRevocation>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRevocation {
    pub compromised_since: DateTime<Utc>,
    pub revoked_at: DateTime<Utc>,
    pub reason: KeyRevocationReason,
}

impl IssuerKey {
    /// Whether this key signs new credentials.
    pub fn is_active(&self) -> bool {
        self.retired_at.is_none() && self.revocation.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssuerKeys {
    /// Every key ever activated, oldest first.
    keys: Vec<IssuerKey>,
}

impl IssuerKeys {
    pub const STREAM: &'static str = "issuer-keys";

    pub fn stream_name() -> String {
        Self::STREAM.to_owned()
    }

    /// Every key ever used, oldest first: all of them stay published.
    pub fn keys(&self) -> &[IssuerKey] {
        &self.keys
    }

    /// The key of `algorithm` that signs new credentials, if any.
    pub fn active(&self, algorithm: KeyAlgorithm) -> Option<&IssuerKey> {
        self.keys
            .iter()
            .find(|key| key.algorithm == algorithm && key.is_active())
    }

    pub fn key(&self, key_id: IssuerKeyId) -> Option<&IssuerKey> {
        self.keys.iter().find(|key| key.key_id == key_id)
    }
}

/// A Multikey of the algorithm: multibase base58btc (`z`) of the multicodec prefix and the
/// key. Ed25519 (`0xed01` and 32 bytes) always starts with `z6Mk` and is 48 characters long;
/// P-256 (`0x8024` and a 33-byte compressed point) starts with `zDna` and is 49 characters
/// long. (The signing code checks the key itself; this catches a wrong kind of key before it
/// is recorded for good.)
fn check_public_key(algorithm: KeyAlgorithm, text: &str) -> Result<(), DomainError> {
    let base58 = |character: char| {
        character.is_ascii_alphanumeric() && !matches!(character, '0' | 'O' | 'I' | 'l')
    };
    let (prefix, length) = match algorithm {
        KeyAlgorithm::Ed25519 => ("z6Mk", 48),
        KeyAlgorithm::P256 => ("zDna", 49),
    };
    if text.len() == length && text.starts_with(prefix) && text.chars().all(base58) {
        Ok(())
    } else {
        Err(DomainError::InvalidInput(format!(
            "an {} issuer key is a Multikey ({prefix}…, {length} characters)",
            algorithm.as_str()
        )))
    }
}

impl Aggregate for IssuerKeys {
    type Command = IssuerKeysCommand;

    fn decide(
        &self,
        command: &IssuerKeysCommand,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        require_any_role(context, &[Role::NetworkAdmin], "manage the issuer keys")?;
        match command {
            IssuerKeysCommand::Generate {
                key_id,
                algorithm,
                public_key_multibase,
            }
            | IssuerKeysCommand::Rotate {
                key_id,
                algorithm,
                public_key_multibase,
            } => {
                check_public_key(*algorithm, public_key_multibase)?;
                if self.key(*key_id).is_some()
                    || self
                        .keys
                        .iter()
                        .any(|key| &key.public_key_multibase == public_key_multibase)
                {
                    return Err(DomainError::RuleViolated(
                        "this key was already used: a new key is a new key".to_owned(),
                    ));
                }
                let replaces = self.active(*algorithm).map(|key| key.key_id);
                match (command, replaces) {
                    (IssuerKeysCommand::Generate { .. }, Some(_)) => {
                        return Err(DomainError::RuleViolated(format!(
                            "the network already has an active {} key: rotate it",
                            algorithm.as_str()
                        )))
                    }
                    (IssuerKeysCommand::Rotate { .. }, None) => {
                        return Err(DomainError::RuleViolated(format!(
                            "the network has no active {} key to rotate: generate one",
                            algorithm.as_str()
                        )))
                    }
                    _ => {}
                }
                Ok(vec![DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
                    key_id: *key_id,
                    algorithm: *algorithm,
                    public_key_multibase: public_key_multibase.clone(),
                    activated_at: context.now,
                    replaces,
                })])
            }
            IssuerKeysCommand::Revoke {
                key_id,
                compromised_since,
                reason,
            } => {
                let key = self
                    .key(*key_id)
                    .ok_or_else(|| DomainError::NotFound(format!("issuer key {key_id}")))?;
                if key.revocation.is_some() {
                    return Err(DomainError::RuleViolated(format!(
                        "issuer key {key_id} is already revoked"
                    )));
                }
                if *compromised_since > context.now {
                    return Err(DomainError::InvalidInput(
                        "a compromise cannot be dated in the future".to_owned(),
                    ));
                }
                Ok(vec![DomainEvent::IssuerKeyRevoked(IssuerKeyRevoked {
                    key_id: *key_id,
                    // Before the key existed it signed nothing: the earliest that means
                    // anything is its activation.
                    compromised_since: (*compromised_since).max(key.activated_at),
                    revoked_at: context.now,
                    reason: *reason,
                })])
            }
        }
    }

    fn evolve(mut self, event: &DomainEvent) -> Self {
        match event {
            DomainEvent::IssuerKeyActivated(activated) => {
                for key in &mut self.keys {
                    if Some(key.key_id) == activated.replaces {
                        key.retired_at = Some(activated.activated_at);
                    }
                }
                self.keys.push(IssuerKey {
                    key_id: activated.key_id,
                    algorithm: activated.algorithm,
                    public_key_multibase: activated.public_key_multibase.clone(),
                    activated_at: activated.activated_at,
                    retired_at: None,
                    revocation: None,
                });
            }
            DomainEvent::IssuerKeyRevoked(revoked) => {
                if let Some(key) = self
                    .keys
                    .iter_mut()
                    .find(|key| key.key_id == revoked.key_id)
                {
                    key.revocation = Some(KeyRevocation {
                        compromised_since: revoked.compromised_since,
                        revoked_at: revoked.revoked_at,
                        reason: revoked.reason,
                    });
                }
            }
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests;
