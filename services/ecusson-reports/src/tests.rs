//! The figures of a small hand-made history, number by number; and on a generated network, the
//! figures "as of" a date computed from the events recorded before it equal the figures of that
//! period computed from the whole log (what a replay and the live read model must agree on).

use crate::facts::{Mode, RequestState, Route};
use crate::figures::{figures, BadgeBand, Period};
use crate::Facts;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use ecusson_domain::events::*;
use ecusson_domain::*;
use std::collections::BTreeSet;
use uuid::Uuid;

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn content(pathway: u128, skill_type: SkillType) -> BadgeClassContent {
    BadgeClassContent {
        pathway_id: id(pathway),
        name: "Respecter les horaires".to_owned(),
        description: "Arriver à l'heure".to_owned(),
        skill_type,
        criteria_narrative: "Trois mois".to_owned(),
        expected_evidence: "Planning".to_owned(),
        image_ref: "sha256:00".to_owned(),
        alignments: vec![],
        validity_months: None,
    }
}

fn requested(
    request: u128,
    earner: u128,
    class: u128,
    route: ValidationRoute,
    evidence: usize,
) -> DomainEvent {
    DomainEvent::BadgeRequested(BadgeRequested {
        request_id: id(request),
        earner_id: id(earner),
        badge_class_id: id(class),
        revision: 1,
        mode: RequestMode::Individual,
        requested_by: id(earner),
        route,
        evidence: (0..evidence)
            .map(|n| Evidence {
                evidence_id: id(0xE000 + request * 10 + n as u128),
                kind: EvidenceKind::Narrative,
                content: VaultRef {
                    person_id: id(earner),
                    entry_id: id(0xF000 + request * 10 + n as u128),
                },
            })
            .collect(),
    })
}

fn reason() -> Reason {
    Reason {
        code: ReasonCode::CriteriaMet,
        note: None,
    }
}

#[test]
fn a_small_history_gives_exact_figures() {
    let network: TenantId = id(1);
    let structure: TenantId = id(2);
    let other: TenantId = id(3);
    let committee = ValidationRoute::Committee {
        committee_id: id(0x60),
        quorum: 2,
    };
    let evaluator = ValidationRoute::Evaluator {
        evaluator_roles: vec![Role::Direction],
    };
    let mut facts = Facts::new();
    let mut apply = |tenant, at, event| facts.apply(tenant, at, &event);
    apply(
        network,
        at(1, 8),
        DomainEvent::PathwayDefined(PathwayDefined {
            pathway_id: id(0x30),
            rank: 1,
            name: "Premiers pas".to_owned(),
            description: "…".to_owned(),
        }),
    );
    apply(
        network,
        at(1, 8),
        DomainEvent::BadgeClassPublished(BadgeClassPublished {
            badge_class_id: id(0x70),
            revision: 1,
            content: content(0x30, SkillType::SavoirEtre),
            automatic_validation: false,
        }),
    );
    for earner in [100, 101, 102] {
        apply(
            structure,
            at(1, 9),
            DomainEvent::EarnerEnrolled(EarnerEnrolled {
                earner_id: id(earner),
                enrolled_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            }),
        );
    }
    // 100: by the committee, 10 hours, with evidence, then a recommendation.
    apply(
        structure,
        at(2, 8),
        requested(1, 100, 0x70, committee.clone(), 1),
    );
    apply(
        structure,
        at(2, 18),
        DomainEvent::RequestApproved(RequestApproved {
            request_id: id(1),
            decided_by: DecidedBy::Committee {
                committee_id: id(0x60),
                votes_for: 2,
                votes_against: 0,
            },
            reason: reason(),
        }),
    );
    apply(
        structure,
        at(2, 18),
        DomainEvent::BadgeAwarded(BadgeAwarded {
            award_id: id(0xA1),
            request_id: id(1),
            earner_id: id(100),
            badge_class_id: id(0x70),
            revision: 1,
            awarded_at: at(2, 18),
            expires_at: None,
        }),
    );
    apply(
        structure,
        at(3, 8),
        DomainEvent::RecommendationGiven(RecommendationGiven {
            recommendation_id: id(0xB1),
            award_id: id(0xA1),
            recommender_id: id(120),
            organisation_id: None,
            testimony: VaultRef {
                person_id: id(100),
                entry_id: id(0xF999),
            },
            public: false,
        }),
    );
    // 101: by an evaluator, refused after 30 hours, no evidence.
    apply(
        structure,
        at(4, 0),
        requested(2, 101, 0x70, evaluator.clone(), 0),
    );
    apply(
        structure,
        at(5, 6),
        DomainEvent::RequestRefused(RequestRefused {
            request_id: id(2),
            decided_by: DecidedBy::Evaluator { person_id: id(102) },
            reason: reason(),
        }),
    );
    // 102: pending; then leaves in durable employment.
    apply(
        structure,
        at(6, 0),
        requested(3, 102, 0x70, evaluator.clone(), 0),
    );
    apply(
        structure,
        at(9, 0),
        DomainEvent::PathwayExited(PathwayExited {
            earner_id: id(100),
            outcome: ExitOutcome::DurableEmployment,
            exited_on: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
        }),
    );
    // Another structure's request: not in this report.
    apply(other, at(2, 8), requested(9, 200, 0x70, evaluator, 1));

    let tenants = BTreeSet::from([structure]);
    let all = figures(&facts, &tenants, Period::default());
    assert_eq!(all.active_structures, 1);
    let count = |state, route| {
        all.requests
            .iter()
            .filter(|row| row.state == state && row.route == route && row.mode == Mode::Individual)
            .map(|row| row.count)
            .sum::<u64>()
    };
    assert_eq!(count(RequestState::Approved, Route::Committee), 1);
    assert_eq!(count(RequestState::Refused, Route::Evaluator), 1);
    assert_eq!(count(RequestState::Pending, Route::Evaluator), 1);
    assert_eq!(all.requests.iter().map(|row| row.count).sum::<u64>(), 3);
    // Decisions: 10 h and 30 h; nearest rank: the median is the first, p90 the second.
    assert_eq!(all.decision_time.count, 2);
    assert_eq!(all.decision_time.median_hours, Some(10.0));
    assert_eq!(all.decision_time.p90_hours, Some(30.0));
    assert_eq!(all.committees.len(), 1);
    assert_eq!(all.committees[0].decided.count, 1);
    assert_eq!(all.awards_total, 1);
    assert_eq!(all.awards_with_evidence, 1);
    assert_eq!(all.awards_with_recommendation, 1);
    assert_eq!(all.workers_badged, 1);
    assert_eq!(all.awards_by_pathway().get(&Some(1)), Some(&1));
    assert_eq!(
        all.awards_by_skill().get(&Some(SkillType::SavoirEtre)),
        Some(&1)
    );
    assert_eq!(all.exits.len(), 1);
    assert_eq!(
        (
            all.exits[0].outcome,
            all.exits[0].badges,
            all.exits[0].count
        ),
        (ExitOutcome::DurableEmployment, BadgeBand::OneOrTwo, 1)
    );
    // A period: only what happened in it.
    let third_to_sixth = Period {
        from: Some(at(3, 0)),
        until: Some(at(6, 0)),
    };
    let some = figures(&facts, &tenants, third_to_sixth);
    assert_eq!(
        some.requests.iter().map(|row| row.count).sum::<u64>(),
        1,
        "request 2 only"
    );
    assert_eq!(some.decision_time.count, 1);
    assert_eq!(some.awards_total, 0);
    assert!(some.exits.is_empty());
    // Both structures.
    let both = figures(
        &facts,
        &BTreeSet::from([structure, other]),
        Period::default(),
    );
    assert_eq!(both.active_structures, 2);
    assert_eq!(both.requests.iter().map(|row| row.count).sum::<u64>(), 4);
}

/// The figures of the log cut at a date equal the figures of the whole log over the period
/// ending at that date — for what has ended by then — on a generated network of 21 months.
#[test]
fn figures_as_of_a_date_agree_with_the_whole_log_over_that_period() {
    let network = ecusson_demo::generate(&ecusson_demo::demo_shape());
    let tenants: BTreeSet<TenantId> = network
        .structures
        .iter()
        .map(|structure| structure.tenant_id)
        .chain([network.network_tenant])
        .collect();
    let mut whole = Facts::new();
    for append in &network.appends {
        for event in &append.events {
            whole.apply(append.tenant_id, append.recorded_at, event);
        }
    }
    let start = network.appends[0].recorded_at;
    let mut checked = 0;
    for months in [3, 9, 15] {
        let cut = start + Duration::days(30 * months);
        let mut as_of = Facts::new();
        for append in network
            .appends
            .iter()
            .filter(|append| append.recorded_at < cut)
        {
            for event in &append.events {
                as_of.apply(append.tenant_id, append.recorded_at, event);
            }
        }
        let period = Period {
            from: None,
            until: Some(cut),
        };
        let replayed = figures(&as_of, &tenants, period);
        let live = figures(&whole, &tenants, period);
        // Where a request stands depends on what came after the cut; everything else that
        // happened before it is the same.
        assert_eq!(
            replayed.decision_time, live.decision_time,
            "{months} months"
        );
        assert_eq!(replayed.awards, live.awards);
        assert_eq!(replayed.awards_total, live.awards_total);
        assert_eq!(replayed.workers_badged, live.workers_badged);
        assert_eq!(replayed.committees, live.committees);
        assert_eq!(replayed.exits, live.exits);
        assert_eq!(
            replayed.requests.iter().map(|row| row.count).sum::<u64>(),
            live.requests.iter().map(|row| row.count).sum::<u64>()
        );
        assert!(
            live.awards_total > 0,
            "the generated network awards badges by then"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
    // And the whole log's figures hold together.
    let all = figures(&whole, &tenants, Period::default());
    assert_eq!(
        all.awards.iter().map(|row| row.count).sum::<u64>(),
        all.awards_total
    );
    assert_eq!(
        all.awards_by_pathway().values().sum::<u64>(),
        all.awards_total
    );
    assert!(all.awards_with_evidence <= all.awards_total);
    assert!(all.workers_badged <= all.awards_total);
    assert!(!all.exits.is_empty(), "the demo records exits");
}

#[test]
fn a_report_table_reads_in_french_and_opens_in_french_spreadsheets() {
    let network = ecusson_demo::generate(&ecusson_demo::demo_shape());
    let mut facts = Facts::new();
    for append in &network.appends {
        for event in &append.events {
            facts.apply(append.tenant_id, append.recorded_at, event);
        }
    }
    let tenants: BTreeSet<TenantId> = network.structures.iter().map(|s| s.tenant_id).collect();
    let all = figures(&facts, &tenants, Period::default());
    let rows = crate::table::rows(&all, &facts, false);
    let total = rows
        .iter()
        .find(|row| row.indicator == "Badges attribués" && row.dimensions[0] == "Total")
        .unwrap();
    assert_eq!(total.value, all.awards_total.to_string());
    assert!(rows.iter().any(|row| row.dimensions[1] == "Savoir-être"));
    assert!(rows
        .iter()
        .any(|row| row.indicator == "Délai de décision (heures)" && row.value.contains(',')));
    let bytes = crate::table::csv(&rows).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a byte order mark"
    );
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').split("\r\n");
    assert_eq!(
        lines.next(),
        Some("Indicateur;Critère 1;Critère 2;Critère 3;Valeur")
    );
    assert!(text.contains(&format!(
        "Badges attribués;Total;;;{}\r\n",
        all.awards_total
    )));
    // The funder's table: only "<5", multiples of 5, rates in 5-point steps, or nothing.
    let protected = crate::table::rows(&all, &facts, true);
    for row in &protected {
        if row.indicator == "Structures actives" {
            continue;
        }
        let value = row.value.trim_end_matches(" %");
        let ok = value == "<5"
            || value == "—"
            || value
                .replace(",0", "")
                .parse::<u64>()
                .is_ok_and(|n| n % 5 == 0)
            || row.indicator.starts_with("Délai");
        assert!(ok, "{row:?}");
    }
}
