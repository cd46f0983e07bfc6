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
        algorithm: KeyAlgorithm::Ed25519,
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
                algorithm: KeyAlgorithm::Ed25519,
                public_key_multibase: FIRST.to_owned(),
            },
            &network_admin(),
        )
        .then([activated(10, FIRST, "2025-03-10T09:00:00Z", None)]);
    assert_eq!(keys.active(KeyAlgorithm::Ed25519).unwrap().key_id, id(10));

    let rotating = later(network_admin(), at("2025-06-01T09:00:00Z"));
    let keys = given::<IssuerKeys>([activated(10, FIRST, "2025-03-10T09:00:00Z", None)])
        .when(
            IssuerKeysCommand::Rotate {
                key_id: id(11),
                algorithm: KeyAlgorithm::Ed25519,
                public_key_multibase: SECOND.to_owned(),
            },
            &rotating,
        )
        .then([activated(11, SECOND, "2025-06-01T09:00:00Z", Some(10))]);
    assert_eq!(keys.active(KeyAlgorithm::Ed25519).unwrap().key_id, id(11));
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
                algorithm: KeyAlgorithm::Ed25519,
                public_key_multibase: SECOND.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated(
            "the network already has an active Ed25519 key: rotate it".to_owned(),
        ));
    given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Rotate {
                key_id: id(11),
                algorithm: KeyAlgorithm::Ed25519,
                public_key_multibase: SECOND.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::RuleViolated(
            "the network has no active Ed25519 key to rotate: generate one".to_owned(),
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
            algorithm: KeyAlgorithm::Ed25519,
            public_key_multibase: FIRST.to_owned(),
        },
        &network_admin(),
    )
    .then_error(DomainError::RuleViolated(
        "this key was already used: a new key is a new key".to_owned(),
    ));
}

#[test]
fn only_network_admins_manage_keys_and_only_multikeys_of_their_algorithm() {
    let staff = acting_in(network_tenant(), id(2), &[Role::StructureAdmin]);
    given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(10),
                algorithm: KeyAlgorithm::Ed25519,
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
                    algorithm: KeyAlgorithm::Ed25519,
                    public_key_multibase: wrong.to_owned(),
                },
                &network_admin(),
            )
            .then_error(DomainError::InvalidInput("Multikey".to_owned()));
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
    assert!(keys.active(KeyAlgorithm::Ed25519).is_none());
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

/// A P-256 Multikey (test data, the compressed point of no known private key).
const P256: &str = "zDnaefULT2CCGjquMpBDDdZkDvXBQmXfqh61viYkAse6mv3em";

#[test]
fn each_algorithm_has_its_own_active_key() {
    let history = [activated(10, FIRST, "2025-03-10T09:00:00Z", None)];
    let keys = given::<IssuerKeys>(history.clone())
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(20),
                algorithm: KeyAlgorithm::P256,
                public_key_multibase: P256.to_owned(),
            },
            &network_admin(),
        )
        .then([DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
            key_id: id(20),
            algorithm: KeyAlgorithm::P256,
            public_key_multibase: P256.to_owned(),
            activated_at: at("2025-03-10T09:00:00Z"),
            replaces: None,
        })]);
    assert_eq!(keys.active(KeyAlgorithm::Ed25519).unwrap().key_id, id(10));
    assert_eq!(keys.active(KeyAlgorithm::P256).unwrap().key_id, id(20));
    // A P-256 key is not an Ed25519 key, nor the other way round.
    given::<IssuerKeys>(history.clone())
        .when(
            IssuerKeysCommand::Rotate {
                key_id: id(21),
                algorithm: KeyAlgorithm::Ed25519,
                public_key_multibase: P256.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::InvalidInput("Multikey".to_owned()));
    given::<IssuerKeys>([])
        .when(
            IssuerKeysCommand::Generate {
                key_id: id(21),
                algorithm: KeyAlgorithm::P256,
                public_key_multibase: SECOND.to_owned(),
            },
            &network_admin(),
        )
        .then_error(DomainError::InvalidInput("Multikey".to_owned()));
    // Rotating the Ed25519 key leaves the P-256 key active.
    let keys = given::<IssuerKeys>([
        activated(10, FIRST, "2025-03-10T09:00:00Z", None),
        DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
            key_id: id(20),
            algorithm: KeyAlgorithm::P256,
            public_key_multibase: P256.to_owned(),
            activated_at: at("2025-03-10T09:00:00Z"),
            replaces: None,
        }),
    ])
    .when(
        IssuerKeysCommand::Rotate {
            key_id: id(11),
            algorithm: KeyAlgorithm::Ed25519,
            public_key_multibase: SECOND.to_owned(),
        },
        &network_admin(),
    )
    .then([activated(11, SECOND, "2025-03-10T09:00:00Z", Some(10))]);
    assert_eq!(keys.active(KeyAlgorithm::P256).unwrap().key_id, id(20));
    assert_eq!(keys.active(KeyAlgorithm::Ed25519).unwrap().key_id, id(11));
}
