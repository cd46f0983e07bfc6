//! The use-case path (`ecusson_app::Ledger`) on both backends: commands decided on the state
//! read, optimistic concurrency with retries, idempotent retries, refusals that append nothing.

use crate::helpers::TestStore;
use ecusson_app::{AppError, ErrorCode, Ledger, Loaded, RequestMeta};
use ecusson_domain::{Actor, PersonId, Role, Staff, StaffCommand, TenantId};
use ecusson_store::{IdempotencyKey, StreamId};
use std::sync::Arc;

fn admin(tenant_id: TenantId) -> Actor {
    Actor {
        tenant_id,
        person_id: PersonId::new(),
        roles: vec![Role::StructureAdmin],
    }
}

fn staff_stream() -> StreamId {
    StreamId::parse("staff").unwrap()
}

fn appoint(person_id: PersonId) -> impl FnMut(&Staff) -> Result<StaffCommand, AppError> {
    move |_| {
        Ok(StaffCommand::Appoint {
            person_id,
            roles: vec![Role::Counsellor],
        })
    }
}

/// Appoints `person` to the staff of the actor's tenant through `ledger`, starting from `first`
/// for the first attempt when given; the stream's version after it.
async fn appoint_through(
    ledger: &Ledger,
    actor: &Actor,
    first: Option<Loaded<Staff>>,
    person: PersonId,
) -> u64 {
    let executed = ledger
        .execute_from::<Staff, _>(
            actor,
            actor.tenant_id,
            &staff_stream(),
            &RequestMeta::default(),
            first,
            appoint(person),
        )
        .await
        .unwrap();
    executed.position.unwrap().stream_version
}

async fn a_command_appends_its_events_and_returns_the_new_state(store: TestStore) {
    let ledger = Ledger::new(store.store.clone());
    let tenant = TenantId::new();
    let actor = admin(tenant);
    let counsellor = PersonId::new();
    let executed = ledger
        .execute::<Staff, _>(
            &actor,
            tenant,
            &staff_stream(),
            &RequestMeta::default(),
            appoint(counsellor),
        )
        .await
        .unwrap();
    let position = executed.position.expect("an event was appended");
    assert_eq!((position.first_seq, position.last_seq), (1, 1));
    assert_eq!(position.stream_version, 1);
    assert_eq!(executed.state.roles_of(counsellor), &[Role::Counsellor]);
    assert!(!executed.replayed);

    let loaded = ledger.load::<Staff>(tenant, &staff_stream()).await.unwrap();
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.state, executed.state);
}

async fn a_refused_command_appends_nothing_and_says_why(store: TestStore) {
    let ledger = Ledger::new(store.store.clone());
    let tenant = TenantId::new();
    let counsellor_actor = Actor {
        roles: vec![Role::Counsellor],
        ..admin(tenant)
    };
    let error = ledger
        .execute::<Staff, _>(
            &counsellor_actor,
            tenant,
            &staff_stream(),
            &RequestMeta::default(),
            appoint(PersonId::new()),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(
        store.stream_version(tenant, &staff_stream()).await.unwrap(),
        0
    );
}

/// Sixteen appointments race on one roster: each is decided on the state it read, the losers
/// of each round decide again on the new state, and none is lost.
async fn concurrent_commands_on_one_stream_are_all_kept(store: TestStore) {
    let ledger = Ledger::new(store.store.clone());
    let tenant = TenantId::new();
    let actor = admin(tenant);
    let people: Vec<PersonId> = (0..16).map(|_| PersonId::new()).collect();
    let tasks: Vec<_> = people
        .iter()
        .map(|person| {
            let (ledger, actor, person) = (ledger.clone(), actor.clone(), *person);
            tokio::spawn(async move {
                ledger
                    .execute::<Staff, _>(
                        &actor,
                        tenant,
                        &staff_stream(),
                        &RequestMeta::default(),
                        appoint(person),
                    )
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    // Under heavy contention a command may give up after its attempts (CONFLICT, retryable);
    // every one that succeeded is in the roster, and nothing else is.
    let succeeded: Vec<PersonId> = people
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(person, _)| *person)
        .collect();
    for outcome in &outcomes {
        if let Err(error) = outcome {
            assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
        }
    }
    assert!(
        succeeded.len() >= 5,
        "only {} of 16 went through",
        succeeded.len()
    );
    let roster = ledger.load::<Staff>(tenant, &staff_stream()).await.unwrap();
    assert_eq!(roster.version, succeeded.len() as u64);
    for person in &people {
        let expected = if succeeded.contains(person) {
            vec![Role::Counsellor]
        } else {
            vec![]
        };
        assert_eq!(roster.state.roles_of(*person), expected.as_slice());
    }
}

/// A retried request with the same key gets the first answer, even though deciding it again
/// would now be refused (the person is already appointed); another request under the same key
/// is refused. Nothing is appended twice.
async fn an_idempotent_retry_returns_the_first_outcome(store: TestStore) {
    let ledger = Ledger::new(store.store.clone());
    let tenant = TenantId::new();
    let actor = admin(tenant);
    let person = PersonId::new();
    let meta = RequestMeta {
        idempotency_key: Some(IdempotencyKey::new("appoint-1", b"appoint person 1").unwrap()),
        ..RequestMeta::default()
    };
    let first = ledger
        .execute::<Staff, _>(&actor, tenant, &staff_stream(), &meta, appoint(person))
        .await
        .unwrap();
    // Someone else changes the roster in between.
    ledger
        .execute::<Staff, _>(
            &actor,
            tenant,
            &staff_stream(),
            &RequestMeta::default(),
            appoint(PersonId::new()),
        )
        .await
        .unwrap();

    let retry = ledger
        .execute::<Staff, _>(&actor, tenant, &staff_stream(), &meta, appoint(person))
        .await
        .unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.position, first.position);
    assert_eq!(retry.events, first.events);
    assert_eq!(retry.state, first.state);

    let other_request = RequestMeta {
        idempotency_key: Some(IdempotencyKey::new("appoint-1", b"appoint person 2").unwrap()),
        ..RequestMeta::default()
    };
    let error = ledger
        .execute::<Staff, _>(
            &actor,
            tenant,
            &staff_stream(),
            &other_request,
            appoint(PersonId::new()),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::IdempotencyKeyReused), "{error}");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert_eq!(
        store.stream_version(tenant, &staff_stream()).await.unwrap(),
        2
    );
}

/// Two copies of the same request race with the same key: one appends, the other answers
/// with its outcome.
async fn concurrent_retries_with_one_key_append_once(store: TestStore) {
    let ledger = Arc::new(Ledger::new(store.store.clone()));
    let tenant = TenantId::new();
    let actor = admin(tenant);
    let person = PersonId::new();
    let meta = RequestMeta {
        idempotency_key: Some(IdempotencyKey::new("once", b"the same request").unwrap()),
        ..RequestMeta::default()
    };
    let run = || {
        let (ledger, actor, meta) = (ledger.clone(), actor.clone(), meta.clone());
        tokio::spawn(async move {
            ledger
                .execute::<Staff, _>(&actor, tenant, &staff_stream(), &meta, appoint(person))
                .await
        })
    };
    let (a, b) = (run(), run());
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert_eq!(a.position, b.position);
    assert_eq!(u8::from(a.replayed) + u8::from(b.replayed), 1);
    assert_eq!(
        store.stream_version(tenant, &staff_stream()).await.unwrap(),
        1
    );
}

crate::on_both_backends!(
    a_command_appends_its_events_and_returns_the_new_state,
    a_refused_command_appends_nothing_and_says_why,
    concurrent_commands_on_one_stream_are_all_kept,
    an_idempotent_retry_returns_the_first_outcome,
    concurrent_retries_with_one_key_append_once,
    a_cached_aggregate_is_as_fresh_as_the_log,
    a_recent_record_starts_from_what_the_last_command_left,
    an_entry_sealed_under_a_changed_key_is_answered_never_written,
    a_command_on_held_inputs_reads_nothing_and_appends_only_while_they_stand_still,
);

/// Personal data sealed under a person's key that another process destroyed before the append
/// (an erasure): the append refuses it, and the ledger decides again. If the command now is
/// refused (as it is for an erased worker), that refusal is the answer; otherwise the answer
/// is `PersonKeyChanged` (CONFLICT), and a retry, sealed again, goes through. Nothing is
/// appended before that.
async fn an_entry_sealed_under_a_changed_key_is_answered_never_written(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    use ecusson_store::{Vault, VaultKey};
    let ledger = Ledger::new(store.store.clone());
    let installation = VaultKey::generate();
    let here = Vault::new(store.store.clone(), installation.clone());
    let elsewhere = Vault::new(store.store.clone(), installation);
    let tenant = TenantId::new();
    let actor = admin(tenant);
    let person = PersonId::new();
    let sealed_for = |vault: &Vault| {
        let vault = vault.clone();
        async move {
            let meta = RequestMeta {
                vault_entries: vec![vault
                    .seal_new(tenant, person, VaultEntryId::new(), b"Note d'entretien")
                    .await
                    .unwrap()],
                ..RequestMeta::default()
            };
            meta
        }
    };
    // Sealing once makes `here` remember the key; elsewhere, it is destroyed.
    sealed_for(&here).await;
    elsewhere.destroy_key(tenant, person).await.unwrap();

    // The command still stands when decided again: CONFLICT, decided twice, nothing appended.
    let stale = sealed_for(&here).await;
    let mut decided = 0;
    let error = ledger
        .execute::<Staff, _>(&actor, tenant, &staff_stream(), &stale, |state| {
            decided += 1;
            appoint(PersonId::new())(state)
        })
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::PersonKeyChanged), "{error:?}");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert_eq!(decided, 2);
    assert_eq!(
        store.stream_version(tenant, &staff_stream()).await.unwrap(),
        0
    );

    // The retry, sealed again, reads the person's key afresh and is written.
    let retry = sealed_for(&here).await;
    let executed = ledger
        .execute::<Staff, _>(
            &actor,
            tenant,
            &staff_stream(),
            &retry,
            appoint(PersonId::new()),
        )
        .await
        .unwrap();
    assert_eq!(executed.position.unwrap().stream_version, 1);

    // Destroyed again elsewhere; this time deciding again refuses (the person left the roster
    // meanwhile, as an erased worker's commands are refused): the refusal is the answer.
    elsewhere.destroy_key(tenant, person).await.unwrap();
    let stale = sealed_for(&here).await;
    let (leaving, mut decided) = (PersonId::new(), 0);
    let error = ledger
        .execute::<Staff, _>(&actor, tenant, &staff_stream(), &stale, |_| {
            decided += 1;
            Ok(if decided == 1 {
                StaffCommand::Appoint {
                    person_id: leaving,
                    roles: vec![Role::Counsellor],
                }
            } else {
                StaffCommand::RecordDeparture { person_id: leaving }
            })
        })
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::Domain(_)), "{error:?}");
    assert_eq!(decided, 2);
    assert_eq!(
        store.stream_version(tenant, &staff_stream()).await.unwrap(),
        1
    );
}

/// A batch reads several aggregates at once; a cached one starts from its snapshot and still
/// sees what another process (another ledger on the same database) appended since; the
/// aggregate a command runs on can be handed to `execute_from` for its first attempt.
async fn a_cached_aggregate_is_as_fresh_as_the_log(store: TestStore) {
    let (here, elsewhere) = (
        Ledger::new(store.store.clone()),
        Ledger::new(store.store.clone()),
    );
    let (tenant, other_tenant) = (TenantId::new(), TenantId::new());
    let actor = admin(tenant);
    let (first, second, third) = (PersonId::new(), PersonId::new(), PersonId::new());
    let meta = RequestMeta::default();
    here.execute::<Staff, _>(&actor, tenant, &staff_stream(), &meta, appoint(first))
        .await
        .unwrap();
    here.execute::<Staff, _>(
        &admin(other_tenant),
        other_tenant,
        &staff_stream(),
        &meta,
        appoint(third),
    )
    .await
    .unwrap();

    let load = |ledger: Ledger| async move {
        let mut batch = ledger.batch();
        let cached = batch.cached::<Staff>(tenant, staff_stream());
        let fresh = batch.fresh::<Staff>(tenant, staff_stream());
        let other = batch.cached::<Staff>(other_tenant, staff_stream());
        let mut loaded = batch.load().await.unwrap();
        (
            loaded.take(cached).await.unwrap(),
            loaded.take(fresh).await.unwrap(),
            loaded.take(other).await.unwrap(),
        )
    };
    let (cached, fresh, other) = load(here.clone()).await;
    assert_eq!(cached.version, 1);
    assert!(cached.state.is_member(first));
    assert_eq!(fresh.version, 1);
    assert!(other.state.is_member(third) && !other.state.is_member(first));

    // Another node appoints someone: this node's snapshot (at version 1) catches up.
    elsewhere
        .execute::<Staff, _>(&actor, tenant, &staff_stream(), &meta, appoint(second))
        .await
        .unwrap();
    let (cached, fresh, _) = load(here.clone()).await;
    assert_eq!((cached.version, fresh.version), (2, 2));
    assert!(cached.state.is_member(second) && cached.state.is_member(first));

    // The loaded state runs a command; a stale one (another write in between) is retried.
    let (_, stale, _) = load(here.clone()).await;
    appoint_through(&elsewhere, &actor, None, PersonId::new()).await;
    let fourth = PersonId::new();
    assert_eq!(appoint_through(&here, &actor, Some(stale), fourth).await, 4);
    let (cached, _, _) = load(here).await;
    assert_eq!(cached.version, 4);
    assert!(cached.state.is_member(fourth));
}

/// The aggregate a command runs on, read through `Batch::recent`, starts from the state the
/// last command of this ledger left (it reads no event then), catches up with what another
/// ledger appended, and comes out as a load from the start would.
async fn a_recent_record_starts_from_what_the_last_command_left(store: TestStore) {
    let (here, elsewhere) = (
        Ledger::new(store.store.clone()),
        Ledger::new(store.store.clone()),
    );
    let tenant = TenantId::new();
    let actor = admin(tenant);
    // What a batch would start from, and what it loads.
    let recent = |ledger: Ledger| async move {
        let mut batch = ledger.batch();
        let slot = batch.recent::<Staff>(tenant, staff_stream());
        let after = batch.reads()[0].after_version;
        let mut loaded = batch.load().await.unwrap();
        (after, loaded.take(slot).await.unwrap())
    };
    let from_start = || async { here.load::<Staff>(tenant, &staff_stream()).await.unwrap() };

    // A command run without `recent` leaves nothing held: the first read starts from 0.
    let first = PersonId::new();
    appoint_through(&here, &actor, None, first).await;
    let (after, loaded) = recent(here.clone()).await;
    assert_eq!((after, loaded.version), (0, 1));
    // `recent` and `cached` keep apart: the catalogue's snapshots did not get this one.
    let mut batch = here.batch();
    let _ = batch.cached::<Staff>(tenant, staff_stream());
    assert_eq!(batch.reads()[0].after_version, 0);

    // The command run on it leaves its state held at the new version: nothing more to read.
    let second = PersonId::new();
    assert_eq!(
        appoint_through(&here, &actor, Some(loaded), second).await,
        2
    );
    let (after, loaded) = recent(here.clone()).await;
    assert_eq!((after, loaded.version), (2, 2));
    assert!(loaded.state.is_member(first) && loaded.state.is_member(second));
    assert_eq!(loaded.state, from_start().await.state);

    // Another ledger appends: this one reads only that event, and is as fresh as the log.
    let third = PersonId::new();
    appoint_through(&elsewhere, &actor, None, third).await;
    let (after, stale) = recent(here.clone()).await;
    assert_eq!((after, stale.version), (2, 3));
    assert!(stale.state.is_member(third));

    // A state gone stale before its command (another append in between) is retried from the
    // log, and what the retry appended is what is held next.
    appoint_through(&elsewhere, &actor, None, PersonId::new()).await;
    let fifth = PersonId::new();
    assert_eq!(appoint_through(&here, &actor, Some(stale), fifth).await, 5);
    let (after, loaded) = recent(here.clone()).await;
    assert_eq!((after, loaded.version), (5, 5));
    assert!(loaded.state.is_member(fifth));
    assert_eq!(loaded.state, from_start().await.state);
}

/// A command decided on shared aggregates the ledger holds as current (here the structure's
/// staff) reads nothing before deciding, and its append carries the condition that they did
/// not change. When another ledger (another API node) changed them meanwhile, nothing is
/// appended and the answer is `InputsChanged`; the next load reads them again and sees the
/// change. A shared append through the ledger itself makes it read again too.
async fn a_command_on_held_inputs_reads_nothing_and_appends_only_while_they_stand_still(
    store: TestStore,
) {
    use ecusson_domain::{Earner, EarnerCommand};
    use ecusson_store::SharedAt;
    let (here, elsewhere) = (
        Ledger::new(store.store.clone()),
        Ledger::new(store.store.clone()),
    );
    let tenant = TenantId::new();
    let actor = admin(tenant);
    // Whether a load read the store, the condition it gives, and the staff's version.
    let held = |ledger: Ledger| async move {
        let mut batch = ledger.batch();
        let slot = batch.cached::<Staff>(tenant, staff_stream());
        let mut loaded = batch.load_unless_held().await.unwrap();
        let read = loaded.read_the_store();
        let unchanged = loaded.shared_unchanged();
        (read, unchanged, loaded.take(slot).await.unwrap().version)
    };
    let enrol = |ledger: Ledger, shared_unchanged: Vec<SharedAt>, worker: PersonId| {
        let actor = actor.clone();
        async move {
            let meta = RequestMeta {
                shared_unchanged,
                ..RequestMeta::default()
            };
            ledger
                .execute::<Earner, _>(
                    &actor,
                    tenant,
                    &StreamId::parse(Earner::stream_name(worker)).unwrap(),
                    &meta,
                    |_| {
                        Ok(EarnerCommand::Enrol {
                            earner_id: worker,
                            enrolled_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
                        })
                    },
                )
                .await
        }
    };
    let at = |seq| {
        vec![SharedAt {
            tenant_id: tenant,
            seq,
        }]
    };

    appoint_through(&here, &actor, None, PersonId::new()).await;
    // Nothing held: read, with the tenant's shared sequence (the staff's event, 1).
    assert_eq!(held(here.clone()).await, (true, at(1), 1));
    // Held as current: nothing read, the same condition.
    assert_eq!(held(here.clone()).await, (false, at(1), 1));
    enrol(here.clone(), at(1), PersonId::new()).await.unwrap();
    // A worker's record is not shared: the staff is still held as current.
    assert_eq!(held(here.clone()).await, (false, at(1), 1));

    // Another node appoints someone (sequence 3); this ledger does not know yet, and decides
    // on what it holds: the append is refused, nothing is written.
    appoint_through(&elsewhere, &actor, None, PersonId::new()).await;
    let (read, stale, version) = held(here.clone()).await;
    assert_eq!((read, version), (false, 1));
    let head = store.tenant_head(tenant).await.unwrap();
    let worker = PersonId::new();
    let error = enrol(here.clone(), stale, worker).await.unwrap_err();
    assert!(matches!(error, AppError::InputsChanged), "{error:?}");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert_eq!(store.tenant_head(tenant).await.unwrap(), head);

    // The next load reads, and is current again.
    assert_eq!(held(here.clone()).await, (true, at(3), 2));
    enrol(here.clone(), at(3), worker).await.unwrap();
    assert_eq!(held(here.clone()).await, (false, at(3), 2));
    // This ledger's own shared append (sequence 5): it reads again before trusting its copy.
    appoint_through(&here, &actor, None, PersonId::new()).await;
    assert_eq!(held(here.clone()).await, (true, at(5), 3));
}
