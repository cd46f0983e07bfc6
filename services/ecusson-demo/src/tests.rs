use crate::*;
use chrono::Months;
use ecusson_domain::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The state of any stream, rebuilt with `evolve` only.
#[derive(Clone)]
enum AnyState {
    Network(Network),
    Staff(Staff),
    Pathway(Pathway),
    BadgeClass(BadgeClass),
    Adoption(Adoption),
    Earner(Earner),
}

impl AnyState {
    fn for_stream(stream_id: &str) -> Self {
        if stream_id == "network" {
            AnyState::Network(Network::default())
        } else if stream_id == "staff" {
            AnyState::Staff(Staff::default())
        } else if stream_id.starts_with("pathway-") {
            AnyState::Pathway(Pathway::default())
        } else if stream_id.starts_with("badge-class-") {
            AnyState::BadgeClass(BadgeClass::default())
        } else if stream_id.starts_with("adoption-") {
            AnyState::Adoption(Adoption::default())
        } else if stream_id.starts_with("earner-") {
            AnyState::Earner(Earner::default())
        } else {
            panic!("unknown stream {stream_id}")
        }
    }

    fn evolve(self, event: &DomainEvent) -> Self {
        match self {
            AnyState::Network(s) => AnyState::Network(s.evolve(event)),
            AnyState::Staff(s) => AnyState::Staff(s.evolve(event)),
            AnyState::Pathway(s) => AnyState::Pathway(s.evolve(event)),
            AnyState::BadgeClass(s) => AnyState::BadgeClass(s.evolve(event)),
            AnyState::Adoption(s) => AnyState::Adoption(s.evolve(event)),
            AnyState::Earner(s) => AnyState::Earner(s.evolve(event)),
        }
    }
}

/// Replays appends per stream, checking versions, event ownership, time order and encoding.
fn replay<'a>(
    appends: impl IntoIterator<Item = &'a PlannedAppend>,
) -> HashMap<(TenantId, String), (u64, AnyState)> {
    let mut streams: HashMap<(TenantId, String), (u64, AnyState)> = HashMap::new();
    let mut last_time = None;
    for append in appends {
        assert!(!append.events.is_empty(), "an append carries events");
        if let Some(last) = last_time {
            assert!(append.recorded_at >= last, "the clock never goes back");
        }
        last_time = Some(append.recorded_at);
        let key = (append.tenant_id, append.stream_id.clone());
        let (version, state) = streams
            .entry(key)
            .or_insert_with(|| (0, AnyState::for_stream(&append.stream_id)));
        assert_eq!(
            append.expected_version, *version,
            "expected version of {} in {}",
            append.stream_id, append.tenant_id
        );
        for event in &append.events {
            let encoded = event.encode();
            let decoded =
                DomainEvent::decode(encoded.event_type, encoded.schema_version, encoded.payload)
                    .expect("every event decodes");
            assert_eq!(&decoded, event, "encode/decode round-trips");
            *state = state.clone().evolve(event);
            *version += 1;
        }
    }
    streams
}

fn vault_refs(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if map.len() == 2 {
                if let (Some(Value::String(person)), Some(Value::String(entry))) =
                    (map.get("person_id"), map.get("entry_id"))
                {
                    found.push((person.clone(), entry.clone()));
                    return;
                }
            }
            map.values().for_each(|v| vault_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| vault_refs(v, found)),
        _ => {}
    }
}

fn small_shape(seed: u64) -> NetworkShape {
    NetworkShape {
        seed,
        structures: 4,
        earners_per_structure: 6,
        earners_total: None,
        supporters: 3,
        with_vault: true,
        ..demo_shape()
    }
}

#[test]
fn the_same_seed_gives_the_same_history_and_another_seed_another() {
    let one = generate(&demo_shape());
    let two = generate(&demo_shape());
    assert_eq!(one, two);
    let other = generate(&NetworkShape {
        seed: 7,
        ..demo_shape()
    });
    assert_ne!(one.appends, other.appends);
    assert_ne!(one.network_tenant, other.network_tenant);

    let scaled_one: Vec<PlannedAppend> = generate_scaled(3, demo_shape().start, 2, 5_000).collect();
    let scaled_two: Vec<PlannedAppend> = generate_scaled(3, demo_shape().start, 2, 5_000).collect();
    assert_eq!(scaled_one, scaled_two);
    let scaled_other: Vec<PlannedAppend> =
        generate_scaled(4, demo_shape().start, 2, 5_000).collect();
    assert_ne!(scaled_one, scaled_other);
}

#[test]
fn the_vault_does_not_change_the_events() {
    let with = generate(&demo_shape());
    let without = generate(&NetworkShape {
        with_vault: false,
        ..demo_shape()
    });
    assert_eq!(with.appends, without.appends);
    assert!(without.vault.is_empty());
}

#[test]
fn histories_replay_with_contiguous_versions_and_round_trip_encoding() {
    for seed in [1, 2, 3, 2024] {
        let network = generate(&small_shape(seed));
        let streams = replay(&network.appends);
        assert!(streams.len() > 50);
        // Every vault reference of an event points to an entry of the vault, in the tenant of
        // the stream (the person's vault in that tenant).
        let entries: BTreeSet<(TenantId, String, String)> = network
            .vault
            .iter()
            .map(|e| (e.tenant_id, e.person_id.to_string(), e.entry_id.to_string()))
            .collect();
        for append in &network.appends {
            for event in &append.events {
                let mut found = Vec::new();
                vault_refs(&event.encode().payload, &mut found);
                for (person, entry) in found {
                    assert!(
                        entries.contains(&(append.tenant_id, person, entry)),
                        "a vault reference of {} has no entry",
                        event.event_type()
                    );
                }
            }
        }
    }
}

#[derive(Default, Debug)]
struct Coverage {
    request_states: BTreeSet<String>,
    award_states: BTreeSet<String>,
    modes: BTreeSet<String>,
    exits: BTreeSet<String>,
    routes: BTreeSet<String>,
    decided_by: BTreeSet<String>,
    endorsements: BTreeSet<&'static str>,
    recommendations: BTreeSet<&'static str>,
    teamwork_revisions: BTreeSet<u32>,
    evidence_after_award: bool,
    revocation_codes: BTreeSet<String>,
}

fn coverage(network: &GeneratedNetwork, end: chrono::DateTime<chrono::Utc>) -> Coverage {
    let streams = replay(&network.appends);
    let teamwork = network
        .catalogue
        .iter()
        .find(|class| class.slug == "travail-en-equipe")
        .expect("teamwork badge")
        .badge_class_id;
    let mut cover = Coverage::default();
    let mut requests: Vec<(TenantId, String, RequestId)> = Vec::new();
    for append in &network.appends {
        for event in &append.events {
            match event {
                DomainEvent::BadgeRequested(e) => {
                    requests.push((append.tenant_id, append.stream_id.clone(), e.request_id));
                    cover.modes.insert(
                        format!("{:?}", e.mode)
                            .split_whitespace()
                            .next()
                            .unwrap()
                            .to_owned(),
                    );
                    cover.routes.insert(
                        format!("{:?}", e.route)
                            .split_whitespace()
                            .next()
                            .unwrap()
                            .to_owned(),
                    );
                }
                DomainEvent::RequestApproved(e) => {
                    cover.decided_by.insert(format!(
                        "approved by {}",
                        format!("{:?}", e.decided_by)
                            .split_whitespace()
                            .next()
                            .unwrap()
                    ));
                }
                DomainEvent::RequestRefused(e) => {
                    cover.decided_by.insert(format!(
                        "refused by {}",
                        format!("{:?}", e.decided_by)
                            .split_whitespace()
                            .next()
                            .unwrap()
                    ));
                }
                DomainEvent::BadgeAwarded(e) if e.badge_class_id == teamwork => {
                    cover.teamwork_revisions.insert(e.revision);
                }
                DomainEvent::PathwayExited(e) => {
                    cover.exits.insert(format!("{:?}", e.outcome));
                }
                DomainEvent::IssuerEndorsed(_) => {
                    cover.endorsements.insert("issuer");
                }
                DomainEvent::BadgeClassEndorsed(_) => {
                    cover.endorsements.insert("badge class");
                }
                DomainEvent::EndorsementWithdrawn(_) => {
                    cover.endorsements.insert("withdrawn");
                }
                DomainEvent::RecommendationAsked(_) => {
                    cover.recommendations.insert("asked");
                }
                DomainEvent::RecommendationGiven(_) => {
                    cover.recommendations.insert("given");
                }
                DomainEvent::RecommendationDeclined(_) => {
                    cover.recommendations.insert("declined");
                }
                DomainEvent::EvidenceAdded(e) if e.award_id.is_some() => {
                    cover.evidence_after_award = true;
                }
                DomainEvent::BadgeRevoked(e) => {
                    cover
                        .revocation_codes
                        .insert(format!("{:?}", e.reason.code));
                }
                _ => {}
            }
        }
    }
    for (tenant, stream, request_id) in requests {
        let Some((_, AnyState::Earner(earner))) = streams.get(&(tenant, stream)) else {
            panic!("earner stream")
        };
        let status = earner.request(request_id).expect("request").status;
        cover.request_states.insert(format!("{status:?}"));
    }
    for ((_, _), (_, state)) in &streams {
        if let AnyState::Earner(earner) = state {
            for (_, award) in earner.awards() {
                let state = if award.revoked {
                    "revoked"
                } else if award.expiry_recorded {
                    "expired"
                } else if award.is_active_at(end) {
                    "active"
                } else {
                    "past due"
                };
                cover.award_states.insert(state.to_owned());
            }
        }
    }
    cover
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn the_demo_shows_every_state_mode_route_and_outcome() {
    for seed in (0..12).chain([2024]) {
        let shape = NetworkShape {
            seed,
            ..demo_shape()
        };
        let network = generate(&shape);
        let end = shape
            .start
            .checked_add_months(Months::new(shape.months))
            .unwrap();
        assert_eq!(network.structures.len(), 3);
        let workers: usize = network.structures.iter().map(|s| s.earners.len()).sum();
        assert_eq!(workers, 20);
        assert_eq!(network.supporters.len(), 6);
        assert!(matches!(
            network.structures[0].validation,
            ValidationPolicy::Systematic
        ));
        assert!(matches!(
            network.structures[1].validation,
            ValidationPolicy::OwnCommittee { .. }
        ));
        assert!(matches!(
            network.structures[2].validation,
            ValidationPolicy::PooledCommittee { .. }
        ));
        assert_eq!(network.catalogue.len(), 15);

        let cover = coverage(&network, end);
        let context = format!("seed {seed}: {cover:#?}");
        for state in ["Pending", "Approved", "Refused", "Withdrawn"] {
            assert!(cover.request_states.contains(state), "{state} in {context}");
        }
        for state in ["active", "revoked", "expired"] {
            assert!(cover.award_states.contains(state), "{state} in {context}");
        }
        assert_eq!(
            cover.modes,
            set(&["CollectiveWorkshop", "Individual", "Pair"]),
            "{context}"
        );
        assert_eq!(
            cover.exits,
            set(&[
                "DurableEmployment",
                "Other",
                "QualifyingTraining",
                "TransitionEmployment"
            ]),
            "{context}"
        );
        assert_eq!(
            cover.routes,
            set(&["Automatic", "Committee", "Evaluator"]),
            "{context}"
        );
        for decision in [
            "approved by Automatic",
            "approved by Committee",
            "approved by Evaluator",
            "refused by Committee",
            "refused by Evaluator",
        ] {
            assert!(
                cover.decided_by.contains(decision),
                "{decision} in {context}"
            );
        }
        assert!(cover.endorsements.contains("issuer"), "{context}");
        assert!(cover.endorsements.contains("badge class"), "{context}");
        assert_eq!(
            cover.recommendations,
            ["asked", "declined", "given"].into_iter().collect(),
            "{context}"
        );
        assert_eq!(
            cover.teamwork_revisions,
            [1, 2].into_iter().collect(),
            "{context}"
        );
        assert!(cover.evidence_after_award, "{context}");
        if seed == 2024 {
            assert!(!network.vault.is_empty());
            assert!(network
                .vault
                .iter()
                .filter(|entry| entry.plaintext.contains('@'))
                .all(|entry| entry.plaintext.ends_with("@example.org")));
        }
    }
}

#[test]
fn the_scaled_generator_reaches_its_target_across_its_tenants() {
    let target = 60_000;
    let tenants = 7;
    let appends: Vec<PlannedAppend> =
        generate_scaled(11, demo_shape().start, tenants, target).collect();
    let events: usize = appends.iter().map(|a| a.events.len()).sum();
    assert!(events >= target, "{events} events");
    let mut per_tenant: BTreeMap<TenantId, usize> = BTreeMap::new();
    for append in &appends {
        *per_tenant.entry(append.tenant_id).or_default() += append.events.len();
    }
    assert_eq!(per_tenant.len(), tenants + 1, "structures plus the network");
    let smallest = per_tenant.values().min().copied().unwrap_or(0);
    assert!(smallest > 1_000, "every tenant gets work: {per_tenant:?}");
    replay(&appends);
}
