//! Projections, written once and run on SQLite and PostgreSQL: incremental runs (in several
//! steps, with appends in between) give the same tables as a rebuild, byte for byte (checksums);
//! the read models answer the queue, committee, history and catalogue questions; a batch rolled
//! back before its commit changes neither the read model nor the checkpoint; an undecodable
//! event stops a projection at its position; runners follow the feed until shut down, reading
//! each batch once for every projection, and a projection that fails stops alone.

use crate::helpers::*;
use chrono::NaiveDate;
use ecusson_domain::events::*;
use ecusson_domain::*;
use ecusson_projections::*;
use ecusson_store::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

crate::on_both_backends!(
    incremental_runs_equal_a_rebuild,
    read_models_answer_queue_committee_history_and_catalogue_questions,
    a_batch_rolled_back_before_commit_changes_nothing,
    an_undecodable_event_stops_the_projection_at_its_position,
    runners_follow_the_feed_until_shut_down,
    a_failing_projection_stops_alone_while_the_runner_goes_on,
    sparse_indexes_leave_out_empty_values_and_serve_their_lookups,
);

/// Small batches, so that requests and their decisions fall in different batches.
fn small_batches() -> EngineSettings {
    EngineSettings {
        batch_size: 7,
        poll_interval: Duration::from_millis(50),
        ..EngineSettings::default()
    }
}

async fn append(store: &dyn EventStore, tenant_id: TenantId, stream: &str, events: &[DomainEvent]) {
    let events = events.iter().map(NewEvent::from_domain).collect();
    store
        .append(append_request(
            tenant_id,
            stream,
            ExpectedVersion::Any,
            events,
        ))
        .await
        .expect("append");
}

fn reason(code: ReasonCode) -> Reason {
    Reason { code, note: None }
}

fn content(pathway_id: PathwayId, name: &str, validity_months: Option<u32>) -> BadgeClassContent {
    BadgeClassContent {
        pathway_id,
        name: name.to_owned(),
        description: format!("{name}: description"),
        skill_type: SkillType::SavoirEtre,
        criteria_narrative: "critères".to_owned(),
        expected_evidence: "preuves".to_owned(),
        image_ref: "sha256:0000".to_owned(),
        alignments: vec![],
        validity_months,
    }
}

fn criterion(text: &str) -> CriterionDefinition {
    CriterionDefinition {
        criterion: text.to_owned(),
        evidence: "copie du contrat, données personnelles masquées".to_owned(),
        evaluator_roles: vec![Role::Counsellor, Role::Direction],
        process: "demande avec le ou la conseiller·ère".to_owned(),
    }
}

/// A regional network with two structures sharing a committee (a third one joins the bulk
/// phase), three pathways and three badge classes.
pub(crate) struct Network {
    network: TenantId,
    first_structure: TenantId,
    second_structure: TenantId,
    third_structure: TenantId,
    committee: CommitteeId,
    pathways: [PathwayId; 3],
    /// Committee-validated class, systematic class, automatic supporter class.
    committee_class: BadgeClassId,
    systematic_class: BadgeClassId,
    supporter_class: BadgeClassId,
    counsellor: PersonId,
}

/// The requests of [`Network::requests_and_decisions`], named after what happens to them.
struct Requests {
    first_earner: PersonId,
    approved_then_revoked: RequestId,
    revoked_award: AwardId,
    refused: RequestId,
    withdrawn: RequestId,
    pending_in_second_structure: RequestId,
    pending_in_first_structure: RequestId,
    approved_then_expired: RequestId,
}

impl Network {
    pub(crate) fn new() -> Self {
        Self {
            network: TenantId::new(),
            first_structure: TenantId::new(),
            second_structure: TenantId::new(),
            third_structure: TenantId::new(),
            committee: CommitteeId::new(),
            pathways: [PathwayId::new(), PathwayId::new(), PathwayId::new()],
            committee_class: BadgeClassId::new(),
            systematic_class: BadgeClassId::new(),
            supporter_class: BadgeClassId::new(),
            counsellor: PersonId::new(),
        }
    }

    fn committee_route(&self) -> ValidationRoute {
        ValidationRoute::Committee {
            committee_id: self.committee,
            quorum: 2,
        }
    }

    fn evaluator_route() -> ValidationRoute {
        ValidationRoute::Evaluator {
            evaluator_roles: vec![Role::Counsellor],
        }
    }

    fn request(
        &self,
        request_id: RequestId,
        earner_id: PersonId,
        badge_class_id: BadgeClassId,
        route: ValidationRoute,
    ) -> DomainEvent {
        DomainEvent::BadgeRequested(BadgeRequested {
            request_id,
            earner_id,
            badge_class_id,
            revision: 1,
            mode: RequestMode::Pair {
                counsellor_id: self.counsellor,
            },
            requested_by: self.counsellor,
            route,
            evidence: vec![],
        })
    }

    fn committee_decision(
        &self,
        request_id: RequestId,
        approve: bool,
        votes_for: u16,
        votes_against: u16,
    ) -> DomainEvent {
        let decided_by = DecidedBy::Committee {
            committee_id: self.committee,
            votes_for,
            votes_against,
        };
        if approve {
            DomainEvent::RequestApproved(RequestApproved {
                request_id,
                decided_by,
                reason: reason(ReasonCode::CriteriaMet),
            })
        } else {
            DomainEvent::RequestRefused(RequestRefused {
                request_id,
                decided_by,
                reason: reason(ReasonCode::CriteriaNotMet),
            })
        }
    }

    fn vote(&self, request_id: RequestId, vote: Vote) -> DomainEvent {
        DomainEvent::CommitteeVoteCast(CommitteeVoteCast {
            request_id,
            committee_id: self.committee,
            member_id: PersonId::new(),
            vote,
        })
    }

    fn award(
        request_id: RequestId,
        earner_id: PersonId,
        badge_class_id: BadgeClassId,
        award_id: AwardId,
    ) -> DomainEvent {
        DomainEvent::BadgeAwarded(BadgeAwarded {
            award_id,
            request_id,
            earner_id,
            badge_class_id,
            revision: 1,
            awarded_at: chrono::Utc::now(),
            expires_at: None,
        })
    }

    pub(crate) async fn catalogue_and_adoptions(&self, store: &dyn EventStore) {
        let [first_steps, autonomy, employment] = self.pathways;
        append(
            store,
            self.network,
            "network",
            &[
                DomainEvent::NetworkRegistered(NetworkRegistered {
                    network_id: self.network,
                    name: "Réseau régional".into(),
                }),
                DomainEvent::StructureAdmitted(StructureAdmitted {
                    structure_id: self.first_structure,
                    kind: StructureKind::Aci,
                    name: "ACI".into(),
                }),
                DomainEvent::StructureAdmitted(StructureAdmitted {
                    structure_id: self.second_structure,
                    kind: StructureKind::Ei,
                    name: "EI".into(),
                }),
                DomainEvent::CommitteeFormed(CommitteeFormed {
                    committee_id: self.committee,
                    structures: vec![self.first_structure, self.second_structure],
                    members: vec![PersonId::new(), PersonId::new()],
                    quorum: 2,
                }),
            ],
        )
        .await;
        for (pathway_id, rank, name) in [
            (first_steps, 1, "Premiers pas"),
            (employment, 3, "Accès à l'emploi"),
            (autonomy, 2, "Autonomie"),
        ] {
            let defined = DomainEvent::PathwayDefined(PathwayDefined {
                pathway_id,
                rank,
                name: name.into(),
                description: "parcours".into(),
            });
            append(
                store,
                self.network,
                &format!("pathway-{pathway_id}"),
                &[defined],
            )
            .await;
        }
        for (badge_class_id, pathway_id, name, automatic_validation) in [
            (self.committee_class, first_steps, "Ponctualité", false),
            (self.systematic_class, autonomy, "Travail en équipe", false),
            (self.supporter_class, employment, "Badgeons l'IAE", true),
        ] {
            let published = DomainEvent::BadgeClassPublished(BadgeClassPublished {
                badge_class_id,
                revision: 1,
                content: content(pathway_id, name, Some(36)),
                automatic_validation,
            });
            append(
                store,
                self.network,
                &format!("badge_class-{badge_class_id}"),
                &[published],
            )
            .await;
        }
        let committee_mode = ValidationMode::Committee {
            committee_id: self.committee,
        };
        for (structure, badge_class_id, mode) in [
            (self.first_structure, self.committee_class, committee_mode),
            (
                self.first_structure,
                self.systematic_class,
                ValidationMode::Systematic,
            ),
            (self.second_structure, self.committee_class, committee_mode),
        ] {
            append(
                store,
                structure,
                &format!("adoption-{badge_class_id}"),
                &[
                    DomainEvent::BadgeClassAdopted(BadgeClassAdopted {
                        badge_class_id,
                        criterion: criterion("a passé la période d'essai"),
                    }),
                    DomainEvent::ValidationModeSet(ValidationModeSet {
                        badge_class_id,
                        mode,
                    }),
                ],
            )
            .await;
        }
    }

    /// Requests and the first committee votes: nothing decided yet.
    async fn first_requests(&self, store: &dyn EventStore) -> Requests {
        let requests = Requests {
            first_earner: PersonId::new(),
            approved_then_revoked: RequestId::new(),
            revoked_award: AwardId::new(),
            refused: RequestId::new(),
            withdrawn: RequestId::new(),
            pending_in_second_structure: RequestId::new(),
            pending_in_first_structure: RequestId::new(),
            approved_then_expired: RequestId::new(),
        };
        let first_earner = requests.first_earner;
        let enrolled = |earner_id| {
            DomainEvent::EarnerEnrolled(EarnerEnrolled {
                earner_id,
                enrolled_on: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            })
        };
        let stream = |earner: PersonId| format!("earner-{earner}");
        append(
            store,
            self.first_structure,
            &stream(first_earner),
            &[
                enrolled(first_earner),
                self.request(
                    requests.approved_then_revoked,
                    first_earner,
                    self.committee_class,
                    self.committee_route(),
                ),
                self.vote(requests.approved_then_revoked, Vote::Approve),
            ],
        )
        .await;
        let second_earner = PersonId::new();
        append(
            store,
            self.first_structure,
            &stream(second_earner),
            &[
                enrolled(second_earner),
                self.request(
                    requests.refused,
                    second_earner,
                    self.systematic_class,
                    Self::evaluator_route(),
                ),
            ],
        )
        .await;
        append(
            store,
            self.first_structure,
            &stream(first_earner),
            &[
                self.request(
                    requests.withdrawn,
                    first_earner,
                    self.systematic_class,
                    Self::evaluator_route(),
                ),
                self.vote(requests.approved_then_revoked, Vote::Approve),
            ],
        )
        .await;
        let third_earner = PersonId::new();
        append(
            store,
            self.second_structure,
            &stream(third_earner),
            &[
                enrolled(third_earner),
                self.request(
                    requests.pending_in_second_structure,
                    third_earner,
                    self.committee_class,
                    self.committee_route(),
                ),
            ],
        )
        .await;
        requests
    }

    /// Decisions, awards, enrichment, revocation, expiry, a catalogue revision.
    async fn decisions(&self, store: &dyn EventStore, requests: &Requests) {
        let first_earner = requests.first_earner;
        let first_stream = format!("earner-{first_earner}");
        append(
            store,
            self.first_structure,
            &first_stream,
            &[
                self.committee_decision(requests.approved_then_revoked, true, 2, 0),
                Self::award(
                    requests.approved_then_revoked,
                    first_earner,
                    self.committee_class,
                    requests.revoked_award,
                ),
                DomainEvent::RequestWithdrawn(RequestWithdrawn {
                    request_id: requests.withdrawn,
                    reason: reason(ReasonCode::RequestedByEarner),
                }),
            ],
        )
        .await;
        let evaluator = DecidedBy::Evaluator {
            person_id: self.counsellor,
        };
        append(
            store,
            self.first_structure,
            &format!("decision-{}", requests.refused),
            &[DomainEvent::RequestRefused(RequestRefused {
                request_id: requests.refused,
                decided_by: evaluator,
                reason: reason(ReasonCode::EvidenceInsufficient),
            })],
        )
        .await;
        let second_earner = PersonId::new();
        append(
            store,
            self.first_structure,
            &format!("earner-{second_earner}"),
            &[self.request(
                requests.pending_in_first_structure,
                second_earner,
                self.committee_class,
                self.committee_route(),
            )],
        )
        .await;
        append(
            store,
            self.second_structure,
            &format!("votes-{}", requests.pending_in_second_structure),
            &[self.vote(requests.pending_in_second_structure, Vote::Refuse)],
        )
        .await;
        let revision = DomainEvent::BadgeClassRevised(BadgeClassRevised {
            badge_class_id: self.committee_class,
            revision: 2,
            content: content(self.pathways[0], "Ponctualité et assiduité", None),
        });
        append(
            store,
            self.network,
            &format!("badge_class-{}", self.committee_class),
            &[revision],
        )
        .await;
        let expiring_earner = PersonId::new();
        let expiring_award = AwardId::new();
        append(
            store,
            self.second_structure,
            &format!("earner-{expiring_earner}"),
            &[
                self.request(
                    requests.approved_then_expired,
                    expiring_earner,
                    self.committee_class,
                    self.committee_route(),
                ),
                self.committee_decision(requests.approved_then_expired, true, 2, 1),
                Self::award(
                    requests.approved_then_expired,
                    expiring_earner,
                    self.committee_class,
                    expiring_award,
                ),
                DomainEvent::BadgeExpired(BadgeExpired {
                    award_id: expiring_award,
                }),
            ],
        )
        .await;
        let testimony = VaultRef {
            person_id: first_earner,
            entry_id: VaultEntryId::new(),
        };
        let recommendation_id = RecommendationId::new();
        let host = OrganisationId::new();
        append(
            store,
            self.first_structure,
            &first_stream,
            &[
                DomainEvent::EvidenceAdded(EvidenceAdded {
                    request_id: requests.approved_then_revoked,
                    award_id: Some(requests.revoked_award),
                    evidence: Evidence {
                        evidence_id: EvidenceId::new(),
                        kind: EvidenceKind::Document,
                        content: testimony,
                    },
                }),
                DomainEvent::RecommendationAsked(RecommendationAsked {
                    recommendation_id,
                    award_id: requests.revoked_award,
                    recommender_id: PersonId::new(),
                    organisation_id: Some(host),
                }),
                DomainEvent::RecommendationGiven(RecommendationGiven {
                    recommendation_id,
                    award_id: requests.revoked_award,
                    recommender_id: PersonId::new(),
                    organisation_id: Some(host),
                    testimony,
                    public: false,
                }),
                DomainEvent::BadgeRevoked(BadgeRevoked {
                    award_id: requests.revoked_award,
                    reason: reason(ReasonCode::IssuedInError),
                }),
            ],
        )
        .await;
        append(
            store,
            self.network,
            &format!("badge_class-{}", self.supporter_class),
            &[DomainEvent::BadgeClassRetired(BadgeClassRetired {
                badge_class_id: self.supporter_class,
            })],
        )
        .await;
    }

    /// Many earners in three structures, each with a request decided (or not) in its own
    /// append, so that batches cut across requests and their outcomes.
    pub(crate) async fn bulk(&self, store: &dyn EventStore, earners: usize) {
        let structures = [
            self.first_structure,
            self.second_structure,
            self.third_structure,
        ];
        for index in 0..earners {
            let structure = structures[index % structures.len()];
            let (earner, request_id, award_id) =
                (PersonId::new(), RequestId::new(), AwardId::new());
            let stream = format!("earner-{earner}");
            let class = if index % 2 == 0 {
                self.committee_class
            } else {
                self.systematic_class
            };
            append(
                store,
                structure,
                &stream,
                &[
                    self.request(request_id, earner, class, self.committee_route()),
                    self.vote(request_id, Vote::Approve),
                ],
            )
            .await;
            let outcome = match index % 4 {
                0 => vec![
                    self.committee_decision(request_id, true, 2, 0),
                    Self::award(request_id, earner, class, award_id),
                ],
                1 => vec![self.committee_decision(request_id, false, 0, 2)],
                2 => vec![DomainEvent::RequestWithdrawn(RequestWithdrawn {
                    request_id,
                    reason: reason(ReasonCode::RequestedByEarner),
                })],
                _ => vec![],
            };
            if !outcome.is_empty() {
                append(store, structure, &stream, &outcome).await;
            }
        }
    }
}

pub(crate) async fn checksums(engine: &ProjectionEngine) -> Vec<(&'static str, String)> {
    let mut checksums = Vec::new();
    for name in engine.projection_names() {
        checksums.push((name, engine.checksum(name).await.expect("checksum")));
    }
    checksums
}

pub(crate) async fn events_in_log(store: &dyn EventStore) -> u64 {
    let mut total = 0;
    for tenant in store.tenants().await.expect("tenants") {
        total += store
            .tenant_head(tenant)
            .await
            .expect("head")
            .map_or(0, |head| head.seq);
    }
    total
}

async fn incremental_runs_equal_a_rebuild(test: TestStore) {
    let store = test.store.clone();
    let engine = ProjectionEngine::new(store.clone(), small_batches());
    let empty = checksums(&engine).await;
    let network = Network::new();

    network.catalogue_and_adoptions(store.as_ref()).await;
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("first catch-up");
    let requests = network.first_requests(store.as_ref()).await;
    // Only one projection moves here: the others must catch up from further back later.
    engine
        .catch_up(ProjectionSelection::Named("request_queue".into()))
        .await
        .expect("queue catch-up");
    network.decisions(store.as_ref(), &requests).await;
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("third catch-up");
    network.bulk(store.as_ref(), 30).await;
    let reports = engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("last catch-up");
    assert_eq!(
        reports.len(),
        ecusson_projections::standard_projections().len()
    );

    let total = events_in_log(store.as_ref()).await;
    for status in engine.status().await.expect("status") {
        assert_eq!(status.events_in_log, total);
        assert_eq!(status.events_behind, 0, "{status:?}");
        assert_eq!(status.checkpoint.events_processed, total);
    }
    let incremental = checksums(&engine).await;
    for ((name, before), (_, after)) in empty.iter().zip(&incremental) {
        assert_ne!(before, after, "{name} should hold rows");
    }

    let mut progress = Vec::new();
    engine
        .rebuild(ProjectionSelection::All, &mut |processed, total| {
            progress.push((processed, total))
        })
        .await
        .expect("rebuild");
    assert_eq!(
        checksums(&engine).await,
        incremental,
        "rebuild must equal the incremental run"
    );
    assert_eq!(progress.first(), Some(&(0, total)));
    assert_eq!(progress.last(), Some(&(total, total)));
    assert!(
        progress.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "progress only moves forward: {progress:?}"
    );

    // Batch boundaries do not matter: one big batch per rebuild gives the same tables.
    let big_batches = ProjectionEngine::new(
        store.clone(),
        EngineSettings {
            batch_size: 5_000,
            ..small_batches()
        },
    );
    big_batches
        .rebuild(
            ProjectionSelection::Named("badge_history".into()),
            &mut |_, _| {},
        )
        .await
        .expect("rebuild one");
    assert_eq!(checksums(&big_batches).await, incremental);

    let unknown = engine
        .rebuild(ProjectionSelection::Named("nope".into()), &mut |_, _| {})
        .await;
    assert!(matches!(
        unknown,
        Err(ProjectionError::UnknownProjection(_))
    ));
}

async fn read_models_answer_queue_committee_history_and_catalogue_questions(test: TestStore) {
    let store = test.store.clone();
    let engine = ProjectionEngine::new(store.clone(), small_batches());
    let network = Network::new();
    network.catalogue_and_adoptions(store.as_ref()).await;
    let requests = network.first_requests(store.as_ref()).await;
    network.decisions(store.as_ref(), &requests).await;
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("catch-up");
    let mut transaction = store.begin_read_model().await.expect("read transaction");

    // The queue of the first structure, in request order, and filtered by state.
    let queue = request_queue_for_structure(
        transaction.as_mut(),
        network.first_structure,
        &QueueFilter::default(),
        50,
        None,
    )
    .await
    .expect("queue");
    let summary: Vec<(RequestId, RequestState)> = queue
        .iter()
        .map(|entry| (entry.request_id, entry.state))
        .collect();
    assert_eq!(
        summary,
        vec![
            (requests.approved_then_revoked, RequestState::Approved),
            (requests.refused, RequestState::Refused),
            (requests.withdrawn, RequestState::Withdrawn),
            (requests.pending_in_first_structure, RequestState::Pending),
        ]
    );
    let revoked = &queue[0];
    assert_eq!((revoked.votes_for, revoked.votes_against), (2, 0));
    assert_eq!(
        (revoked.award_id, revoked.award_state),
        (Some(requests.revoked_award), Some(AwardState::Revoked))
    );
    assert_eq!(
        (revoked.route_kind, revoked.committee_id),
        (RouteKind::Committee, Some(network.committee))
    );
    assert_eq!(revoked.request_mode, RequestModeKind::Pair);
    assert!(revoked.decided_at.is_some() && revoked.awarded_at.is_some());
    assert_eq!(queue[1].route_kind, RouteKind::Evaluator);
    assert!(queue[3].decided_at.is_none());
    let pending = request_queue_for_structure(
        transaction.as_mut(),
        network.first_structure,
        &QueueFilter::state(Some(RequestState::Pending)),
        50,
        None,
    )
    .await
    .expect("pending queue");
    assert_eq!(
        pending
            .iter()
            .map(|entry| entry.request_id)
            .collect::<Vec<_>>(),
        vec![requests.pending_in_first_structure]
    );
    let second_page = request_queue_for_structure(
        transaction.as_mut(),
        network.first_structure,
        &QueueFilter::default(),
        2,
        Some(queue[1].requested_seq),
    )
    .await
    .expect("second page");
    assert_eq!(second_page, queue[2..4].to_vec());
    // By badge class (a pathway's classes): exactly the entries of those classes, in order.
    let class = queue[0].badge_class_id;
    let of_class = request_queue_for_structure(
        transaction.as_mut(),
        network.first_structure,
        &QueueFilter {
            badge_classes: Some(vec![class]),
            ..QueueFilter::default()
        },
        50,
        None,
    )
    .await
    .expect("queue of one class");
    let expected: Vec<RequestQueueEntry> = queue
        .iter()
        .filter(|entry| entry.badge_class_id == class)
        .cloned()
        .collect();
    assert_eq!(of_class, expected);
    let of_no_class = request_queue_for_structure(
        transaction.as_mut(),
        network.first_structure,
        &QueueFilter {
            badge_classes: Some(Vec::new()),
            ..QueueFilter::default()
        },
        50,
        None,
    )
    .await
    .expect("queue of no class");
    assert!(of_no_class.is_empty());
    let expired = request_by_id(
        transaction.as_mut(),
        network.second_structure,
        requests.approved_then_expired,
    )
    .await
    .expect("by id");
    assert_eq!(
        expired.and_then(|entry| entry.award_state),
        Some(AwardState::Expired)
    );
    // Tenants are isolated: a request is not found through another tenant.
    assert_eq!(
        request_by_id(
            transaction.as_mut(),
            network.second_structure,
            requests.refused
        )
        .await
        .expect("by id"),
        None
    );

    // The committee's pending queue spans both structures it serves, oldest first.
    let served = [network.first_structure, network.second_structure];
    let committee_pending = request_queue_for_committee(
        transaction.as_mut(),
        network.committee,
        &served,
        Some(RequestState::Pending),
        50,
        None,
    )
    .await
    .expect("committee queue");
    let committee_summary: Vec<(TenantId, RequestId, u32)> = committee_pending
        .iter()
        .map(|entry| (entry.tenant_id, entry.request_id, entry.votes_against))
        .collect();
    assert_eq!(
        committee_summary,
        vec![
            (
                network.second_structure,
                requests.pending_in_second_structure,
                1
            ),
            (
                network.first_structure,
                requests.pending_in_first_structure,
                0
            ),
        ]
    );
    let first_page = request_queue_for_committee(
        transaction.as_mut(),
        network.committee,
        &served,
        None,
        1,
        None,
    )
    .await
    .expect("page");
    let cursor = CommitteeQueueCursor::from(&first_page[0]);
    let rest = request_queue_for_committee(
        transaction.as_mut(),
        network.committee,
        &served,
        None,
        50,
        Some(&cursor),
    )
    .await
    .expect("rest");
    assert_eq!(
        first_page.len() + rest.len(),
        4,
        "two pending, one revoked, one expired"
    );
    assert!(!rest.contains(&first_page[0]));
    let only_second = request_queue_for_committee(
        transaction.as_mut(),
        network.committee,
        &served[1..],
        None,
        50,
        None,
    )
    .await
    .expect("one");
    assert!(only_second
        .iter()
        .all(|entry| entry.tenant_id == network.second_structure));

    // The first earner's history, in log order, across two requests and one award.
    let history = badge_history::<serde_json::Value>(
        transaction.as_mut(),
        network.first_structure,
        requests.first_earner,
        None,
        100,
    )
    .await
    .expect("history");
    let types: Vec<&str> = history
        .iter()
        .map(|entry| entry.event_type.as_str())
        .collect();
    assert_eq!(
        types,
        vec![
            "earner.badge_requested",
            "earner.committee_vote_cast",
            "earner.badge_requested",
            "earner.committee_vote_cast",
            "earner.request_approved",
            "earner.badge_awarded",
            "earner.request_withdrawn",
            "earner.evidence_added",
            "earner.recommendation_asked",
            "earner.recommendation_given",
            "earner.badge_revoked",
        ]
    );
    assert!(history.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert_eq!(history[2].request_id, requests.withdrawn);
    assert_eq!(
        history.last().map(|entry| entry.award_id),
        Some(Some(requests.revoked_award))
    );
    assert_eq!(
        history.last().map(|entry| entry.summary.clone()),
        Some(serde_json::json!({"reason_code": "issued_in_error"}))
    );
    let later = badge_history(
        transaction.as_mut(),
        network.first_structure,
        requests.first_earner,
        Some(history[8].seq),
        100,
    )
    .await
    .expect("later history");
    assert_eq!(later, history[9..].to_vec());
    assert!(badge_history::<serde_json::Value>(
        transaction.as_mut(),
        network.second_structure,
        requests.first_earner,
        None,
        100
    )
    .await
    .expect("other")
    .is_empty());

    // The catalogue as the first structure sees it.
    let catalogue = catalogue(
        transaction.as_mut(),
        network.network,
        Some(network.first_structure),
    )
    .await
    .expect("catalogue");
    assert_eq!(
        catalogue
            .pathways
            .iter()
            .map(|pathway| pathway.rank)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(catalogue.badge_classes.len(), 3);
    let class = |id| {
        catalogue
            .badge_classes
            .iter()
            .find(|entry| entry.badge_class.badge_class_id == id)
            .expect("class")
    };
    let revised = class(network.committee_class);
    assert_eq!(
        (
            revised.badge_class.revision,
            revised.badge_class.name.as_str()
        ),
        (2, "Ponctualité et assiduité")
    );
    assert_eq!(revised.badge_class.validity_months, None);
    let adoption = revised.adoption.as_ref().expect("adopted");
    assert_eq!(
        adoption.validation_mode,
        Some(ValidationMode::Committee {
            committee_id: network.committee
        })
    );
    assert_eq!(
        adoption.evaluator_roles,
        vec![Role::Counsellor, Role::Direction]
    );
    let systematic = class(network.systematic_class);
    assert_eq!(
        systematic
            .adoption
            .as_ref()
            .and_then(|adoption| adoption.validation_mode),
        Some(ValidationMode::Systematic)
    );
    assert_eq!(systematic.badge_class.validity_months, Some(36));
    let supporter = class(network.supporter_class);
    assert!(
        supporter.badge_class.retired
            && supporter.badge_class.automatic_validation
            && supporter.adoption.is_none()
    );
    let seen_by_second =
        catalogue_for(transaction.as_mut(), &network, network.second_structure).await;
    assert_eq!(seen_by_second, 1, "the second structure adopted one class");
}

async fn catalogue_for(
    transaction: &mut dyn ReadModelTransaction,
    network: &Network,
    structure: TenantId,
) -> usize {
    let catalogue = catalogue(transaction, network.network, Some(structure))
        .await
        .expect("catalogue");
    catalogue
        .badge_classes
        .iter()
        .filter(|entry| entry.adoption.is_some())
        .count()
}

/// Applies the real projection, then fails while `crash` is set, as a process killed between
/// the writes and the commit would: the runner drops the transaction, which rolls back.
struct CrashBeforeCommit {
    inner: Arc<dyn Projection>,
    crash: Arc<AtomicBool>,
}

#[ecusson_projections::async_trait]
impl Projection for CrashBeforeCommit {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn tables(&self) -> &'static [TableSpec] {
        self.inner.tables()
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        self.inner.apply_batch(transaction, events).await?;
        if self.crash.load(Ordering::SeqCst) {
            let first = &events[0].recorded;
            return Err(ProjectionError::Inconsistent {
                projection: self.name().to_owned(),
                tenant_id: first.tenant_id,
                seq: first.seq,
                detail: "simulated crash before commit".into(),
            });
        }
        Ok(())
    }
}

async fn a_batch_rolled_back_before_commit_changes_nothing(test: TestStore) {
    let store = test.store.clone();
    let crash = Arc::new(AtomicBool::new(false));
    let projections: Vec<Arc<dyn Projection>> = standard_projections()
        .into_iter()
        .map(|inner| {
            Arc::new(CrashBeforeCommit {
                inner,
                crash: crash.clone(),
            }) as Arc<dyn Projection>
        })
        .collect();
    let engine = ProjectionEngine::with_projections(store.clone(), projections, small_batches());
    let network = Network::new();
    network.catalogue_and_adoptions(store.as_ref()).await;
    let requests = network.first_requests(store.as_ref()).await;
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("catch-up before the crash");
    let checksums_before = checksums(&engine).await;
    let status_before = engine.status().await.expect("status");

    network.decisions(store.as_ref(), &requests).await;
    crash.store(true, Ordering::SeqCst);
    for name in engine.projection_names() {
        let outcome = engine
            .catch_up(ProjectionSelection::Named(name.into()))
            .await;
        assert!(
            matches!(outcome, Err(ProjectionError::Inconsistent { .. })),
            "{name}: {outcome:?}"
        );
    }
    assert_eq!(
        checksums(&engine).await,
        checksums_before,
        "read models unchanged"
    );
    let status_after = engine.status().await.expect("status");
    for (before, after) in status_before.iter().zip(&status_after) {
        assert_eq!(
            after.checkpoint.cursor, before.checkpoint.cursor,
            "checkpoint unchanged"
        );
        assert_eq!(
            after.checkpoint.events_processed,
            before.checkpoint.events_processed
        );
        assert!(after.events_behind > 0);
    }

    crash.store(false, Ordering::SeqCst);
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("catch-up after the crash");
    let recovered = checksums(&engine).await;
    // An uninterrupted run over the same log: a rebuild with the plain projections.
    let uninterrupted = ProjectionEngine::new(store.clone(), small_batches());
    uninterrupted
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .expect("rebuild");
    assert_eq!(checksums(&uninterrupted).await, recovered);
}

async fn an_undecodable_event_stops_the_projection_at_its_position(test: TestStore) {
    let store = test.store.clone();
    let engine = ProjectionEngine::new(store.clone(), small_batches());
    let network = Network::new();
    network.catalogue_and_adoptions(store.as_ref()).await;
    engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect("catch-up");
    let before = checksums(&engine).await;

    let unknown = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "earner.from_the_future".into(),
        schema_version: 9,
        payload: serde_json::json!({"anything": true}),
    };
    let outcome = store
        .append(append_request(
            network.second_structure,
            "mystery",
            ExpectedVersion::Any,
            vec![unknown],
        ))
        .await
        .expect("append");
    network.first_requests(store.as_ref()).await;

    let error = engine
        .catch_up(ProjectionSelection::All)
        .await
        .expect_err("must stop");
    match &error {
        ProjectionError::Decode {
            tenant_id,
            seq,
            event_type,
            ..
        } => {
            assert_eq!(
                (*tenant_id, *seq, event_type.as_str()),
                (
                    network.second_structure,
                    outcome.first_seq,
                    "earner.from_the_future"
                )
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&network.second_structure.to_string())
            && message.contains(&format!("seq {}", outcome.first_seq)),
        "{message}"
    );
    assert_eq!(
        checksums(&engine).await,
        before,
        "nothing after the bad event was skipped past it"
    );
    // It stays stopped: the next attempt fails at the same event instead of skipping it.
    assert!(matches!(
        engine.catch_up(ProjectionSelection::All).await,
        Err(ProjectionError::Decode { .. })
    ));
}

/// A runner's settings with a long poll interval: only the wake-up hint makes it catch up in
/// time.
fn woken_runner_settings() -> EngineSettings {
    EngineSettings {
        batch_size: 7,
        poll_interval: Duration::from_secs(30),
        ..EngineSettings::default()
    }
}

/// A catalogue, requests in every structure, and decisions on them.
async fn requests_and_decisions(store: &dyn EventStore) {
    let network = Network::new();
    network.catalogue_and_adoptions(store).await;
    let requests = network.first_requests(store).await;
    network.decisions(store, &requests).await;
}

/// Wakes the runner until every projection `watched` picks has applied the whole log (20 s at
/// most); returns the statuses of all.
async fn wake_until_caught_up(
    engine: &ProjectionEngine,
    wake: &tokio::sync::Notify,
    watched: impl Fn(&ProjectionStatus) -> bool,
) -> Vec<ProjectionStatus> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        wake.notify_waiters();
        let statuses = engine.status().await.expect("status");
        if statuses
            .iter()
            .filter(|status| watched(status))
            .all(|status| status.events_behind == 0)
        {
            return statuses;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the runner did not catch up: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn runners_follow_the_feed_until_shut_down(test: TestStore) {
    let store = test.store.clone();
    let engine = ProjectionEngine::new(store.clone(), woken_runner_settings());
    let wake = Arc::new(tokio::sync::Notify::new());
    let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
    let runner = engine.spawn(wake.clone(), shutdown_signal);

    requests_and_decisions(store.as_ref()).await;
    wake_until_caught_up(&engine, &wake, |_| true).await;
    // A runner's small batches go to every projection in one transaction.
    for activity in engine.activity().snapshot() {
        assert!(
            activity.batches_joint > 0 && activity.batches_joint == activity.batches_applied,
            "{activity:?}"
        );
    }

    shutdown.send(true).expect("runners listen");
    let result = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("runner stops")
        .expect("runner task");
    assert!(result.is_ok(), "{result:?}");
    let incremental = checksums(&engine).await;
    engine
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .expect("rebuild");
    assert_eq!(checksums(&engine).await, incremental);
}

/// The runner reads each batch once for all projections; one that fails (here the catalogue,
/// at every batch) stops alone, and the others follow the feed to its end. The runner reports
/// the stopped one when it ends.
async fn a_failing_projection_stops_alone_while_the_runner_goes_on(test: TestStore) {
    let store = test.store.clone();
    let crash = Arc::new(AtomicBool::new(true));
    let projections: Vec<Arc<dyn Projection>> = standard_projections()
        .into_iter()
        .map(|inner| {
            if inner.name() == "catalogue" {
                Arc::new(CrashBeforeCommit {
                    inner,
                    crash: crash.clone(),
                }) as Arc<dyn Projection>
            } else {
                inner
            }
        })
        .collect();
    let engine =
        ProjectionEngine::with_projections(store.clone(), projections, woken_runner_settings());
    let empty_catalogue = engine.checksum("catalogue").await.expect("checksum");
    let wake = Arc::new(tokio::sync::Notify::new());
    let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
    let runner = engine.spawn(wake.clone(), shutdown_signal);

    requests_and_decisions(store.as_ref()).await;
    let statuses =
        wake_until_caught_up(&engine, &wake, |status| status.projection != "catalogue").await;
    let catalogue = statuses
        .into_iter()
        .find(|status| status.projection == "catalogue")
        .expect("the catalogue's status");
    assert_eq!(catalogue.checkpoint.events_processed, 0, "{catalogue:?}");
    assert!(catalogue.events_behind > 0);
    // The catalogue's failure sank the batches it shared with the others; they took those
    // alone, then went on together. None was refused: the failed transaction had let go of their
    // locks before they took the batch alone.
    assert_eq!(engine.activity().of("catalogue").batches_applied, 0);
    for other in engine
        .activity()
        .snapshot()
        .into_iter()
        .filter(|activity| activity.projection != "catalogue")
    {
        assert!(
            other.batches_joint > 0
                && other.batches_joint < other.batches_applied
                && other.batches_refused == 0,
            "{other:?}"
        );
    }
    assert_eq!(
        engine.checksum("catalogue").await.expect("checksum"),
        empty_catalogue
    );

    shutdown.send(true).expect("the runner listens");
    let result = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the runner stops")
        .expect("runner task");
    match result {
        Err(ProjectionError::Stopped(names)) => assert_eq!(names, "catalogue"),
        other => panic!("expected the catalogue reported as stopped, got {other:?}"),
    }

    // What the others wrote is what a rebuild of them writes.
    let followed = checksums(&engine).await;
    let rebuilt = ProjectionEngine::new(store.clone(), small_batches());
    rebuilt
        .rebuild(ProjectionSelection::All, &mut |_, _| {})
        .await
        .expect("rebuild");
    let rebuilt = checksums(&rebuilt).await;
    let others = |checksums: Vec<(&'static str, String)>| {
        checksums
            .into_iter()
            .filter(|(name, _)| *name != "catalogue")
            .collect::<Vec<_>>()
    };
    assert_eq!(others(followed), others(rebuilt));
}

/// The read models' indexes on mostly empty columns are partial (migration 0016), and each
/// lookup that needs one, written as the projections write it, can still be planned on it.
async fn sparse_indexes_leave_out_empty_values_and_serve_their_lookups(test: TestStore) {
    let text = |value: &str| SqlValue::Text(value.to_owned());
    let tenant = text(&Uuid::new_v4().to_string());
    let cases = [
        (
            "request_queue_by_committee",
            "select request_id from request_queue where committee_id = $1 and tenant_id in ($2, $3) \
             and state = $4 order by requested_at, tenant_id, request_id limit $5",
            vec![text("c"), tenant.clone(), text("t"), text("pending"), SqlValue::Int(20)],
        ),
        (
            "request_queue_by_award",
            "select request_id from request_queue where tenant_id in ($1) and award_id in ($2, $3)",
            vec![tenant.clone(), text("a"), text("b")],
        ),
        (
            "request_queue_by_expiry",
            "select request_id from request_queue where award_state = $1 and expires_at is not null \
             and expires_at <= $2 order by expires_at, tenant_id, request_id limit $3",
            vec![text("active"), text("2030-01-01T00:00:00Z"), SqlValue::Int(20)],
        ),
        (
            "badge_history_subject_by_award",
            "select request_id from badge_history_subject where tenant_id in ($1) and award_id in ($2)",
            vec![tenant.clone(), text("a")],
        ),
    ];
    let mut transaction = test.begin_read_model().await.expect("transaction");
    if test.backend == Backend::Postgres {
        // The tables are empty: the planner would rightly scan them whole, which would say
        // nothing of whether the index can serve the query.
        transaction
            .execute("set local enable_seqscan = off", &[])
            .await
            .expect("set");
    }
    for (index, query, params) in cases {
        let definition = match test.backend {
            Backend::Postgres => "select indexdef from pg_indexes where indexname = $1",
            Backend::Sqlite => "select sql from sqlite_master where type = 'index' and name = $1",
        };
        let definition = transaction
            .fetch_all(definition, &[text(index)])
            .await
            .expect("the index's definition");
        let definition = format!("{definition:?}").to_lowercase();
        assert!(
            definition.contains("where") && definition.contains("is not null"),
            "{index} is not partial: {definition}"
        );
        let explain = match test.backend {
            Backend::Postgres => format!("explain {query}"),
            Backend::Sqlite => format!("explain query plan {query}"),
        };
        let plan = transaction
            .fetch_all(&explain, &params)
            .await
            .expect("explain");
        let plan = format!("{plan:?}");
        assert!(
            plan.contains(index),
            "{query}\nis not planned on {index}:\n{plan}"
        );
    }
}
