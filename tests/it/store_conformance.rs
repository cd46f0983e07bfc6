//! The conformance suite of the `EventStore` trait, written once and run on SQLite and
//! PostgreSQL: expected versions, idempotency, atomic batches, tenant isolation, metadata,
//! input validation and the tamper-evident chain.

use crate::helpers::*;
use ecusson_domain::{PersonId, TenantId};
use ecusson_store::*;
use serde_json::json;
use uuid::Uuid;

crate::on_both_backends!(
    append_then_read_stream_in_order,
    metadata_round_trips,
    expected_version_rules,
    failed_append_appends_nothing,
    idempotent_retry_appends_nothing_and_returns_first_outcome,
    idempotency_key_reused_for_another_command_is_refused,
    batch_with_duplicate_event_id_is_all_or_nothing,
    sequences_are_per_tenant_and_gap_free,
    feed_crosses_tenants_in_order,
    invalid_input_is_refused_with_nothing_appended,
    intact_log_verifies,
    edited_row_is_reported_at_its_position,
    deleted_row_is_reported,
    inserted_row_is_reported,
    reordered_rows_are_reported,
    truncated_tail_is_reported,
    vault_encrypts_versions_and_forgets_on_key_destruction,
    single_statement_reads_see_what_was_committed_and_write_nothing,
    sealed_vault_entries_are_written_only_with_their_events,
    first_uses_of_a_persons_key_at_once_all_seal_under_the_one_kept,
    an_entry_sealed_under_a_key_changed_elsewhere_stops_its_append,
    several_streams_read_at_once_as_one_by_one,
    an_append_on_condition_happens_only_while_shared_streams_stand_still,
);

async fn append_then_read_stream_in_order(store: TestStore) {
    let tenant = TenantId::new();
    let events: Vec<NewEvent> = (1..=3).map(test_event).collect();
    let outcome = store
        .append(append_request(
            tenant,
            "earner-1",
            ExpectedVersion::NoStream,
            events.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        AppendOutcome {
            first_seq: 1,
            last_seq: 3,
            stream_version: 3,
            replayed: false
        }
    );

    let read = store
        .read_stream(tenant, &StreamId::parse("earner-1").unwrap(), 0, 100)
        .await
        .unwrap();
    assert_eq!(
        read.iter()
            .map(|event| event.stream_version)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        read.iter().map(|event| event.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        read.iter().map(|event| event.payload()).collect::<Vec<_>>(),
        events
            .iter()
            .map(|event| event.payload.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        read.iter().map(|event| event.event_id).collect::<Vec<_>>(),
        events
            .iter()
            .map(|event| event.event_id)
            .collect::<Vec<_>>()
    );

    let after_first = store
        .read_stream(tenant, &StreamId::parse("earner-1").unwrap(), 1, 1)
        .await
        .unwrap();
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].stream_version, 2);
    assert_eq!(
        store
            .stream_version(tenant, &StreamId::parse("earner-1").unwrap())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .stream_version(tenant, &StreamId::parse("earner-2").unwrap())
            .await
            .unwrap(),
        0
    );
}

async fn metadata_round_trips(store: TestStore) {
    let tenant = TenantId::new();
    let person = PersonId::new();
    let metadata = EventMetadata {
        actor: ActorRef::Person(person),
        correlation_id: Uuid::now_v7(),
        causation_id: Some(Uuid::now_v7()),
        traceparent: Some(
            Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap(),
        ),
    };
    let mut request = append_request(tenant, "staff", ExpectedVersion::Any, vec![test_event(1)]);
    request.metadata = metadata.clone();
    let before = chrono::Utc::now();
    store.append(request).await.unwrap();
    let read = store.read_tenant(tenant, 0, 10).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].metadata, metadata);
    assert_eq!(read[0].tenant_id, tenant);
    assert!(read[0].recorded_at >= before - chrono::Duration::milliseconds(1));
    assert!(read[0].recorded_at <= chrono::Utc::now());
}

async fn expected_version_rules(store: TestStore) {
    let tenant = TenantId::new();
    let stream = "adoption-x";
    let wrong = |result: Result<AppendOutcome, StoreError>, actual: u64| match result {
        Err(StoreError::WrongExpectedVersion { actual: found, .. }) => assert_eq!(found, actual),
        other => panic!("expected a version conflict, got {other:?}"),
    };
    wrong(
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::StreamExists,
                vec![test_event(0)],
            ))
            .await,
        0,
    );
    wrong(
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::Exact(1),
                vec![test_event(0)],
            ))
            .await,
        0,
    );
    store
        .append(append_request(
            tenant,
            stream,
            ExpectedVersion::NoStream,
            vec![test_event(1)],
        ))
        .await
        .unwrap();
    wrong(
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::NoStream,
                vec![test_event(2)],
            ))
            .await,
        1,
    );
    wrong(
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::Exact(2),
                vec![test_event(2)],
            ))
            .await,
        1,
    );
    store
        .append(append_request(
            tenant,
            stream,
            ExpectedVersion::Exact(1),
            vec![test_event(2)],
        ))
        .await
        .unwrap();
    store
        .append(append_request(
            tenant,
            stream,
            ExpectedVersion::StreamExists,
            vec![test_event(3)],
        ))
        .await
        .unwrap();
    let outcome = store
        .append(append_request(
            tenant,
            stream,
            ExpectedVersion::Any,
            vec![test_event(4)],
        ))
        .await
        .unwrap();
    assert_eq!(outcome.stream_version, 4);
    assert_eq!(outcome.last_seq, 4);
}

async fn failed_append_appends_nothing(store: TestStore) {
    let tenant = TenantId::new();
    store
        .append(append_request(
            tenant,
            "s",
            ExpectedVersion::NoStream,
            vec![test_event(1)],
        ))
        .await
        .unwrap();
    let head_before = store.tenant_head(tenant).await.unwrap();
    assert!(store
        .append(append_request(
            tenant,
            "s",
            ExpectedVersion::NoStream,
            vec![test_event(2), test_event(3)]
        ))
        .await
        .is_err());
    assert_eq!(store.tenant_head(tenant).await.unwrap(), head_before);
    assert_eq!(store.read_tenant(tenant, 0, 10).await.unwrap().len(), 1);
}

async fn idempotent_retry_appends_nothing_and_returns_first_outcome(store: TestStore) {
    let tenant = TenantId::new();
    store
        .append(append_request(
            tenant,
            "other",
            ExpectedVersion::Any,
            vec![test_event(0)],
        ))
        .await
        .unwrap();
    let mut first = append_request(
        tenant,
        "earner-9",
        ExpectedVersion::NoStream,
        vec![test_event(1), test_event(2)],
    );
    first.idempotency_key = Some(IdempotencyKey::new("request-badge-42", b"the command").unwrap());
    let outcome = store.append(first.clone()).await.unwrap();
    assert_eq!(
        outcome,
        AppendOutcome {
            first_seq: 2,
            last_seq: 3,
            stream_version: 2,
            replayed: false
        }
    );

    // The retry carries new event ids (a client retrying builds them again) and an expected
    // version that no longer holds: the key alone answers it.
    let mut retry = first.clone();
    retry.events = vec![test_event(1), test_event(2)];
    let replayed = store.append(retry).await.unwrap();
    assert_eq!(
        replayed,
        AppendOutcome {
            replayed: true,
            ..outcome
        }
    );
    assert_eq!(store.tenant_head(tenant).await.unwrap().unwrap().seq, 3);

    // Keys are per tenant: the same key in another tenant is another command.
    let mut elsewhere = first;
    elsewhere.tenant_id = TenantId::new();
    assert!(!store.append(elsewhere).await.unwrap().replayed);
}

async fn idempotency_key_reused_for_another_command_is_refused(store: TestStore) {
    let tenant = TenantId::new();
    let mut first = append_request(
        tenant,
        "earner-1",
        ExpectedVersion::Any,
        vec![test_event(1)],
    );
    first.idempotency_key = Some(IdempotencyKey::new("k", b"command A").unwrap());
    store.append(first.clone()).await.unwrap();
    let mut other = first;
    other.idempotency_key = Some(IdempotencyKey::new("k", b"command B").unwrap());
    assert!(matches!(
        store.append(other).await,
        Err(StoreError::IdempotencyKeyReused)
    ));
    assert_eq!(store.tenant_head(tenant).await.unwrap().unwrap().seq, 1);
}

async fn batch_with_duplicate_event_id_is_all_or_nothing(store: TestStore) {
    let tenant = TenantId::new();
    let existing = test_event(1);
    store
        .append(append_request(
            tenant,
            "a",
            ExpectedVersion::Any,
            vec![existing.clone()],
        ))
        .await
        .unwrap();
    let mut reused = test_event(3);
    reused.event_id = existing.event_id;
    let result = store
        .append(append_request(
            tenant,
            "b",
            ExpectedVersion::Any,
            vec![test_event(2), reused],
        ))
        .await;
    assert!(
        matches!(result, Err(StoreError::DuplicateEvent)),
        "{result:?}"
    );
    assert_eq!(store.read_tenant(tenant, 0, 10).await.unwrap().len(), 1);
    assert_eq!(
        store
            .stream_version(tenant, &StreamId::parse("b").unwrap())
            .await
            .unwrap(),
        0
    );
    // A duplicate inside one batch is refused before reaching the database.
    let twin = test_event(4);
    let result = store
        .append(append_request(
            tenant,
            "b",
            ExpectedVersion::Any,
            vec![twin.clone(), twin],
        ))
        .await;
    assert!(matches!(result, Err(StoreError::DuplicateEvent)));
    assert!(intact(&store, tenant).await);
}

async fn sequences_are_per_tenant_and_gap_free(store: TestStore) {
    let (first, second) = (TenantId::new(), TenantId::new());
    for n in 0..5 {
        store
            .append(append_request(
                first,
                &format!("s-{}", n % 2),
                ExpectedVersion::Any,
                vec![test_event(n)],
            ))
            .await
            .unwrap();
        store
            .append(append_request(
                second,
                "s",
                ExpectedVersion::Any,
                vec![test_event(n), test_event(n)],
            ))
            .await
            .unwrap();
    }
    let first_log = store.read_tenant(first, 0, 100).await.unwrap();
    let second_log = store.read_tenant(second, 0, 100).await.unwrap();
    assert_eq!(
        first_log.iter().map(|event| event.seq).collect::<Vec<_>>(),
        (1..=5).collect::<Vec<_>>()
    );
    assert_eq!(
        second_log.iter().map(|event| event.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert!(first_log.iter().all(|event| event.tenant_id == first));
    let mut tenants = store.tenants().await.unwrap();
    tenants.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(tenants, expected);
}

async fn feed_crosses_tenants_in_order(store: TestStore) {
    let tenants: Vec<TenantId> = (0..3).map(|_| TenantId::new()).collect();
    let mut appended = Vec::new();
    for round in 0..4u64 {
        for tenant in &tenants {
            let event = test_event(round);
            appended.push(event.event_id);
            store
                .append(append_request(
                    *tenant,
                    "s",
                    ExpectedVersion::Any,
                    vec![event],
                ))
                .await
                .unwrap();
        }
    }
    // Read in small pages to exercise the cursor. On PostgreSQL the feed may stop short while
    // any transaction of the cluster (another test's, say) is older than ours: keep reading
    // until everything arrived, within a bound.
    let seen = follow_feed(&store, appended.len()).await;
    // Appends were sequential, so feed order is append order.
    assert_eq!(seen, appended);
}

async fn invalid_input_is_refused_with_nothing_appended(store: TestStore) {
    let tenant = TenantId::new();
    let invalid = |result: Result<AppendOutcome, StoreError>| {
        assert!(
            matches!(result, Err(StoreError::InvalidInput(_))),
            "{result:?}"
        )
    };
    invalid(
        store
            .append(append_request(tenant, "s", ExpectedVersion::Any, vec![]))
            .await,
    );
    let mut not_object = test_event(1);
    not_object.payload = json!([1, 2]);
    invalid(
        store
            .append(append_request(
                tenant,
                "s",
                ExpectedVersion::Any,
                vec![not_object],
            ))
            .await,
    );
    let mut bad_type = test_event(1);
    bad_type.event_type = "Bad Type".into();
    invalid(
        store
            .append(append_request(
                tenant,
                "s",
                ExpectedVersion::Any,
                vec![bad_type],
            ))
            .await,
    );
    let mut huge = test_event(1);
    huge.payload = json!({ "blob": "x".repeat(70_000) });
    invalid(
        store
            .append(append_request(
                tenant,
                "s",
                ExpectedVersion::Any,
                vec![huge],
            ))
            .await,
    );
    invalid(
        store
            .append(append_request(
                tenant,
                "s",
                ExpectedVersion::Exact(0),
                vec![test_event(1)],
            ))
            .await,
    );
    assert!(StreamId::parse("Has Spaces").is_err());
    assert!(StreamId::parse("").is_err());
    assert!(IdempotencyKey::new("", b"x").is_err());
    assert!(Traceparent::parse("00-0000-00").is_err());
    assert_eq!(store.tenant_head(tenant).await.unwrap(), None);
}

async fn intact(store: &TestStore, tenant: TenantId) -> bool {
    verify_log(store.store.as_ref(), tenant)
        .await
        .unwrap()
        .is_intact()
}

/// Five events in two streams, for the tampering tests.
async fn five_events(store: &TestStore) -> TenantId {
    let tenant = TenantId::new();
    for n in 1..=5u64 {
        let stream = if n % 2 == 0 { "even" } else { "odd" };
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::Any,
                vec![test_event(n)],
            ))
            .await
            .unwrap();
    }
    let report = verify_log(store.store.as_ref(), tenant).await.unwrap();
    assert_eq!(report.events_checked, 5);
    assert!(report.is_intact(), "{report:?}");
    tenant
}

async fn violation(store: &TestStore, tenant: TenantId) -> Violation {
    verify_log(store.store.as_ref(), tenant)
        .await
        .unwrap()
        .violation
        .expect("tampering must be detected")
}

async fn intact_log_verifies(store: TestStore) {
    let tenant = five_events(&store).await;
    // A second tenant's log is independent of the first.
    let other = five_events(&store).await;
    assert!(intact(&store, tenant).await && intact(&store, other).await);
}

async fn edited_row_is_reported_at_its_position(store: TestStore) {
    let tenant = five_events(&store).await;
    // Change one digit of the payload, keeping the JSON valid: n = 3 becomes n = 7.
    let changed = store
        .execute_raw(&match store.backend {
            Backend::Postgres => format!(
                "update event set canonical = convert_to(replace(convert_from(canonical, 'UTF8'), '\"n\":3', '\"n\":7'), 'UTF8') \
                 where tenant_id = '{tenant}' and seq = 3"
            ),
            Backend::Sqlite => format!(
                "update event set canonical = cast(replace(canonical, '\"n\":3', '\"n\":7') as blob) \
                 where tenant_id = '{tenant}' and seq = 3"
            ),
        })
        .await;
    assert_eq!(changed, 1);
    assert_eq!(
        violation(&store, tenant).await,
        Violation::HashMismatch { seq: 3 }
    );
}

async fn deleted_row_is_reported(store: TestStore) {
    let tenant = five_events(&store).await;
    assert_eq!(
        store
            .execute_raw(&format!(
                "delete from event where tenant_id = '{tenant}' and seq = 2"
            ))
            .await,
        1
    );
    assert_eq!(
        violation(&store, tenant).await,
        Violation::SequenceBreak {
            expected_seq: 2,
            found_seq: 3
        }
    );
}

async fn inserted_row_is_reported(store: TestStore) {
    let tenant = five_events(&store).await;
    // Copy row 5 as a new row 6 (the attacker cannot make its hash chain without redoing it).
    store
        .execute_raw(&format!(
            "insert into event (tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type, schema_version, recorded_at, canonical, hash) \
             select tenant_id, 6, tx_id, stream_id, 99, {new_id}, event_type, schema_version, recorded_at, canonical, hash \
             from event where tenant_id = '{tenant}' and seq = 5",
            new_id = match store.backend {
                Backend::Postgres => format!("'{}'::uuid", Uuid::now_v7()),
                Backend::Sqlite => format!("'{}'", Uuid::now_v7()),
            }
        ))
        .await;
    // The copied bytes name another event id than the row's column.
    assert!(matches!(
        violation(&store, tenant).await,
        Violation::ColumnMismatch { seq: 6, .. }
    ));
}

async fn reordered_rows_are_reported(store: TestStore) {
    let tenant = five_events(&store).await;
    // Swap rows 2 and 4 (same stream, so even the columns stay plausible).
    store
        .execute_raw(&format!(
            "update event set seq = -4 where tenant_id = '{tenant}' and seq = 4"
        ))
        .await;
    store
        .execute_raw(&format!(
            "update event set seq = 4 where tenant_id = '{tenant}' and seq = 2"
        ))
        .await;
    store
        .execute_raw(&format!(
            "update event set seq = 2 where tenant_id = '{tenant}' and seq = -4"
        ))
        .await;
    assert_eq!(
        violation(&store, tenant).await,
        Violation::HashMismatch { seq: 2 }
    );
}

async fn truncated_tail_is_reported(store: TestStore) {
    let tenant = five_events(&store).await;
    store
        .execute_raw(&format!(
            "delete from event where tenant_id = '{tenant}' and seq = 5"
        ))
        .await;
    assert_eq!(
        violation(&store, tenant).await,
        Violation::HeadMismatch {
            head_seq: 5,
            last_seq: 4
        }
    );
}

async fn vault_encrypts_versions_and_forgets_on_key_destruction(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    let vault = Vault::new(store.store.clone(), VaultKey::generate());
    let (tenant, person, entry) = (TenantId::new(), PersonId::new(), VaultEntryId::new());
    assert_eq!(
        vault.get(tenant, person, entry).await.unwrap(),
        VaultRead::Missing
    );
    assert_eq!(
        vault
            .put(tenant, person, entry, "Amina Benali".as_bytes())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        vault
            .put(tenant, person, entry, "Amina Benali-Martin".as_bytes())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        vault.get(tenant, person, entry).await.unwrap(),
        VaultRead::Present {
            version: 2,
            plaintext: b"Amina Benali-Martin".to_vec()
        }
    );
    assert_eq!(vault.history(tenant, person, entry).await.unwrap().len(), 2);

    // The plaintext is nowhere in the table.
    let leaked = store
        .execute_raw(match store.backend {
            Backend::Postgres => "update person_data set version = version where position(convert_to('Amina', 'UTF8') in ciphertext) > 0",
            Backend::Sqlite => "update person_data set version = version where instr(ciphertext, cast('Amina' as blob)) > 0",
        })
        .await;
    assert_eq!(leaked, 0);

    // Another installation key cannot read it.
    let stranger = Vault::new(store.store.clone(), VaultKey::generate());
    assert!(matches!(
        stranger.get(tenant, person, entry).await,
        Err(StoreError::Corrupt(_))
    ));

    // Another person's data survives the erasure of this one.
    let other = PersonId::new();
    vault
        .put(tenant, other, entry, b"Jean Dupont")
        .await
        .unwrap();
    assert!(vault.destroy_key(tenant, person).await.unwrap());
    assert_eq!(
        vault.get(tenant, person, entry).await.unwrap(),
        VaultRead::Missing
    );
    assert!(matches!(
        vault.get(tenant, other, entry).await.unwrap(),
        VaultRead::Present { .. }
    ));
}

/// Follows the cross-tenant feed from the start in pages of 5 until `count` events arrived
/// (or fails after 30 seconds), and returns their ids in feed order.
pub async fn follow_feed(store: &TestStore, count: usize) -> Vec<Uuid> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut cursor = FeedCursor::START;
    let mut seen = Vec::new();
    while seen.len() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "the feed delivered {} of {count} events",
            seen.len()
        );
        let page = store.read_all(cursor, 5).await.unwrap();
        match page.last() {
            Some(last) => cursor = last.cursor,
            None => tokio::task::yield_now().await,
        }
        seen.extend(page.iter().map(|event| event.event_id));
    }
    assert!(
        store.read_all(cursor, 5).await.unwrap().is_empty(),
        "the feed delivered more than was appended"
    );
    seen
}

async fn single_statement_reads_see_what_was_committed_and_write_nothing(store: TestStore) {
    use ecusson_store::{ReadModelTransaction as _, SqlValue};
    let tenant = TenantId::new();
    let person = PersonId::new();
    let count = |store: std::sync::Arc<dyn ecusson_store::EventStore>| async move {
        let mut reader = ecusson_store::read_model::SingleStatements(store);
        let rows = reader
            .fetch_all(
                "select count(*) from person_data where tenant_id = $1",
                &[SqlValue::text(tenant)],
            )
            .await
            .unwrap();
        rows[0][0].as_int().unwrap()
    };
    assert_eq!(count(store.store.clone()).await, 0);
    let vault = ecusson_store::Vault::new(store.store.clone(), ecusson_store::VaultKey::generate());
    for _ in 0..3 {
        vault
            .put(
                tenant,
                person,
                ecusson_domain::VaultEntryId::new(),
                b"texte",
            )
            .await
            .unwrap();
    }
    assert_eq!(count(store.store.clone()).await, 3);
    let mut reader = ecusson_store::read_model::SingleStatements(store.store.clone());
    assert!(matches!(
        reader.execute("delete from person_data", &[]).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(count(store.store.clone()).await, 3);
}

/// A person's first entries, sealed at once by many callers: each caller may create the
/// person's key, one creation is kept, and every entry is sealed under that one (an entry
/// sealed under a losing key would not decrypt).
async fn first_uses_of_a_persons_key_at_once_all_seal_under_the_one_kept(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    let vault = Vault::new(store.store.clone(), VaultKey::generate());
    let (tenant, person) = (TenantId::new(), PersonId::new());
    let sealing: Vec<_> = (0..24)
        .map(|n| {
            let vault = vault.clone();
            tokio::spawn(async move {
                let entry = VaultEntryId::new();
                let text = format!("Pièce {n}");
                let sealed = vault
                    .seal_new(tenant, person, entry, text.as_bytes())
                    .await
                    .expect("seal a first entry");
                (entry, text, sealed)
            })
        })
        .collect();
    let mut sealed = Vec::new();
    for task in sealing {
        sealed.push(task.await.expect("the sealing task ends"));
    }
    let keys = store
        .read_once(
            "select count(*) from person_key where tenant_id = $1 and person_id = $2",
            &[SqlValue::text(tenant), SqlValue::text(person)],
        )
        .await
        .unwrap();
    assert_eq!(keys[0][0].as_int(), Some(1), "one key kept");
    let mut request = append_request(
        tenant,
        "earner-1",
        ExpectedVersion::NoStream,
        vec![test_event(1)],
    );
    request.vault_entries = sealed.iter().map(|(_, _, entry)| entry.clone()).collect();
    store.append(request).await.unwrap();
    for (entry, text, _) in sealed {
        assert_eq!(
            vault.get(tenant, person, entry).await.unwrap(),
            VaultRead::Present {
                version: 1,
                plaintext: text.into_bytes()
            }
        );
    }
}

/// Vault entries sealed ahead of an append are written by it, in its transaction, and only
/// when it appends: not when the expected version fails, not when an idempotent retry is
/// answered from the first outcome, and not when the append itself fails.
async fn sealed_vault_entries_are_written_only_with_their_events(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    let vault = Vault::new(store.store.clone(), VaultKey::generate());
    let (tenant, person) = (TenantId::new(), PersonId::new());
    let seal = |text: &'static str| {
        let vault = vault.clone();
        async move {
            let entry = VaultEntryId::new();
            (
                entry,
                vault
                    .seal_new(tenant, person, entry, text.as_bytes())
                    .await
                    .unwrap(),
            )
        }
    };
    let stored = |entry| {
        let vault = vault.clone();
        async move { vault.get(tenant, person, entry).await.unwrap() }
    };

    // Sealing writes nothing but the person's key.
    let (kept, sealed) = seal("Lettre de la tutrice, chantier de juin").await;
    assert_eq!(stored(kept).await, VaultRead::Missing);

    let mut request = append_request(
        tenant,
        "earner-1",
        ExpectedVersion::NoStream,
        vec![test_event(1)],
    );
    request.vault_entries = vec![sealed];
    request.idempotency_key = Some(IdempotencyKey::new("evidence-1", b"first").unwrap());
    store.append(request.clone()).await.unwrap();
    assert_eq!(
        stored(kept).await,
        VaultRead::Present {
            version: 1,
            plaintext: "Lettre de la tutrice, chantier de juin".as_bytes().to_vec()
        }
    );

    // A retry answered from the first outcome brings a fresh entry: it is not written.
    let (retried, sealed) = seal("Lettre de la tutrice (renvoyée)").await;
    let mut retry = request.clone();
    retry.events = vec![test_event(1)];
    retry.vault_entries = vec![sealed];
    assert!(store.append(retry).await.unwrap().replayed);
    assert_eq!(stored(retried).await, VaultRead::Missing);

    // A refused expected version writes nothing either, on the one-event path and the other.
    for events in [vec![test_event(2)], vec![test_event(3), test_event(4)]] {
        let (refused, sealed) = seal("Photo du chantier").await;
        let mut stale = append_request(tenant, "earner-1", ExpectedVersion::NoStream, events);
        stale.vault_entries = vec![sealed];
        assert!(matches!(
            store.append(stale).await,
            Err(StoreError::WrongExpectedVersion { .. })
        ));
        assert_eq!(stored(refused).await, VaultRead::Missing);
    }

    // An append that fails in the database (a duplicate event id) rolls the entries back.
    let (failed, sealed) = seal("Attestation").await;
    let duplicate = test_event(5);
    let mut broken = append_request(
        tenant,
        "earner-1",
        ExpectedVersion::Exact(1),
        vec![duplicate.clone(), duplicate],
    );
    broken.vault_entries = vec![sealed];
    assert!(store.append(broken).await.is_err());
    assert_eq!(stored(failed).await, VaultRead::Missing);

    // Several entries and several events, appended together, are all there.
    let (first, one) = seal("Premier document").await;
    let (second, two) = seal("Second document").await;
    let mut both = append_request(
        tenant,
        "earner-1",
        ExpectedVersion::Exact(1),
        vec![test_event(6), test_event(7)],
    );
    both.vault_entries = vec![one, two];
    store.append(both).await.unwrap();
    assert!(matches!(stored(first).await, VaultRead::Present { .. }));
    assert!(matches!(stored(second).await, VaultRead::Present { .. }));
    assert_eq!(store.tenant_head(tenant).await.unwrap().unwrap().seq, 3);
}

/// A vault keeps the keys it used in memory, so an entry can be sealed under a key that another
/// process has since destroyed (an erasure) or replaced: the append that would write it then
/// appends nothing at all, and the vault forgets the key, so that its next seal reads the
/// person's key again. Its own erasure makes it forget at once.
async fn an_entry_sealed_under_a_key_changed_elsewhere_stops_its_append(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    let installation = VaultKey::generate();
    // `here` seals for the appends; `elsewhere` is another process of the same installation.
    let here = Vault::new(store.store.clone(), installation.clone());
    let elsewhere = Vault::new(store.store.clone(), installation);
    let (tenant, person) = (TenantId::new(), PersonId::new());
    let mut version = 0;
    let append = |version: u64, sealed: ecusson_store::SealedEntry| {
        let mut request = append_request(
            tenant,
            "earner-1",
            match version {
                0 => ExpectedVersion::NoStream,
                version => ExpectedVersion::Exact(version),
            },
            vec![test_event(version + 1)],
        );
        request.vault_entries = vec![sealed];
        store.append(request)
    };
    let seal = |vault: &Vault, text: &'static str| {
        let vault = vault.clone();
        async move {
            let entry = VaultEntryId::new();
            let sealed = vault
                .seal_new(tenant, person, entry, text.as_bytes())
                .await
                .unwrap();
            (entry, sealed)
        }
    };
    let keys = || async {
        store
            .read_once(
                "select count(*) from person_key where tenant_id = $1 and person_id = $2",
                &[SqlValue::text(tenant), SqlValue::text(person)],
            )
            .await
            .unwrap()[0][0]
            .as_int()
            .unwrap()
    };
    let read = |entry| here.get(tenant, person, entry);

    // The first entry creates the key, which `here` keeps.
    let (first, sealed) = seal(&here, "Attestation de stage").await;
    append(version, sealed).await.unwrap();
    version += 1;
    assert!(matches!(
        read(first).await.unwrap(),
        VaultRead::Present { .. }
    ));

    for replaced in [true, false] {
        // Elsewhere, the key is destroyed, and, in the first round, replaced by a new one.
        assert!(elsewhere.destroy_key(tenant, person).await.unwrap());
        if replaced {
            seal(&elsewhere, "Brouillon").await;
        }
        assert_eq!(keys().await, i64::from(replaced));
        // `here` seals under the key it remembers (no statement: the key table is as it was),
        // and the append refuses it whole.
        let (stale, sealed) = seal(&here, "Photo du chantier").await;
        assert_eq!(keys().await, i64::from(replaced));
        // An append refused for its expected version says so (the key is checked only when
        // the events are appended)...
        assert!(matches!(
            append(version + 1, sealed.clone()).await,
            Err(StoreError::WrongExpectedVersion { .. })
        ));
        // ...and at the right version, it is refused whole.
        assert!(matches!(
            append(version, sealed).await,
            Err(StoreError::PersonKeyChanged)
        ));
        assert_eq!(
            store.tenant_head(tenant).await.unwrap().unwrap().seq,
            version
        );
        assert_eq!(read(stale).await.unwrap(), VaultRead::Missing);
        // Then it reads the person's key again (or creates it): the next entry is written,
        // and both processes read it.
        let (fresh, sealed) = seal(&here, "Lettre de la tutrice").await;
        append(version, sealed).await.unwrap();
        version += 1;
        let expected = VaultRead::Present {
            version: 1,
            plaintext: b"Lettre de la tutrice".to_vec(),
        };
        assert_eq!(read(fresh).await.unwrap(), expected);
        assert_eq!(
            elsewhere.get(tenant, person, fresh).await.unwrap(),
            expected
        );
    }

    // The vault's own erasure forgets the key at once: a later entry is sealed under a new key.
    assert!(here.destroy_key(tenant, person).await.unwrap());
    let (after, sealed) = seal(&here, "Nouveau départ").await;
    assert_eq!(keys().await, 1);
    append(version, sealed).await.unwrap();
    assert!(matches!(
        read(after).await.unwrap(),
        VaultRead::Present { .. }
    ));
}

/// `read_streams` answers, in the order asked, what `read_stream` answers for each stream:
/// across tenants, after a version, for a stream that does not exist, within the limit; and
/// with each stream, its tenant's shared sequence.
async fn several_streams_read_at_once_as_one_by_one(store: TestStore) {
    let (one, two) = (TenantId::new(), TenantId::new());
    for (tenant, stream, count) in [(one, "staff", 3), (one, "earner-1", 4), (two, "staff", 2)] {
        store
            .append(append_request(
                tenant,
                stream,
                ExpectedVersion::NoStream,
                (0..count).map(test_event).collect(),
            ))
            .await
            .unwrap();
    }
    let reads = [
        (two, "staff", 0),
        (one, "earner-1", 2),
        (one, "missing", 0),
        (one, "staff", 0),
        (one, "staff", 3),
    ]
    .map(|(tenant_id, stream, after_version)| StreamRead {
        tenant_id,
        stream_id: StreamId::parse(stream).unwrap(),
        after_version,
    });
    for limit in [100, 2] {
        let together = store.read_streams(&reads, limit).await.unwrap();
        assert_eq!(together.len(), reads.len());
        for (read, page) in reads.iter().zip(&together) {
            let alone = store
                .read_stream(read.tenant_id, &read.stream_id, read.after_version, limit)
                .await
                .unwrap();
            assert_eq!(page.events, alone, "{read:?}, limit {limit}");
            // `staff` is a shared stream: its last event's sequence is its tenant's shared
            // sequence (the earner's record moved only the head).
            let shared_seq = if read.tenant_id == one { 3 } else { 2 };
            assert_eq!(page.shared_seq, shared_seq, "{read:?}");
        }
        let versions: Vec<Vec<u64>> = together
            .iter()
            .map(|page| {
                page.events
                    .iter()
                    .map(|event| event.stream_version)
                    .collect()
            })
            .collect();
        let expected: Vec<Vec<u64>> = if limit == 100 {
            vec![vec![1, 2], vec![3, 4], vec![], vec![1, 2, 3], vec![]]
        } else {
            vec![vec![1, 2], vec![3, 4], vec![], vec![1, 2], vec![]]
        };
        assert_eq!(versions, expected);
    }
}

/// Appends to shared streams (`ecusson_domain::is_shared_stream`) move their tenant's shared
/// sequence, others do not; an append that names tenants' shared sequences
/// (`shared_unchanged`) happens only while they are still those, on every path of the append
/// (one event, a batch, with an idempotency key), and otherwise writes nothing, not even its
/// vault entries. A wrong expected version is reported first.
async fn an_append_on_condition_happens_only_while_shared_streams_stand_still(store: TestStore) {
    use ecusson_domain::VaultEntryId;
    let (structure, network) = (TenantId::new(), TenantId::new());
    let append = |tenant, stream: &str, expected, count: u64| {
        append_request(
            tenant,
            stream,
            expected,
            (1..=count).map(test_event).collect(),
        )
    };
    store
        .append(append(structure, "staff", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    store
        .append(append(structure, "earner-1", ExpectedVersion::NoStream, 2))
        .await
        .unwrap();
    let class = format!("badge-class-{}", Uuid::new_v4());
    store
        .append(append(network, &class, ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    assert_eq!(store.shared_seq(structure).await.unwrap(), 1);
    assert_eq!(store.shared_seq(network).await.unwrap(), 1);
    assert_eq!(store.shared_seq(TenantId::new()).await.unwrap(), 0);
    let held = vec![
        SharedAt {
            tenant_id: structure,
            seq: 1,
        },
        SharedAt {
            tenant_id: network,
            seq: 1,
        },
    ];
    let on_condition = |stream: &str, expected, count: u64, key: Option<&str>| {
        let mut request = append(structure, stream, expected, count);
        request.shared_unchanged = held.clone();
        request.idempotency_key = key.map(|key| IdempotencyKey::new(key, b"command").unwrap());
        request
    };

    // Unchanged: each path appends.
    store
        .append(on_condition("earner-1", ExpectedVersion::Exact(2), 1, None))
        .await
        .unwrap();
    store
        .append(on_condition("earner-2", ExpectedVersion::NoStream, 3, None))
        .await
        .unwrap();
    store
        .append(on_condition(
            "earner-3",
            ExpectedVersion::NoStream,
            1,
            Some("k1"),
        ))
        .await
        .unwrap();
    assert_eq!(store.shared_seq(structure).await.unwrap(), 1);

    // The network's catalogue moves (a batch to a shared stream: the last event counts).
    let moved = store
        .append(append(network, &class, ExpectedVersion::Exact(1), 2))
        .await
        .unwrap();
    assert_eq!(store.shared_seq(network).await.unwrap(), moved.last_seq);
    let head = store.tenant_head(structure).await.unwrap().unwrap();
    let vault = Vault::new(store.store.clone(), VaultKey::generate());
    let person = PersonId::new();
    let entry = VaultEntryId::new();
    let mut single = on_condition("earner-1", ExpectedVersion::Exact(3), 1, None);
    single.vault_entries = vec![vault
        .seal_new(structure, person, entry, b"Attestation de stage")
        .await
        .unwrap()];
    for refused in [
        single,
        on_condition("earner-4", ExpectedVersion::NoStream, 2, None),
        on_condition("earner-5", ExpectedVersion::NoStream, 1, Some("k2")),
    ] {
        let stream = refused.stream_id.clone();
        let error = store.append(refused).await.unwrap_err();
        assert!(
            matches!(error, StoreError::SharedStreamsChanged),
            "{stream}: {error:?}"
        );
    }
    assert_eq!(store.tenant_head(structure).await.unwrap().unwrap(), head);
    assert_eq!(
        vault.get(structure, person, entry).await.unwrap(),
        VaultRead::Missing
    );
    assert!(store
        .idempotency_record(structure, "k2")
        .await
        .unwrap()
        .is_none());

    // A wrong expected version is what a stale stream hears first.
    let error = store
        .append(on_condition("earner-1", ExpectedVersion::Exact(1), 1, None))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::WrongExpectedVersion { actual: 3, .. }),
        "{error:?}"
    );

    // With the sequences read again, the same append goes through; and a shared stream of the
    // structure (its adoption of a class) moves the structure's sequence, even on condition.
    let fresh = vec![
        SharedAt {
            tenant_id: structure,
            seq: 1,
        },
        SharedAt {
            tenant_id: network,
            seq: moved.last_seq,
        },
    ];
    let mut retried = on_condition("earner-1", ExpectedVersion::Exact(3), 1, None);
    retried.shared_unchanged = fresh.clone();
    store.append(retried).await.unwrap();
    let mut adoption = append(
        structure,
        &format!("adoption-{}", Uuid::new_v4()),
        ExpectedVersion::NoStream,
        1,
    );
    adoption.shared_unchanged = fresh;
    let adopted = store.append(adoption).await.unwrap();
    assert_eq!(store.shared_seq(structure).await.unwrap(), adopted.last_seq);
}
