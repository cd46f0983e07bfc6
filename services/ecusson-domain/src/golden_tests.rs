//! Golden tests of the stored event shapes: `schema/events/<type>.v<version>.json` holds one
//! representative payload per event type and schema version. Stored events outlive the code,
//! so a change of shape must show up here as a failing test, and be answered by a new version
//! and an upcaster, never by editing the golden file of a version already in use.

use crate::events::*;
use crate::ids::*;
use crate::model::*;
use crate::test_fixtures::{at, date, id};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn golden_folder() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/events"))
}

fn golden_path(event_type: &str, schema_version: u16) -> PathBuf {
    golden_folder().join(format!("{event_type}.v{schema_version}.json"))
}

fn read_golden(event_type: &str, schema_version: u16) -> Value {
    let path = golden_path(event_type, schema_version);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

fn earner() -> PersonId {
    id(0x0100)
}

fn vault(entry: u128) -> VaultRef {
    VaultRef {
        person_id: earner(),
        entry_id: id(0xF000 + entry),
    }
}

fn content() -> BadgeClassContent {
    BadgeClassContent {
        pathway_id: id(0x3000),
        ..crate::test_fixtures::badge_class_content()
    }
}

fn criterion() -> CriterionDefinition {
    CriterionDefinition {
        criterion: "A passé la période d'essai.".to_owned(),
        evidence: "Copie du contrat, données personnelles masquées.".to_owned(),
        evaluator_roles: vec![Role::Counsellor, Role::Direction],
        process: "Après signature du renouvellement, demande avec la conseillère.".to_owned(),
    }
}

fn evidence() -> Evidence {
    Evidence {
        evidence_id: id(0xE000),
        kind: EvidenceKind::Document,
        content: vault(1),
    }
}

/// One representative sample of every variant of [`DomainEvent`]. The match in
/// `every_variant_has_a_sample` fails to compile when a variant is added without a sample.
fn samples() -> Vec<DomainEvent> {
    vec![
        DomainEvent::NetworkRegistered(NetworkRegistered {
            network_id: id(0x1000),
            name: "INAÉ".to_owned(),
        }),
        DomainEvent::StructureAdmitted(StructureAdmitted {
            structure_id: id(0x2000),
            kind: StructureKind::Aci,
            name: "Chantier du Val".to_owned(),
        }),
        DomainEvent::OrganisationRegistered(OrganisationRegistered {
            organisation_id: id(0x5000),
            kind: OrganisationKind::EndorsingOrganisation,
            name: "Région Nouvelle-Aquitaine".to_owned(),
        }),
        DomainEvent::CommitteeFormed(CommitteeFormed {
            committee_id: id(0x6000),
            structures: vec![id(0x2000), id(0x2001)],
            members: vec![id(0x0110), id(0x0111), id(0x0112)],
            quorum: 2,
        }),
        DomainEvent::CommitteeMembershipChanged(CommitteeMembershipChanged {
            committee_id: id(0x6000),
            members: vec![id(0x0110), id(0x0113)],
            quorum: 2,
        }),
        DomainEvent::IssuerEndorsed(IssuerEndorsed {
            endorsement_id: id(0x8000),
            organisation_id: id(0x5000),
            statement: "La Région soutient le programme de badges de l'IAE.".to_owned(),
        }),
        DomainEvent::BadgeClassEndorsed(BadgeClassEndorsed {
            endorsement_id: id(0x8001),
            organisation_id: id(0x5000),
            badge_class_id: id(0x7000),
            statement: "Un badge reconnu par la branche.".to_owned(),
        }),
        DomainEvent::EndorsementWithdrawn(EndorsementWithdrawn {
            endorsement_id: id(0x8001),
        }),
        DomainEvent::StaffAppointed(StaffAppointed {
            person_id: id(0x0101),
            roles: vec![Role::Counsellor, Role::CommitteeMember],
        }),
        DomainEvent::StaffRolesChanged(StaffRolesChanged {
            person_id: id(0x0101),
            roles: vec![Role::Counsellor, Role::Direction],
        }),
        DomainEvent::StaffDeparted(StaffDeparted {
            person_id: id(0x0101),
        }),
        DomainEvent::IssuerKeyActivated(IssuerKeyActivated {
            key_id: id(0xB000),
            algorithm: KeyAlgorithm::Ed25519,
            public_key_multibase: "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2".to_owned(),
            activated_at: at("2025-06-01T09:00:00Z"),
            replaces: Some(id(0xB001)),
        }),
        DomainEvent::IssuerKeyRevoked(IssuerKeyRevoked {
            key_id: id(0xB001),
            compromised_since: at("2025-05-20T00:00:00Z"),
            revoked_at: at("2025-06-01T09:00:00Z"),
            reason: KeyRevocationReason::KeyCompromise,
        }),
        DomainEvent::PathwayDefined(PathwayDefined {
            pathway_id: id(0x3000),
            rank: 1,
            name: "Premiers pas".to_owned(),
            description: "Valoriser les premières actions dans la structure.".to_owned(),
        }),
        DomainEvent::BadgeClassPublished(BadgeClassPublished {
            badge_class_id: id(0x7000),
            revision: 1,
            content: content(),
            automatic_validation: false,
        }),
        DomainEvent::BadgeClassRevised(BadgeClassRevised {
            badge_class_id: id(0x7000),
            revision: 2,
            content: BadgeClassContent {
                validity_months: None,
                alignments: vec![],
                ..content()
            },
        }),
        DomainEvent::BadgeClassRetired(BadgeClassRetired {
            badge_class_id: id(0x7000),
        }),
        DomainEvent::BadgeClassAdopted(BadgeClassAdopted {
            badge_class_id: id(0x7000),
            criterion: criterion(),
        }),
        DomainEvent::CriterionRevised(CriterionRevised {
            badge_class_id: id(0x7000),
            criterion: CriterionDefinition {
                evaluator_roles: vec![Role::Direction],
                ..criterion()
            },
        }),
        DomainEvent::ValidationModeSet(ValidationModeSet {
            badge_class_id: id(0x7000),
            mode: ValidationMode::Committee {
                committee_id: id(0x6000),
            },
        }),
        DomainEvent::EarnerEnrolled(EarnerEnrolled {
            earner_id: earner(),
            enrolled_on: date("2025-01-06"),
        }),
        DomainEvent::BadgeRequested(BadgeRequested {
            request_id: id(0x9000),
            earner_id: earner(),
            badge_class_id: id(0x7000),
            revision: 1,
            mode: RequestMode::Pair {
                counsellor_id: id(0x0101),
            },
            requested_by: id(0x0101),
            route: ValidationRoute::Committee {
                committee_id: id(0x6000),
                quorum: 2,
            },
            evidence: vec![evidence()],
        }),
        DomainEvent::RequestWithdrawn(RequestWithdrawn {
            request_id: id(0x9000),
            reason: Reason {
                code: ReasonCode::RequestedByEarner,
                note: None,
            },
        }),
        DomainEvent::CommitteeVoteCast(CommitteeVoteCast {
            request_id: id(0x9000),
            committee_id: id(0x6000),
            member_id: id(0x0110),
            vote: Vote::Approve,
        }),
        DomainEvent::RequestApproved(request_approved_sample()),
        DomainEvent::RequestRefused(RequestRefused {
            request_id: id(0x9000),
            decided_by: DecidedBy::Committee {
                committee_id: id(0x6000),
                votes_for: 1,
                votes_against: 1,
            },
            reason: Reason {
                code: ReasonCode::CriteriaNotMet,
                note: None,
            },
        }),
        DomainEvent::BadgeAwarded(BadgeAwarded {
            award_id: id(0xA000),
            request_id: id(0x9000),
            earner_id: earner(),
            badge_class_id: id(0x7000),
            revision: 1,
            awarded_at: at("2025-03-10T09:00:00Z"),
            expires_at: Some(at("2027-03-10T09:00:00Z")),
        }),
        DomainEvent::BadgeRevoked(BadgeRevoked {
            award_id: id(0xA000),
            reason: Reason {
                code: ReasonCode::IssuedInError,
                note: Some(vault(2)),
            },
        }),
        DomainEvent::BadgeExpired(BadgeExpired {
            award_id: id(0xA000),
        }),
        DomainEvent::EvidenceAdded(EvidenceAdded {
            request_id: id(0x9000),
            award_id: Some(id(0xA000)),
            evidence: Evidence {
                evidence_id: id(0xE001),
                kind: EvidenceKind::Photo,
                content: vault(3),
            },
        }),
        DomainEvent::RecommendationAsked(RecommendationAsked {
            recommendation_id: id(0xB000),
            award_id: id(0xA000),
            recommender_id: id(0x0120),
            organisation_id: Some(id(0x5001)),
        }),
        DomainEvent::RecommendationGiven(RecommendationGiven {
            recommendation_id: id(0xB000),
            award_id: id(0xA000),
            recommender_id: id(0x0120),
            organisation_id: Some(id(0x5001)),
            testimony: vault(4),
            public: true,
        }),
        DomainEvent::RecommendationDeclined(RecommendationDeclined {
            recommendation_id: id(0xB001),
            award_id: id(0xA000),
        }),
        DomainEvent::PathwayExited(PathwayExited {
            earner_id: earner(),
            outcome: ExitOutcome::DurableEmployment,
            exited_on: date("2025-06-30"),
        }),
        DomainEvent::CredentialIssued(CredentialIssued {
            credential_id: id(0xC100),
            award_id: id(0xA000),
            proof_key_id: id(0xB000),
            jwt_key_id: Some(id(0xB002)),
            issued_at: at("2025-05-01T10:00:00Z"),
            document: vault(6),
            digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            shows_name: true,
            public_evidence: vec![id(0xE000)],
        }),
        DomainEvent::PublicationConsentSet(PublicationConsentSet {
            show_name: true,
            show_recommendations: false,
            public_evidence: vec![id(0xE000)],
        }),
        DomainEvent::EarnerIdentityRecorded(EarnerIdentityRecorded {
            name: vault(7),
            email: Some(vault(8)),
        }),
        DomainEvent::SubjectErased(SubjectErased {
            earner_id: earner(),
        }),
        DomainEvent::CvShared(CvShared {
            share_id: id(0xC500),
            shared_at: at("2025-05-02T09:00:00Z"),
            awards: vec![id(0xA000)],
            show_name: true,
            evidence: vec![id(0xE000)],
            show_recommendations: false,
            show_pathway: true,
            expires_on: Some(date("2026-06-30")),
        }),
        DomainEvent::CvShareRevoked(CvShareRevoked {
            share_id: id(0xC500),
        }),
    ]
}

/// The v2 sample; `earner.request_approved.v1.json` is the same decision in the v1 shape.
fn request_approved_sample() -> RequestApproved {
    RequestApproved {
        request_id: id(0x9000),
        decided_by: DecidedBy::Evaluator {
            person_id: id(0x0102),
        },
        reason: Reason {
            code: ReasonCode::CriteriaMet,
            note: Some(vault(5)),
        },
    }
}

#[test]
fn every_variant_has_a_sample() {
    let sampled: BTreeSet<&str> = samples().iter().map(DomainEvent::event_type).collect();
    let catalogued: BTreeSet<&str> = DomainEvent::CATALOGUE
        .iter()
        .map(|(event_type, _)| *event_type)
        .collect();
    assert_eq!(sampled, catalogued);
    assert_eq!(samples().len(), DomainEvent::CATALOGUE.len());
}

#[test]
fn the_catalogue_has_a_golden_file_for_every_type_and_current_version() {
    let missing: Vec<String> = DomainEvent::CATALOGUE
        .iter()
        .map(|(event_type, version)| golden_path(event_type, *version))
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "golden files missing: {missing:#?}");
}

#[test]
fn every_sample_encodes_to_its_golden_file() {
    for sample in samples() {
        let encoded = sample.encode();
        let golden = read_golden(encoded.event_type, encoded.schema_version);
        assert_eq!(
            encoded.payload, golden,
            "{}.v{} no longer matches its golden file",
            encoded.event_type, encoded.schema_version
        );
    }
}

#[test]
fn every_golden_file_decodes_to_its_sample() {
    let samples = samples();
    for (event_type, version) in DomainEvent::CATALOGUE {
        let decoded = DomainEvent::decode(event_type, *version, read_golden(event_type, *version))
            .unwrap_or_else(|error| panic!("{event_type}.v{version}: {error}"));
        let sample = samples
            .iter()
            .find(|sample| sample.event_type() == *event_type)
            .expect("every type has a sample");
        assert_eq!(&decoded, sample);
    }
}

#[test]
fn every_golden_file_is_of_a_catalogued_type_or_an_older_version() {
    let mut unexpected = Vec::new();
    for entry in std::fs::read_dir(golden_folder()).expect("the golden folder exists") {
        let name = entry.expect("readable entry").file_name();
        let name = name.to_string_lossy();
        let Some((event_type, version)) = name
            .strip_suffix(".json")
            .and_then(|stem| stem.rsplit_once(".v"))
        else {
            unexpected.push(name.to_string());
            continue;
        };
        let version: u16 = version.parse().unwrap_or(u16::MAX);
        let known = DomainEvent::CATALOGUE
            .iter()
            .any(|(known_type, current)| *known_type == event_type && version <= *current);
        if !known {
            unexpected.push(name.to_string());
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected golden files: {unexpected:?}"
    );
}

#[test]
fn request_approved_v1_is_upcast_to_the_same_decision_as_v2() {
    let v1 = read_golden("earner.request_approved", 1);
    assert_eq!(
        v1,
        serde_json::json!({
            "request_id": id::<RequestId>(0x9000),
            "approved_by": id::<PersonId>(0x0102),
            "comment": vault(5),
        })
    );
    let from_v1 = DomainEvent::decode("earner.request_approved", 1, v1).unwrap();
    let from_v2 = DomainEvent::decode(
        "earner.request_approved",
        2,
        read_golden("earner.request_approved", 2),
    )
    .unwrap();
    assert_eq!(from_v1, from_v2);
    assert_eq!(
        from_v1,
        DomainEvent::RequestApproved(request_approved_sample())
    );
}

#[test]
fn key_activated_v1_is_upcast_to_an_ed25519_key() {
    let from_v1 = DomainEvent::decode(
        "issuer_keys.key_activated",
        1,
        read_golden("issuer_keys.key_activated", 1),
    )
    .unwrap();
    let from_v2 = DomainEvent::decode(
        "issuer_keys.key_activated",
        2,
        read_golden("issuer_keys.key_activated", 2),
    )
    .unwrap();
    assert_eq!(from_v1, from_v2);
    let DomainEvent::IssuerKeyActivated(activated) = from_v1 else {
        panic!("not a key activation");
    };
    assert_eq!(activated.algorithm, KeyAlgorithm::Ed25519);
    // A v2 payload without its algorithm is malformed, not silently Ed25519.
    let mut v2 = read_golden("issuer_keys.key_activated", 2);
    v2.as_object_mut().unwrap().remove("algorithm");
    assert!(DomainEvent::decode("issuer_keys.key_activated", 2, v2).is_err());
}

#[test]
fn recommendation_given_v1_is_upcast_as_private() {
    let from_v1 = DomainEvent::decode(
        "earner.recommendation_given",
        1,
        read_golden("earner.recommendation_given", 1),
    )
    .unwrap();
    let DomainEvent::RecommendationGiven(given) = from_v1 else {
        panic!("not a recommendation");
    };
    // The same recommendation as the v2 sample, without the consent v1 never recorded.
    let DomainEvent::RecommendationGiven(sample) = DomainEvent::decode(
        "earner.recommendation_given",
        2,
        read_golden("earner.recommendation_given", 2),
    )
    .unwrap() else {
        panic!("not a recommendation");
    };
    assert!(sample.public);
    assert_eq!(
        given,
        RecommendationGiven {
            public: false,
            ..sample
        }
    );
}

#[test]
fn a_v1_approval_without_comment_is_upcast_with_no_note() {
    let v1 = serde_json::json!({
        "request_id": id::<RequestId>(0x9000),
        "approved_by": id::<PersonId>(0x0102),
        "comment": null,
    });
    let decoded = DomainEvent::decode("earner.request_approved", 1, v1).unwrap();
    assert_eq!(
        decoded,
        DomainEvent::RequestApproved(RequestApproved {
            reason: Reason {
                code: ReasonCode::CriteriaMet,
                note: None,
            },
            ..request_approved_sample()
        })
    );
}

#[test]
fn unknown_types_and_versions_are_refused() {
    assert!(matches!(
        DomainEvent::decode("earner.badge_awarded", 9, Value::Null),
        Err(DecodeError::UnknownType { .. })
    ));
    assert!(matches!(
        DomainEvent::decode("earner.teleported", 1, Value::Null),
        Err(DecodeError::UnknownType { .. })
    ));
    assert!(matches!(
        DomainEvent::decode("earner.badge_expired", 1, serde_json::json!({})),
        Err(DecodeError::Payload { .. })
    ));
}
