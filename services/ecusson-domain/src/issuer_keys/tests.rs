//! Given / when / then tests of the issuer keys.

use super::*;
use crate::decider::given;
use crate::test_fixtures::*;

/// Two well-formed Ed25519 Multikeys (test data; no private key exists for them here).
const FIRST: &str = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const SECOND: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

fn network_admin() -> CommandContext {
    acting_in(network_tenant(), id(1), &[Role::NetworkAdmin])
}

fn activated(key: u128, public: &str, when: &str, replaces: Option<u128>) -> DomainEvent {
    DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
        key_id: id(key),
        public_key_multibase: public.to_owned(),
        activated_at: at(when),
        replaces: replaces.map(id),
    })
}

#[test]
fn the_first_key_is_generated_then_rotated_and_both_stay_published() {
    let keys = given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(10),
                public_key_multibase: FIRST.to_owned(),
            },
            &network_admin(),
        )
        .then([activated(10, FIRST, "2025-03-10T09:00:00Z", None)]);
    assert_eq!(keys.active().unwrap().key_id, id(10));

    let rotating = later(network_admin(), at("2025-06-01T09:00:00Z"));
    let keys = given::<IssuerKeys>([activated(10, FIRST, "2025-03-10T09:00:00Z", None)])
        .when(
            IssuerKeysCommand::Rotate {
                key_id: id(11),
                public_key_multibase: SECOND.to_owned(),
            },
            &rotating,
        )
        .then([activated(11, SECOND, "2025-06-01T09:00:00Z", Some(10))]);
    assert_eq!(keys.active().unwrap().key_id, id(11));
    assert_eq!(keys.keys().len(), 2);
    assert_eq!(
        keys.key(id(10)).unwrap().retired_at,
        Some(at("2025-06-01T09:00:00Z"))
    );
}

#[test]
fn generate_and_rotate_each_refuse_the_other_case() {
    given::<IssuerKeys>([activated(10, FIRST, "2025-03-10T09:00:00Z", None)])
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(11),
                public_key_multibase: SECOND.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated(
            "the network already has an active key: rotate it".to_owned(),
        ));
    given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Rotate {
                key_id: id(11),
                public_key_multibase: SECOND.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated(
            "the network has no active key to rotate: generate one".to_owned(),
        ));
    // A key used before never comes back, even after a revocation left no active key.
    given::<IssuerKeys>([
        activated(10, FIRST, "2025-03-10T09:00:00Z", None),
        DomainEvent::IssuerKeyRevoked(IssuerKeyRevoked {
            key_id: id(10),
            compromised_since: at("2025-03-10T09:00:00Z"),
            revoked_at: at("2025-03-10T09:00:00Z"),
            reason: KeyRevocationReason::KeyCompromise,
        }),
    ])
    .when(
        IssuerKeysCommand::Generate {
            key_id: id(12),
            public_key_multibase: FIRST.to_owned(),
        },
        &network_admin(),
    )
    .then_error(DomainError::RuleViolated(
        "this key was already used: a new key is a new key".to_owned(),
    ));
}

#[test]
fn only_network_admins_manage_keys_and_only_ed25519_multikeys() {
    let staff = acting_in(network_tenant(), id(2), &[Role::StructureAdmin]);
    given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(10),
                public_key_multibase: FIRST.to_owned(),
            },
            &staff,
        )
        .then_error(DomainError::Forbidden(String::new()));
    for wrong in [
        "",
        "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        "6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doKz",
    ] {
        given::<IssuerKeys>([])
            .when(
                IssuerKeysCommand::Generate {
                    key_id: id(10),
                    public_key_multibase: wrong.to_owned(),
                },
                &network_admin(),
            )
            .then_error(DomainError::InvalidInput("Ed25519 Multikey".to_owned()));
    }
}

#[test]
fn a_revoked_key_is_dated_no_earlier_than_its_activation_and_not_in_the_future() {
    let history = [activated(10, FIRST, "2025-03-10T09:00:00Z", None)];
    let revoking = later(network_admin(), at("2025-05-01T12:00:00Z"));
    let keys = given::<IssuerKeys>(history.clone())
        .when(
            IssuerKeysCommand::Revoke {
                key_id: id(10),
                compromised_since: at("2024-01-01T00:00:00Z"),
                reason: KeyRevocationReason::KeyCompromise,
            },
            &revoking,
        )
        .then([DomainEvent::IssuerKeyRevoked(IssuerKeyRevoked {
            key_id: id(10),
            compromised_since: at("2025-03-10T09:00:00Z"),
            revoked_at: at("2025-05-01T12:00:00Z"),
            reason: KeyRevocationReason::KeyCompromise,
        })]);
    assert!(keys.active().is_none());
    assert!(keys.key(id(10)).unwrap().revocation.is_some());

    given::<IssuerKeys>(history.clone())
        .when(
            IssuerKeysCommand::Revoke {
                key_id: id(10),
                compromised_since: at("2025-06-01T00:00:00Z"),
                reason: KeyRevocationReason::KeyCompromise,
            },
            &revoking,
        )
        .then_error(DomainError::InvalidInput(
            "a compromise cannot be dated in the future".to_owned(),
        ));
    given::<IssuerKeys>(history)
        .when(
            IssuerKeysCommand::Revoke {
                key_id: id(99),
                compromised_since: at("2025-04-01T00:00:00Z"),
                reason: KeyRevocationReason::Superseded,
            },
            &revoking,
        )
        .then_error(DomainError::NotFound(format!(
            "issuer key {}",
            id::<IssuerKeyId>(99)
        )));
}
