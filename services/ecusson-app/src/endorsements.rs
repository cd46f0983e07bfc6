//! Open Badges 3.0 `EndorsementCredential`s: an organisation's endorsement of the network as
//! issuer or of one of its badge classes, and a host company's public recommendation of a
//! worker's badge. The organisations hold no keys: the ledger signs on their behalf, with the
//! network's key, published in each organisation's own controller document
//! (`<network>/organisations/<id>`, see [`crate::credentials::PublicSite::organisation`]), and
//! only for what the organisation said through the ledger — an endorsement the network recorded
//! in its name, a recommendation whose author agreed to its publication.
//!
//! Nothing is stored: a credential is built from the event it restates and signed when asked
//! for. Its date is the event's, its key the network's key in service then (or, for what
//! predates the first key, that key from its activation), and Ed25519 signatures are
//! deterministic: the same credential comes out, byte for byte, every time. A withdrawn
//! endorsement, a recommendation the worker no longer shows, an erased testimony: no credential.

use crate::credentials::{network_of, vault_text, PublicSite};
use crate::keys::LedgerKeys;
use crate::{AppError, Ledger};
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_badges::credential::{EndorsementCredential, Profile};
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_domain::catalogue::BadgeClass;
use ecusson_domain::issuer_keys::IssuerKey;
use ecusson_domain::{
    Aggregate, AwardId, DomainEvent, Earner, EndorsementId, IssuerKeys, KeyAlgorithm, Network,
    OrganisationId, PersonId, RecommendationId, TenantId,
};
use ecusson_store::{StreamId, Vault};
use serde_json::Value;

fn stream(name: String) -> Result<StreamId, AppError> {
    Ok(StreamId::parse(name)?)
}

fn seconds(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The network's Ed25519 key that signed at `instant`: the one in service then and not
/// compromised then, or else the next trustworthy key, from its activation (for what came
/// before any key existed, or fell in a key's compromise window).
fn key_at(keys: &IssuerKeys, instant: DateTime<Utc>) -> Option<(&IssuerKey, DateTime<Utc>)> {
    let ed25519 = || {
        keys.keys()
            .iter()
            .filter(|key| key.algorithm == KeyAlgorithm::Ed25519)
    };
    // A key compromised at that instant signs nothing dated then: what it would sign fails.
    let trusted_at = |key: &&IssuerKey, at: DateTime<Utc>| {
        key.revocation
            .as_ref()
            .is_none_or(|revocation| revocation.compromised_since > at)
    };
    let in_service = ed25519().rev().find(|key| {
        key.activated_at <= instant
            && key.retired_at.is_none_or(|retired| retired > instant)
            && trusted_at(key, instant)
    });
    match in_service {
        Some(key) => Some((key, instant)),
        None => ed25519()
            .find(|key| key.activated_at > instant && trusted_at(key, key.activated_at))
            .map(|key| (key, key.activated_at)),
    }
}

/// Signs an endorsement in the name of the organisation at `issuer_url`, dated `at`.
async fn sign_for(
    ledger: &Ledger,
    vault: &Vault,
    network: TenantId,
    credential: &EndorsementCredential,
    at: DateTime<Utc>,
) -> Result<Option<Value>, AppError> {
    let keys = crate::keys::issuer_keys(ledger, network).await?;
    let Some((key, signed_at)) = key_at(&keys, at) else {
        return Ok(None);
    };
    let secret = crate::keys::secret_of(vault, network, key).await?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&secret);
    let signed = ecusson_badges::sign(
        &credential.to_json(),
        &signing,
        &ProofOptions {
            verification_method: organisation_method(&credential.issuer.id, key),
            created: seconds(signed_at),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .map_err(|error| AppError::Internal(Box::new(error)))?;
    Ok(Some(signed))
}

/// The id of a network key in an organisation's controller document.
pub fn organisation_method(organisation_url: &str, key: &IssuerKey) -> String {
    format!("{organisation_url}#{}", key.public_key_multibase)
}

/// The network's keys as an organisation's document lists them (what the ledger signs with on
/// its behalf), for the verifier.
pub fn organisation_keys(keys: &IssuerKeys, organisation_url: &str) -> LedgerKeys {
    LedgerKeys::new(keys, organisation_url, |key| {
        organisation_method(organisation_url, key)
    })
}

fn organisation_profile(
    site: &PublicSite,
    network: TenantId,
    state: &Network,
    organisation: OrganisationId,
) -> Profile {
    Profile {
        id: site.organisation(network, organisation),
        name: state
            .organisation_name(organisation)
            .unwrap_or_default()
            .to_owned(),
        url: None,
    }
}

/// An organisation's endorsement of the network or of a badge class, signed; `None` when
/// unknown or withdrawn, or when the network has no key yet.
pub async fn endorsement_credential(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    network: TenantId,
    endorsement_id: EndorsementId,
) -> Result<Option<Value>, AppError> {
    let events = ledger
        .stream_events(network, &stream(Network::stream_name())?)
        .await?;
    let mut state = Network::default();
    let mut found = None;
    for (recorded_at, event) in &events {
        match event {
            DomainEvent::IssuerEndorsed(endorsed) if endorsed.endorsement_id == endorsement_id => {
                found = Some((
                    *recorded_at,
                    endorsed.organisation_id,
                    None,
                    endorsed.statement.clone(),
                ));
            }
            DomainEvent::BadgeClassEndorsed(endorsed)
                if endorsed.endorsement_id == endorsement_id =>
            {
                found = Some((
                    *recorded_at,
                    endorsed.organisation_id,
                    Some(endorsed.badge_class_id),
                    endorsed.statement.clone(),
                ));
            }
            _ => {}
        }
        state = state.evolve(event);
    }
    // Withdrawn: no longer the organisation's word.
    let (Some((at, organisation, class, statement)), true) =
        (found, state.endorsement(endorsement_id).is_some())
    else {
        return Ok(None);
    };
    let subject_id = match class {
        None => site.issuer(network),
        Some(class) => {
            // The revision the class was at when endorsed.
            let revision = ledger
                .stream_events(network, &stream(BadgeClass::stream_name(class))?)
                .await?
                .iter()
                .filter(|(recorded_at, _)| *recorded_at <= at)
                .fold(BadgeClass::default(), |class, (_, event)| {
                    class.evolve(event)
                })
                .current_revision();
            site.achievement(network, class, revision)
        }
    };
    let issuer = organisation_profile(site, network, &state, organisation);
    let credential = EndorsementCredential {
        id: site.endorsement(network, endorsement_id),
        name: format!("Reconnaissance par {}", issuer.name),
        issuer,
        subject_id,
        comment: statement,
        valid_from: seconds(at),
    };
    sign_for(ledger, vault, network, &credential, at).await
}

/// A host company's recommendation of a worker's badge, signed in its name; `None` unless its
/// author agreed to its publication and the worker shows their recommendations, and it names
/// an organisation.
pub async fn recommendation_credential(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    tenant: TenantId,
    earner_id: PersonId,
    award_id: AwardId,
    recommendation_id: RecommendationId,
) -> Result<Option<Value>, AppError> {
    let events = ledger
        .stream_events(tenant, &stream(Earner::stream_name(earner_id))?)
        .await?;
    let given_at = events.iter().find_map(|(recorded_at, event)| match event {
        DomainEvent::RecommendationGiven(given) if given.recommendation_id == recommendation_id => {
            Some(*recorded_at)
        }
        _ => None,
    });
    let earner = events
        .iter()
        .fold(Earner::default(), |earner, (_, event)| earner.evolve(event));
    let (Some(at), Some(recommendation)) = (given_at, earner.recommendation(recommendation_id))
    else {
        return Ok(None);
    };
    let shown = recommendation.public
        && recommendation.award_id == award_id
        && earner.consent().show_recommendations;
    let (true, Some(organisation), Some(testimony)) = (
        shown,
        recommendation.organisation_id,
        recommendation.testimony,
    ) else {
        return Ok(None);
    };
    let Some(testimony) = vault_text(vault, tenant, testimony).await? else {
        return Ok(None);
    };
    let Some((network, _)) = network_of(ledger, tenant).await? else {
        return Ok(None);
    };
    let state = ledger
        .load::<Network>(network, &stream(Network::stream_name())?)
        .await?
        .state;
    let issuer = organisation_profile(site, network, &state, organisation);
    let credential = EndorsementCredential {
        id: site.recommendation(award_id, recommendation_id),
        name: format!("Recommandation de {}", issuer.name),
        issuer,
        subject_id: site.ob2_assertion(award_id),
        comment: testimony,
        valid_from: seconds(at),
    };
    sign_for(ledger, vault, network, &credential, at).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecusson_domain::events::IssuerKeyActivated;
    use ecusson_domain::IssuerKeyId;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_key_in_service_signs_and_what_came_before_any_key_is_signed_from_the_first() {
        let first = IssuerKeyId::new();
        let second = IssuerKeyId::new();
        let keys = [
            (
                first,
                "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "2026-02-01T00:00:00Z",
                None,
            ),
            (
                second,
                "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                "2026-06-01T00:00:00Z",
                Some(first),
            ),
        ]
        .into_iter()
        .fold(
            IssuerKeys::default(),
            |keys, (key_id, public, when, replaces)| {
                keys.evolve(&DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
                    key_id,
                    algorithm: KeyAlgorithm::Ed25519,
                    public_key_multibase: public.to_owned(),
                    activated_at: at(when),
                    replaces,
                }))
            },
        );
        let signer = |when: &str| key_at(&keys, at(when)).map(|(key, signed)| (key.key_id, signed));
        assert_eq!(
            signer("2026-01-10T00:00:00Z"),
            Some((first, at("2026-02-01T00:00:00Z")))
        );
        assert_eq!(
            signer("2026-03-01T00:00:00Z"),
            Some((first, at("2026-03-01T00:00:00Z")))
        );
        assert_eq!(
            signer("2026-07-01T00:00:00Z"),
            Some((second, at("2026-07-01T00:00:00Z")))
        );
        assert_eq!(
            key_at(&IssuerKeys::default(), at("2026-07-01T00:00:00Z")),
            None
        );
    }
}
