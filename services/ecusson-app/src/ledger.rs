//! Loading aggregates and running commands against the event store.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use ecusson_domain::{Actor, Aggregate, CommandContext, DomainEvent, TenantId};
use ecusson_store::{
    ActorRef, AppendRequest, EventMetadata, EventStore, ExpectedVersion, IdempotencyKey, NewEvent,
    RecordedEvent, SealedEntry, SharedAt, StoreError, StreamId, StreamRead, Traceparent,
};
use std::any::Any;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How many times a command is decided again when other writers keep changing its stream.
const MAX_ATTEMPTS: u32 = 5;

/// Events read per page when loading a stream.
const PAGE: usize = 1_000;

/// The time source of the use cases (a fixed clock in tests).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What a driver knows about the request a command comes from.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// Makes a retried request return its first outcome and append nothing.
    pub idempotency_key: Option<IdempotencyKey>,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// The caller's W3C trace context, stored with the events.
    pub traceparent: Option<Traceparent>,
    /// Personal data the command's events refer to, sealed ahead and written by the append
    /// (see [`ecusson_store::AppendRequest::vault_entries`]).
    pub vault_entries: Vec<SealedEntry>,
    /// The condition on shared streams the append carries (see
    /// [`ecusson_store::AppendRequest::shared_unchanged`]): [`Batched::shared_unchanged`] of the
    /// batch the command was decided on. When it fails, the use case answers
    /// [`AppError::InputsChanged`] and its caller decides again on a fresh read.
    pub shared_unchanged: Vec<SharedAt>,
}

/// Where a command's events went: the tenant's sequence numbers (what a reader waits for to
/// read its own write) and the stream's version after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub tenant_id: TenantId,
    pub first_seq: u64,
    pub last_seq: u64,
    pub stream_version: u64,
}

/// An aggregate as its stream says it is now.
#[derive(Clone, Debug)]
pub struct Loaded<A> {
    pub state: A,
    /// The number of events in the stream (0: it does not exist).
    pub version: u64,
}

/// The outcome of a command.
#[derive(Clone, Debug)]
pub struct Executed<A> {
    /// The aggregate after the command's events.
    pub state: A,
    /// The events the command caused, as appended.
    pub events: Vec<DomainEvent>,
    /// `None` when the command caused no event (nothing to append).
    pub position: Option<Position>,
    /// True when this was a retry answered from the idempotency record.
    pub replayed: bool,
}

/// The use cases' access to the log.
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn EventStore>,
    clock: Clock,
    /// Aggregates that many commands read and few change (see [`Batch::cached`]).
    snapshots: Arc<Snapshots>,
    /// The aggregates commands run on, as the last command left them (see [`Batch::recent`]):
    /// apart from `snapshots`, so that many workers' records do not push out the catalogue.
    records: Arc<Snapshots>,
}

/// How many aggregates `Ledger::snapshots` keeps before it starts again from empty.
const SNAPSHOTS_MAX: usize = 20_000;

/// How many aggregates `Ledger::records` keeps before it starts again from empty: the workers
/// of a large regional network (a worker's record is a few kilobytes).
const RECORDS_MAX: usize = 10_000;

/// Aggregates that many commands read and few change (a structure's staff, a badge class, its
/// adoption), kept in memory at the version last read. A load through [`Batch::cached`] reads
/// only the events after that version, so it is as fresh as a full load (the log is the
/// truth, the cache only spares folding it again) and usually reads no row. Each entry also
/// remembers the shared sequence of its tenant at which it was last known current (see
/// [`ecusson_store::SharedAt`]): with that, [`Batch::load_unless_held`] can skip the read
/// altogether and let the append check that nothing shared changed.
struct Snapshots {
    entries: Mutex<HashMap<(TenantId, StreamId), Entry>>,
    max: usize,
}

#[derive(Clone)]
struct Entry {
    version: u64,
    state: Snapshot,
    /// The tenant's shared sequence of the read that last saw the stream at `version`.
    shared_seq: Option<u64>,
}

/// An aggregate's state, of whichever type (a [`Slot`] knows which).
type Snapshot = Arc<dyn Any + Send + Sync>;

impl Snapshots {
    fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            entries: Mutex::default(),
            max,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, StreamId), Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn get(&self, key: &(TenantId, StreamId)) -> Option<Entry> {
        self.lock().get(key).cloned()
    }

    /// Keeps `state` at `version`, as a read whose tenant's shared sequence was `shared_seq`
    /// saw it (`None`: not known).
    fn put(
        &self,
        key: (TenantId, StreamId),
        version: u64,
        shared_seq: Option<u64>,
        state: Snapshot,
    ) {
        self.store(key, version, shared_seq, false, || state);
    }

    /// [`Snapshots::put`], only if a snapshot of the stream is held already (so worth keeping
    /// up to date); `state` is made only then.
    fn refresh(&self, key: (TenantId, StreamId), version: u64, state: impl FnOnce() -> Snapshot) {
        self.store(key, version, None, true, state);
    }

    /// Records that a read at the tenant's shared sequence `shared_seq` found the stream still
    /// at `version`, the version held.
    fn confirm(&self, key: &(TenantId, StreamId), version: u64, shared_seq: u64) {
        if let Some(entry) = self.lock().get_mut(key) {
            if entry.version == version && entry.shared_seq.is_none_or(|known| known < shared_seq) {
                entry.shared_seq = Some(shared_seq);
            }
        }
    }

    /// Forgets at which shared sequence the tenant's entries were current (one of its shared
    /// streams moved): their next load reads again.
    fn forget_shared_seq(&self, tenant_id: TenantId) {
        for ((tenant, _), entry) in self.lock().iter_mut() {
            if *tenant == tenant_id {
                entry.shared_seq = None;
            }
        }
    }

    fn store(
        &self,
        key: (TenantId, StreamId),
        version: u64,
        shared_seq: Option<u64>,
        only_if_held: bool,
        state: impl FnOnce() -> Snapshot,
    ) {
        let mut entries = self.lock();
        match entries.get(&key) {
            None if only_if_held => {}
            // A slower reader must not replace a fresher snapshot with an older one.
            Some(known) if known.version > version => {}
            held => {
                if held.is_none() && entries.len() >= self.max {
                    entries.clear();
                }
                entries.insert(
                    key,
                    Entry {
                        version,
                        state: state(),
                        shared_seq,
                    },
                );
            }
        }
    }
}

/// A slot of a [`Batch`]: where one aggregate's events come back.
pub struct Slot<A> {
    index: usize,
    _aggregate: PhantomData<fn() -> A>,
}

/// Several aggregates loaded in one read of the store (one round trip on PostgreSQL): what a
/// command needs to know of other aggregates, and the aggregate it runs on.
pub struct Batch<'a> {
    ledger: &'a Ledger,
    reads: Vec<StreamRead>,
    /// Per read: the snapshot it starts from, if any, and where to keep the result, if anywhere.
    bases: Vec<Base<'a>>,
}

struct Base<'a> {
    held: Option<Entry>,
    keep: Option<&'a Snapshots>,
    /// Read through [`Batch::cached`]: a shared aggregate, which the append's condition covers.
    shared: bool,
}

impl<'a> Batch<'a> {
    /// An aggregate read from the start.
    pub fn fresh<A: Aggregate>(&mut self, tenant_id: TenantId, stream: StreamId) -> Slot<A> {
        self.push(tenant_id, stream, None, None, false)
    }

    /// An aggregate read from its last snapshot in memory (see [`Snapshots`]): for what many
    /// commands read and few change (a badge class, a structure's staff), a shared stream
    /// (`ecusson_domain::is_shared_stream`).
    pub fn cached<A: Aggregate>(&mut self, tenant_id: TenantId, stream: StreamId) -> Slot<A> {
        let ledger: &'a Ledger = self.ledger;
        self.push_snapshot(&ledger.snapshots, tenant_id, stream, true)
    }

    /// The aggregate the command will run on (a worker's record), read from the state the last
    /// command on it left, when the ledger still holds it: only the events after it are read
    /// (none, when this process wrote the last one). Kept apart from [`Batch::cached`]'s.
    pub fn recent<A: Aggregate>(&mut self, tenant_id: TenantId, stream: StreamId) -> Slot<A> {
        let ledger: &'a Ledger = self.ledger;
        self.push_snapshot(&ledger.records, tenant_id, stream, false)
    }

    fn push_snapshot<A: Aggregate>(
        &mut self,
        snapshots: &'a Snapshots,
        tenant_id: TenantId,
        stream: StreamId,
        shared: bool,
    ) -> Slot<A> {
        let held = snapshots
            .get(&(tenant_id, stream.clone()))
            .filter(|entry| entry.state.is::<A>());
        self.push(tenant_id, stream, held, Some(snapshots), shared)
    }

    fn push<A>(
        &mut self,
        tenant_id: TenantId,
        stream_id: StreamId,
        held: Option<Entry>,
        keep: Option<&'a Snapshots>,
        shared: bool,
    ) -> Slot<A> {
        self.reads.push(StreamRead {
            tenant_id,
            after_version: held.as_ref().map_or(0, |entry| entry.version),
            stream_id,
        });
        self.bases.push(Base { held, keep, shared });
        Slot {
            index: self.reads.len() - 1,
            _aggregate: PhantomData,
        }
    }

    /// What the batch will read: per slot, the stream and the version it starts after.
    pub fn reads(&self) -> &[StreamRead] {
        &self.reads
    }

    /// Reads every slot's events.
    pub async fn load(self) -> Result<Batched<'a>, AppError> {
        let pages = self.ledger.store.read_streams(&self.reads, PAGE).await?;
        let mut shared_seqs = Vec::with_capacity(pages.len());
        let mut events = Vec::with_capacity(pages.len());
        for page in pages {
            shared_seqs.push(Some(page.shared_seq));
            events.push(Some(page.events));
        }
        Ok(Batched {
            ledger: self.ledger,
            reads: self.reads,
            bases: self.bases,
            pages: events,
            shared_seqs,
            read: true,
        })
    }

    /// [`Batch::load`], unless every slot is held in memory and the shared ones are known
    /// current as of one shared sequence per tenant: then nothing is read, and the command's
    /// append must carry [`Batched::shared_unchanged`] (in [`RequestMeta::shared_unchanged`]),
    /// which the store checks in the append's own statement. A held aggregate that a command
    /// runs on ([`Batch::recent`]) needs no condition: its append expects its version.
    pub async fn load_unless_held(self) -> Result<Batched<'a>, AppError> {
        let mut known: Vec<SharedAt> = Vec::new();
        let mut held = true;
        for (read, base) in self.reads.iter().zip(&self.bases) {
            let Some(entry) = &base.held else {
                held = false;
                break;
            };
            if !base.shared {
                continue;
            }
            let shared_seq = entry
                .shared_seq
                .filter(|_| ecusson_domain::is_shared_stream(read.stream_id.as_str()));
            match (
                shared_seq,
                known.iter().find(|at| at.tenant_id == read.tenant_id),
            ) {
                (Some(seq), None) => known.push(SharedAt {
                    tenant_id: read.tenant_id,
                    seq,
                }),
                (Some(seq), Some(at)) if at.seq == seq => {}
                _ => {
                    held = false;
                    break;
                }
            }
        }
        if !held {
            return self.load().await;
        }
        Ok(Batched {
            ledger: self.ledger,
            pages: self.reads.iter().map(|_| Some(Vec::new())).collect(),
            shared_seqs: self
                .bases
                .iter()
                .map(|base| base.held.as_ref().and_then(|entry| entry.shared_seq))
                .collect(),
            reads: self.reads,
            bases: self.bases,
            read: false,
        })
    }
}

/// The events a [`Batch`] read, folded slot by slot.
pub struct Batched<'a> {
    ledger: &'a Ledger,
    reads: Vec<StreamRead>,
    bases: Vec<Base<'a>>,
    pages: Vec<Option<Vec<RecordedEvent>>>,
    /// Per slot: its tenant's shared sequence as read (or as held, when nothing was read).
    shared_seqs: Vec<Option<u64>>,
    /// Whether the store was read at all.
    read: bool,
}

impl Batched<'_> {
    /// Whether the batch read the store (false: every slot was answered from memory).
    pub fn read_the_store(&self) -> bool {
        self.read
    }

    /// The condition on shared streams an append decided on this batch carries: for each
    /// tenant of a [`Batch::cached`] slot, its shared sequence as read or held.
    pub fn shared_unchanged(&self) -> Vec<SharedAt> {
        let mut unchanged: Vec<SharedAt> = Vec::new();
        for ((read, base), seq) in self.reads.iter().zip(&self.bases).zip(&self.shared_seqs) {
            if let (true, Some(seq)) = (base.shared, seq) {
                if !unchanged.iter().any(|at| at.tenant_id == read.tenant_id) {
                    unchanged.push(SharedAt {
                        tenant_id: read.tenant_id,
                        seq: *seq,
                    });
                }
            }
        }
        unchanged
    }

    /// The aggregate of `slot` as its stream says it is now.
    pub async fn take<A: Aggregate>(&mut self, slot: Slot<A>) -> Result<Loaded<A>, AppError> {
        let read = &self.reads[slot.index];
        let base = &self.bases[slot.index];
        let mut version = read.after_version;
        let mut state =
            match &base.held {
                Some(entry) => entry.state.downcast_ref::<A>().cloned().ok_or_else(|| {
                    AppError::internal(StoreError::Corrupt("snapshot type".into()))
                })?,
                None => A::default(),
            };
        let mut page = self.pages[slot.index].take().unwrap_or_default();
        loop {
            let last_page = page.len() < PAGE;
            for recorded in &page {
                state = state.evolve(&decode(recorded)?);
                version = recorded.stream_version;
            }
            if last_page {
                break;
            }
            // A stream longer than a page: the rest, page by page.
            page = self
                .ledger
                .store
                .read_stream(read.tenant_id, &read.stream_id, version, PAGE)
                .await?;
        }
        if let Some(snapshots) = base.keep.filter(|_| self.read) {
            let key = (read.tenant_id, read.stream_id.clone());
            // Read with (or before) the first page: later pages can only make the state
            // fresher than it, never staler, so the condition stays safe.
            let shared_seq = self.shared_seqs[slot.index];
            if version > read.after_version || base.held.is_none() {
                // Kept again only when something was read past the snapshot.
                snapshots.put(key, version, shared_seq, Arc::new(state.clone()));
            } else if let Some(shared_seq) = shared_seq {
                snapshots.confirm(&key, version, shared_seq);
            }
        }
        Ok(Loaded { state, version })
    }
}

impl Ledger {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self::with_clock(store, Arc::new(Utc::now))
    }

    pub fn with_clock(store: Arc<dyn EventStore>, clock: Clock) -> Self {
        Self {
            store,
            clock,
            snapshots: Snapshots::new(SNAPSHOTS_MAX),
            records: Snapshots::new(RECORDS_MAX),
        }
    }

    /// Starts a [`Batch`]: several aggregates in one read.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            ledger: self,
            reads: Vec::new(),
            bases: Vec::new(),
        }
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Reads a stream from the start and folds it into its aggregate.
    pub async fn load<A: Aggregate>(
        &self,
        tenant_id: TenantId,
        stream: &StreamId,
    ) -> Result<Loaded<A>, AppError> {
        self.load_up_to(tenant_id, stream, u64::MAX).await
    }

    /// Every event of a stream, with when it was recorded, oldest first: for what needs the
    /// time of an event (a document dated by the event it restates), not only the state.
    pub async fn stream_events(
        &self,
        tenant_id: TenantId,
        stream: &StreamId,
    ) -> Result<Vec<(chrono::DateTime<Utc>, DomainEvent)>, AppError> {
        let mut events = Vec::new();
        let mut version = 0;
        loop {
            let page = self
                .store
                .read_stream(tenant_id, stream, version, PAGE)
                .await?;
            for recorded in &page {
                events.push((recorded.recorded_at, decode(recorded)?));
                version = recorded.stream_version;
            }
            if page.len() < PAGE {
                return Ok(events);
            }
        }
    }

    /// The aggregate as it was at version `up_to` (or now, if the stream is shorter).
    async fn load_up_to<A: Aggregate>(
        &self,
        tenant_id: TenantId,
        stream: &StreamId,
        up_to: u64,
    ) -> Result<Loaded<A>, AppError> {
        let mut state = A::default();
        let mut version = 0;
        while version < up_to {
            let page = self
                .store
                .read_stream(tenant_id, stream, version, PAGE)
                .await?;
            let last_page = page.len() < PAGE;
            for recorded in page
                .iter()
                .take_while(|event| event.stream_version <= up_to)
            {
                state = state.evolve(&decode(recorded)?);
                version = recorded.stream_version;
            }
            if last_page {
                break;
            }
        }
        Ok(Loaded { state, version })
    }

    /// Runs one command on the stream `stream` of `tenant_id`: loads the aggregate, asks
    /// `build` for the command given the state, decides and appends with the version read.
    /// When the stream changed in between, runs again on the new state (at most
    /// [`MAX_ATTEMPTS`] times). With an idempotency key already used for the same request,
    /// answers with the first outcome and appends nothing.
    ///
    /// Traced as a `use_case` span (in [`Ledger::execute_from`]): the tenant, the aggregate's
    /// type and the stream's category (not the stream's name, which holds an id), the attempts
    /// and the events appended.
    pub async fn execute<A, F>(
        &self,
        actor: &Actor,
        tenant_id: TenantId,
        stream: &StreamId,
        meta: &RequestMeta,
        build: F,
    ) -> Result<Executed<A>, AppError>
    where
        A: Aggregate,
        F: FnMut(&A) -> Result<A::Command, AppError>,
    {
        self.execute_from(actor, tenant_id, stream, meta, None, build)
            .await
    }

    /// [`Ledger::execute`], with the aggregate already loaded for the first attempt (by a
    /// [`Batch`] that also read what the command needs of other aggregates). Later attempts,
    /// after a concurrent write, load it again.
    #[tracing::instrument(
        name = "use_case",
        skip_all,
        fields(
            tenant.id = %tenant_id,
            aggregate = aggregate_name::<A>(),
            stream.category = stream.category(),
            attempts = 0_u32,
            events = tracing::field::Empty,
            replayed = tracing::field::Empty,
        )
    )]
    pub async fn execute_from<A, F>(
        &self,
        actor: &Actor,
        tenant_id: TenantId,
        stream: &StreamId,
        meta: &RequestMeta,
        mut first: Option<Loaded<A>>,
        mut build: F,
    ) -> Result<Executed<A>, AppError>
    where
        A: Aggregate,
        F: FnMut(&A) -> Result<A::Command, AppError>,
    {
        let span = tracing::Span::current();
        if let Some(key) = &meta.idempotency_key {
            if let Some(executed) = self.replay(tenant_id, key).await? {
                span.record("replayed", true);
                return Ok(executed);
            }
        }
        // Whether an attempt found a vault entry sealed under a person key that changed.
        let mut key_changed = false;
        for attempt in 1..=MAX_ATTEMPTS {
            span.record("attempts", attempt);
            let Loaded { state, version } = match first.take() {
                Some(loaded) => loaded,
                None => self.load::<A>(tenant_id, stream).await?,
            };
            let command = build(&state)?;
            let context = CommandContext {
                actor: actor.clone(),
                now: self.now(),
            };
            let events = match state.decide(&command, &context) {
                Ok(events) => events,
                Err(refusal) => {
                    // A concurrent copy of this request may have appended between the check
                    // above and the load: deciding again on its result is refused (the person
                    // is already appointed...), but the answer is that first outcome.
                    if let Some(key) = &meta.idempotency_key {
                        if let Some(executed) = self.replay(tenant_id, key).await? {
                            span.record("replayed", true);
                            return Ok(executed);
                        }
                    }
                    return Err(refusal.into());
                }
            };
            if events.is_empty() {
                return Ok(Executed {
                    state,
                    events,
                    position: None,
                    replayed: false,
                });
            }
            if key_changed {
                // Deciding again did not refuse (an erasure would have): the entries are
                // sealed under the old key, and only the caller can seal them again.
                return Err(AppError::PersonKeyChanged);
            }
            let request = AppendRequest {
                tenant_id,
                stream_id: stream.clone(),
                expected: match version {
                    0 => ExpectedVersion::NoStream,
                    version => ExpectedVersion::Exact(version),
                },
                events: events.iter().map(NewEvent::from_domain).collect(),
                metadata: metadata(actor, meta),
                idempotency_key: meta.idempotency_key.clone(),
                vault_entries: meta.vault_entries.clone(),
                shared_unchanged: meta.shared_unchanged.clone(),
            };
            match self.store.append_grouped(request).await {
                Ok(outcome) if outcome.replayed => {
                    span.record("replayed", true);
                    // The same request, retried concurrently, was appended by the other call.
                    let key = meta.idempotency_key.as_ref().ok_or_else(|| {
                        AppError::internal(StoreError::Corrupt(
                            "an append without a key was replayed".into(),
                        ))
                    })?;
                    return self.replay(tenant_id, key).await?.ok_or_else(|| {
                        AppError::internal(StoreError::Corrupt(
                            "a replayed append left no idempotency record".into(),
                        ))
                    });
                }
                Ok(outcome) => {
                    span.record("events", events.len());
                    if ecusson_domain::is_shared_stream(stream.as_str()) {
                        // The tenant's shared sequence moved: what this ledger holds of the
                        // tenant's shared aggregates is read again before it is trusted.
                        self.snapshots.forget_shared_seq(tenant_id);
                    }
                    let state = events
                        .iter()
                        .fold(state, |state, event| state.evolve(event));
                    // The expected version held: this is the stream's state at its new
                    // version, which the next [`Batch::recent`] read starts from.
                    self.records.refresh(
                        (tenant_id, stream.clone()),
                        outcome.stream_version,
                        || Arc::new(state.clone()),
                    );
                    return Ok(Executed {
                        state,
                        events,
                        position: Some(Position {
                            tenant_id,
                            first_seq: outcome.first_seq,
                            last_seq: outcome.last_seq,
                            stream_version: outcome.stream_version,
                        }),
                        replayed: false,
                    });
                }
                Err(StoreError::WrongExpectedVersion { .. }) => continue,
                // What the command was decided on changed: only the caller can read it again.
                Err(StoreError::SharedStreamsChanged) => {
                    for at in &meta.shared_unchanged {
                        self.snapshots.forget_shared_seq(at.tenant_id);
                    }
                    return Err(AppError::InputsChanged);
                }
                // The person was erased meanwhile, most likely: decide again, to answer so.
                Err(StoreError::PersonKeyChanged) => key_changed = true,
                Err(error) => return Err(error.into()),
            }
        }
        if key_changed {
            return Err(AppError::PersonKeyChanged);
        }
        Err(AppError::Contended {
            stream: stream.to_string(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// The first outcome of an idempotent request, if the key was used before.
    async fn replay<A: Aggregate>(
        &self,
        tenant_id: TenantId,
        key: &IdempotencyKey,
    ) -> Result<Option<Executed<A>>, AppError> {
        let Some(record) = self.store.idempotency_record(tenant_id, &key.key).await? else {
            return Ok(None);
        };
        if record.fingerprint != key.fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        // The same request: its stream is the recorded one (a command that creates something
        // names its stream after a fresh id, which differs on each attempt).
        let stream = &record.stream_id;
        let count = (record.last_seq + 1 - record.first_seq) as usize;
        let recorded = self
            .store
            .read_tenant(tenant_id, record.first_seq - 1, count)
            .await?;
        let events = recorded.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        // The state as it was right after the first outcome, so that the answer is the same.
        let state = self
            .load_up_to::<A>(tenant_id, stream, record.stream_version)
            .await?
            .state;
        Ok(Some(Executed {
            state,
            events,
            position: Some(Position {
                tenant_id,
                first_seq: record.first_seq,
                last_seq: record.last_seq,
                stream_version: record.stream_version,
            }),
            replayed: true,
        }))
    }
}

/// The aggregate's type name without its module path (`Earner`, `Network`...).
fn aggregate_name<A>() -> &'static str {
    let name = std::any::type_name::<A>();
    name.rsplit("::").next().unwrap_or(name)
}

fn metadata(actor: &Actor, meta: &RequestMeta) -> EventMetadata {
    let mut metadata = EventMetadata::new(ActorRef::Person(actor.person_id));
    if let Some(correlation_id) = meta.correlation_id {
        metadata.correlation_id = correlation_id;
    }
    metadata.causation_id = meta.causation_id;
    metadata.traceparent = meta.traceparent.clone();
    metadata
}

/// A stored event that cannot be decoded means the log and the code disagree: internal.
fn decode(recorded: &RecordedEvent) -> Result<DomainEvent, AppError> {
    recorded.decode().map_err(|error| {
        tracing::error!(
            tenant.id = %recorded.tenant_id,
            event.seq = recorded.seq,
            event.r#type = %recorded.event_type,
            error = %error,
            "stored event cannot be decoded"
        );
        AppError::internal(error)
    })
}
