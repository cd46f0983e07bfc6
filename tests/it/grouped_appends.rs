//! Grouped appends on PostgreSQL (`EventStore::append_grouped`, group commit): single-event
//! appends of one tenant that arrive while one of its appends runs go together, once it ends,
//! as one statement and one transaction. Each still gets exactly the outcome it would have had
//! alone, in the order they queued: its own position, its own wrong version or changed shared
//! streams, its own vault entries written only if it was appended, its own error; and a caller
//! that goes away neither loses its append nor leaves the others unanswered.
//!
//! The first append (the leader) waits in the database for the tenant's own append lock, which a
//! blocker connection holds; the others queue behind it, the store's counters say when they all
//! have, and releasing the lock lets them go.

use crate::helpers::{append_request, postgres_store, test_event, TestStore};
use ecusson_domain::{PersonId, TenantId, VaultEntryId};
use ecusson_store::postgres::PostgresEventStore;
use ecusson_store::{
    verify_log, AppendOutcome, AppendRequest, CoalescedReads, EventStore, ExpectedVersion,
    SharedAt, StoreError, StreamId, Vault, VaultKey, VaultRead,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

type Append = JoinHandle<Result<AppendOutcome, StoreError>>;

struct Gate {
    _database: TestStore,
    store: Arc<PostgresEventStore>,
    tenant: TenantId,
    /// Holds the tenant's append lock until [`Gate::release`].
    blocker: PgConnection,
}

impl Gate {
    async fn new() -> Gate {
        let database = postgres_store().await;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(&database.url)
            .await
            .expect("a pool on the test database");
        let blocker = PgConnection::connect(&database.url)
            .await
            .expect("the blocker's connection");
        Gate {
            _database: database,
            store: Arc::new(PostgresEventStore::new(pool)),
            tenant: TenantId::new(),
            blocker,
        }
    }

    /// Takes the lock every append of the tenant takes (migration 0003), in the same key space.
    async fn lock(&mut self) {
        sqlx::query("select pg_advisory_lock(1162041939, hashtext($1::text))")
            .bind(self.tenant.as_uuid())
            .execute(&mut self.blocker)
            .await
            .expect("take the tenant's append lock");
    }

    async fn release(&mut self) {
        sqlx::query("select pg_advisory_unlock(1162041939, hashtext($1::text))")
            .bind(self.tenant.as_uuid())
            .execute(&mut self.blocker)
            .await
            .expect("release the tenant's append lock");
    }

    fn append(&self, request: AppendRequest) -> Append {
        let store = self.store.clone();
        tokio::spawn(async move { store.append_grouped(request).await })
    }

    /// Waits (polling the store's counters, 30 s at most) until `done` holds.
    async fn until(&self, what: &str, done: impl Fn(CoalescedReads) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.store.grouped_appends();
            if done(now) {
                return;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}: {now:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Starts `first` and waits until it leads (it then waits for the lock in the database),
    /// then starts each of `queued` and waits until they all wait behind it.
    async fn queue(
        &self,
        first: AppendRequest,
        queued: Vec<AppendRequest>,
    ) -> (Append, Vec<Append>) {
        let leader = self.append(first);
        self.until("the leader", |now| now.leading == 1).await;
        // One at a time, so that they queue in the order given.
        let mut followers = Vec::with_capacity(queued.len());
        for request in queued {
            followers.push(self.append(request));
            let queued = followers.len();
            self.until("the queue", |now| now.waiting == queued).await;
        }
        (leader, followers)
    }

    fn request(&self, stream: &str, expected: ExpectedVersion) -> AppendRequest {
        append_request(self.tenant, stream, expected, vec![test_event(1)])
    }
}

async fn outcomes(appends: Vec<Append>) -> Vec<Result<AppendOutcome, StoreError>> {
    let mut outcomes = Vec::with_capacity(appends.len());
    for append in appends {
        outcomes.push(append.await.expect("the append's task"));
    }
    outcomes
}

/// A dozen appends queued behind one go as one statement, each with its own outcome: a new
/// stream, two appends racing for one stream version (the first queued wins, the second hears
/// the version the first left), appends on a condition that holds or no longer holds, vault
/// entries written with their own append only; the chain stays intact and gap-free.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_queued_behind_one_go_together_each_with_its_own_outcome() {
    let mut gate = Gate::new().await;
    let tenant = gate.tenant;
    let network = TenantId::new();
    let store: Arc<dyn EventStore> = gate.store.clone();
    // Before: the tenant's staff (a shared stream: its shared sequence 1), a worker's record at
    // version 2 (sequences 2 and 3), and the network's class (its shared sequence 1).
    store
        .append(gate.request("staff", ExpectedVersion::NoStream))
        .await
        .unwrap();
    store
        .append(append_request(
            tenant,
            "earner-a",
            ExpectedVersion::NoStream,
            vec![test_event(1), test_event(2)],
        ))
        .await
        .unwrap();
    store
        .append(append_request(
            network,
            "badge-class-1",
            ExpectedVersion::NoStream,
            vec![test_event(1)],
        ))
        .await
        .unwrap();
    let held = |network_seq| {
        vec![
            SharedAt {
                tenant_id: tenant,
                seq: 1,
            },
            SharedAt {
                tenant_id: network,
                seq: network_seq,
            },
        ]
    };
    let vault = Vault::new(store.clone(), VaultKey::generate());
    let person = PersonId::new();
    let (kept, dropped) = (VaultEntryId::new(), VaultEntryId::new());
    let mut with_entry = gate.request("earner-e", ExpectedVersion::NoStream);
    with_entry.vault_entries = vec![vault
        .seal_new(tenant, person, kept, b"Attestation de stage")
        .await
        .unwrap()];
    with_entry.shared_unchanged = held(1);
    let mut stale_with_entry = gate.request("earner-f", ExpectedVersion::NoStream);
    stale_with_entry.vault_entries = vec![vault
        .seal_new(tenant, person, dropped, b"Brouillon")
        .await
        .unwrap()];
    stale_with_entry.shared_unchanged = held(0);
    let mut on_condition = gate.request("earner-c", ExpectedVersion::NoStream);
    on_condition.shared_unchanged = held(1);
    let mut stale = gate.request("earner-d", ExpectedVersion::NoStream);
    stale.shared_unchanged = held(0);

    gate.lock().await;
    let queued = vec![
        gate.request("earner-1", ExpectedVersion::NoStream),
        gate.request("earner-a", ExpectedVersion::Exact(2)),
        gate.request("earner-2", ExpectedVersion::NoStream),
        gate.request("earner-a", ExpectedVersion::Exact(2)),
        on_condition,
        stale,
        gate.request("earner-3", ExpectedVersion::Exact(4)),
        with_entry,
        stale_with_entry,
        gate.request("earner-4", ExpectedVersion::NoStream),
        gate.request("earner-4", ExpectedVersion::NoStream),
        gate.request("earner-a", ExpectedVersion::Any),
    ];
    let count = queued.len();
    let streams: Vec<StreamId> = queued
        .iter()
        .map(|request| request.stream_id.clone())
        .collect();
    let event_ids: Vec<_> = queued
        .iter()
        .map(|request| request.events[0].event_id)
        .collect();
    let (leader, followers) = gate
        .queue(gate.request("earner-0", ExpectedVersion::NoStream), queued)
        .await;
    gate.release().await;
    let first = leader.await.unwrap().unwrap();
    assert_eq!(first.first_seq, 4);
    let outcomes = outcomes(followers).await;
    assert_eq!(
        gate.store.grouped_appends(),
        CoalescedReads {
            leading: 0,
            waiting: 0,
            batches: 1,
            batched_calls: count as u64,
        }
    );

    // Positions in the order queued, from 5, for those appended; the racing second append to
    // `earner-a` hears the version the first left, and the `Any` one follows it.
    let mut seq = 4;
    let mut appended = |version| {
        seq += 1;
        Some(AppendOutcome {
            first_seq: seq,
            last_seq: seq,
            stream_version: version,
            replayed: false,
        })
    };
    let expected = [
        appended(1),
        appended(3),
        appended(1),
        None,
        appended(1),
        None,
        None,
        appended(1),
        None,
        appended(1),
        None,
        appended(4),
    ];
    for (index, (outcome, expected)) in outcomes.iter().zip(expected).enumerate() {
        match (outcome, expected) {
            (Ok(outcome), Some(expected)) => {
                assert_eq!(*outcome, expected, "append {index} ({})", streams[index])
            }
            (Err(error), None) => match index {
                3 => assert!(
                    matches!(error, StoreError::WrongExpectedVersion { actual: 3, .. }),
                    "{error:?}"
                ),
                5 | 8 => assert!(
                    matches!(error, StoreError::SharedStreamsChanged),
                    "{error:?}"
                ),
                6 => assert!(
                    matches!(error, StoreError::WrongExpectedVersion { actual: 0, .. }),
                    "{error:?}"
                ),
                10 => assert!(
                    matches!(error, StoreError::WrongExpectedVersion { actual: 1, .. }),
                    "{error:?}"
                ),
                _ => panic!("append {index}: {error:?}"),
            },
            (outcome, expected) => {
                panic!(
                    "append {index} ({}): {outcome:?}, expected {expected:?}",
                    streams[index]
                )
            }
        }
    }

    // Each appended event is where its outcome says, and the refused ones are nowhere.
    let events = store.read_tenant(tenant, 0, 100).await.unwrap();
    assert_eq!(events.len(), 11);
    for (index, outcome) in outcomes.iter().enumerate() {
        let found = events
            .iter()
            .find(|event| event.event_id == event_ids[index]);
        match outcome {
            Ok(outcome) => {
                let event = found.expect("an appended event");
                assert_eq!(
                    (event.seq, event.stream_version, &event.stream_id),
                    (outcome.first_seq, outcome.stream_version, &streams[index])
                );
            }
            Err(_) => assert!(found.is_none(), "append {index} was refused"),
        }
    }
    let report = verify_log(store.as_ref(), tenant).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.events_checked, 11);
    assert!(matches!(
        vault.get(tenant, person, kept).await.unwrap(),
        VaultRead::Present { .. }
    ));
    assert_eq!(
        vault.get(tenant, person, dropped).await.unwrap(),
        VaultRead::Missing
    );
}

/// A statement that fails for one of its appends (here an event id the log already holds)
/// undoes the group; each append then runs alone, so the error is that append's own and the
/// others are appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_error_in_a_group_stays_the_error_of_its_own_append() {
    let mut gate = Gate::new().await;
    let existing = gate.request("earner-0", ExpectedVersion::NoStream);
    let taken = existing.events[0].event_id;
    gate.store.append(existing).await.unwrap();
    let mut duplicate = gate.request("earner-9", ExpectedVersion::NoStream);
    duplicate.events[0].event_id = taken;

    gate.lock().await;
    let (leader, followers) = gate
        .queue(
            gate.request("earner-1", ExpectedVersion::NoStream),
            vec![
                gate.request("earner-2", ExpectedVersion::NoStream),
                duplicate,
                gate.request("earner-3", ExpectedVersion::NoStream),
            ],
        )
        .await;
    gate.release().await;
    leader.await.unwrap().unwrap();
    let outcomes = outcomes(followers).await;
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    assert!(
        matches!(outcomes[1], Err(StoreError::DuplicateEvent)),
        "{:?}",
        outcomes[1]
    );
    assert!(outcomes[2].is_ok(), "{:?}", outcomes[2]);
    // The group did not count: its appends ran alone.
    assert_eq!(gate.store.grouped_appends().batches, 0);
    let head = gate.store.tenant_head(gate.tenant).await.unwrap().unwrap();
    assert_eq!(head.seq, 4);
    assert!(verify_log(gate.store.as_ref(), gate.tenant)
        .await
        .unwrap()
        .is_intact());
}

/// Callers that go away while their appends wait (a client hanging up), the leader's and a
/// follower's: the appends stand, and the appends queued with them are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_caller_that_goes_away_leaves_its_append_and_the_others_answered() {
    let mut gate = Gate::new().await;
    gate.lock().await;
    let requests: Vec<AppendRequest> = (1..=4)
        .map(|n| gate.request(&format!("earner-{n}"), ExpectedVersion::NoStream))
        .collect();
    let ids: Vec<_> = requests
        .iter()
        .map(|request| request.events[0].event_id)
        .collect();
    let mut requests = requests.into_iter();
    let first = requests.next().unwrap();
    let (leader, mut followers) = gate.queue(first, requests.collect()).await;
    leader.abort();
    let gone = followers.remove(1);
    gone.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    assert!(gone.await.unwrap_err().is_cancelled());
    gate.release().await;
    for outcome in outcomes(followers).await {
        outcome.unwrap();
    }
    // The abandoned calls' appends were committed before the others were answered: the
    // leader's before the lead passed, the follower's in the others' statement.
    let events = gate.store.read_tenant(gate.tenant, 0, 10).await.unwrap();
    let mut found: Vec<_> = events.iter().map(|event| event.event_id).collect();
    let mut expected = ids.clone();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert!(verify_log(gate.store.as_ref(), gate.tenant)
        .await
        .unwrap()
        .is_intact());
}
