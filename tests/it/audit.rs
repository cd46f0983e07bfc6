//! The verifiable audit trail on both backends: the sealer signs checkpoints of each tenant's
//! tree, proofs served from the stored nodes check against an independent in-memory tree and
//! the signed checkpoints, a bundle verifies offline and any change to it is caught with its
//! position; rows edited, deleted, inserted or reordered in SQL are reported by `verify_log`,
//! the sealer and the bundle verifier, at the right position, including a log rewritten with a
//! valid hash chain after it was sealed; and the proofs over GraphQL and plain HTTP.

use crate::api_workflow::{Client, RunningApi};
use crate::helpers::{append_request, test_event, TestStore};
use ecusson_api::auth::DevSecret;
use ecusson_app::audit::{
    self, export_bundle, seal_tenant, verify_bundle, AuditError, ProofRefusal, SealOutcome,
    SealPolicy,
};
use ecusson_app::credentials::PublicSite;
use ecusson_app::{Ledger, RequestMeta};
use ecusson_audit::{
    leaf_hash, verify_consistency, verify_inclusion, Checkpoint, Hash, MemoryTree, TreeHead,
};
use ecusson_domain::network::NetworkCommand;
use ecusson_domain::{Actor, Network, PersonId, Role, TenantId};
use ecusson_store::{verify_log, ExpectedVersion, StreamId, Vault, VaultKey, Violation};
use serde_json::{json, Value};
use std::time::Duration;

struct Log {
    tenant: TenantId,
    ledger: Ledger,
    vault: Vault,
    site: PublicSite,
}

impl Log {
    async fn seal(&self, force: bool, policy: SealPolicy) -> Result<SealOutcome, AuditError> {
        seal_tenant(
            &self.ledger,
            &self.vault,
            &self.site,
            self.tenant,
            policy,
            force,
        )
        .await
    }

    async fn seal_now(&self) -> Result<SealOutcome, AuditError> {
        self.seal(true, SealPolicy::default()).await
    }

    async fn bundle(&self) -> Vec<u8> {
        let mut out = Vec::new();
        export_bundle(&self.ledger, &self.vault, self.tenant, None, &mut out)
            .await
            .expect("export");
        out
    }
}

/// A network's tenant whose log holds its registration then `events - 1` test events
/// (payload `{"n": seq}`), one per append.
async fn network_log(store: &TestStore, events: u64) -> Log {
    let tenant = TenantId::new();
    let ledger = Ledger::new(store.store.clone());
    ledger
        .execute::<Network, _>(
            &Actor {
                tenant_id: tenant,
                person_id: PersonId::new(),
                roles: vec![Role::NetworkAdmin],
            },
            tenant,
            &StreamId::parse(Network::stream_name()).unwrap(),
            &RequestMeta::default(),
            |_| {
                Ok(NetworkCommand::RegisterNetwork {
                    network_id: tenant,
                    name: "Réseau de test".to_owned(),
                })
            },
        )
        .await
        .expect("register the network");
    append(store, tenant, events - 1).await;
    Log {
        tenant,
        ledger,
        vault: Vault::new(store.store.clone(), VaultKey::generate()),
        site: PublicSite::new("https://badges.example").unwrap(),
    }
}

/// Appends `count` test events, each numbered by the sequence it gets.
async fn append(store: &TestStore, tenant: TenantId, count: u64) {
    for _ in 0..count {
        let next = store
            .tenant_head(tenant)
            .await
            .unwrap()
            .map_or(1, |head| head.seq + 1);
        store
            .append(append_request(
                tenant,
                "test",
                ExpectedVersion::Any,
                vec![test_event(next)],
            ))
            .await
            .expect("append");
    }
}

/// The tree of the stored chain hashes, built in memory: the reference proofs are checked by.
async fn memory_tree(store: &TestStore, tenant: TenantId) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for row in store.read_raw(tenant, 0, 100_000).await.unwrap() {
        tree.push(leaf_hash(&Hash::try_from(row.hash.as_slice()).unwrap()));
    }
    tree
}

fn tampered(result: Result<SealOutcome, AuditError>) -> Violation {
    match result {
        Err(AuditError::Tampered { violation, .. }) => violation,
        other => panic!("expected tampering, got {other:?}"),
    }
}

async fn logged_violation(store: &TestStore, tenant: TenantId) -> Violation {
    verify_log(store.store.as_ref(), tenant)
        .await
        .unwrap()
        .violation
        .expect("verify_log reports the tampering")
}

/// The bundle's failure position (the bundle is exported from the tampered database).
async fn bundle_position(log: &Log) -> Option<i64> {
    let report = verify_bundle(log.bundle().await.as_slice(), None);
    report.failure.expect("the bundle does not verify").position
}

async fn sealing_proofs_and_bundles(store: TestStore) {
    let log = network_log(&store, 12).await;
    let verifier = audit::verifier(&log.vault, log.tenant);
    assert_eq!(
        log.seal_now().await.unwrap(),
        SealOutcome::Sealed {
            tree_size: 12,
            events: 12
        }
    );
    assert_eq!(
        log.seal_now().await.unwrap(),
        SealOutcome::UpToDate { tree_size: 12 }
    );
    // The policy: three waiting events are not due (5 events or an hour)...
    let policy = SealPolicy {
        every_events: 5,
        every: Duration::from_secs(3_600),
        max_events: 100_000,
    };
    append(&store, log.tenant, 3).await;
    assert_eq!(
        log.seal(false, policy).await.unwrap(),
        SealOutcome::NotDue {
            tree_size: 12,
            waiting: 3
        }
    );
    // ...five are; and a seal takes at most `max_events`.
    append(&store, log.tenant, 2).await;
    assert_eq!(
        log.seal(
            false,
            SealPolicy {
                max_events: 4,
                ..policy
            }
        )
        .await
        .unwrap(),
        SealOutcome::Sealed {
            tree_size: 16,
            events: 4
        }
    );
    // Nothing waited long: with no wait at all the last event is due at once.
    assert_eq!(
        log.seal(
            false,
            SealPolicy {
                every: Duration::ZERO,
                ..policy
            }
        )
        .await
        .unwrap(),
        SealOutcome::Sealed {
            tree_size: 17,
            events: 1
        }
    );
    let store_ref = store.store.as_ref();
    let latest = ecusson_store::audit::latest_checkpoint(store_ref, log.tenant)
        .await
        .unwrap()
        .unwrap();
    let origin = format!("badges.example/audit/{}", log.tenant);
    let opened = Checkpoint::open(&latest.note, &origin, std::slice::from_ref(&verifier)).unwrap();
    assert_eq!((opened.size, opened.root), (17, latest.root));
    // Another installation's key (another vault key) does not open it.
    let stranger = audit::verifier(
        &Vault::new(store.store.clone(), VaultKey::generate()),
        log.tenant,
    );
    assert!(Checkpoint::open(&latest.note, &origin, std::slice::from_ref(&stranger)).is_err());

    // Every proof at every checkpoint equals the in-memory tree's and verifies.
    let reference = memory_tree(&store, log.tenant).await;
    for size in [12u64, 16, 17] {
        let checkpoint = ecusson_store::audit::checkpoint(store_ref, log.tenant, size)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(checkpoint.root, reference.root(size).unwrap());
        let head = TreeHead {
            size,
            root: checkpoint.root,
        };
        for seq in 1..=size {
            let proof = audit::inclusion_proof(store_ref, log.tenant, seq, Some(size))
                .await
                .unwrap();
            assert_eq!(
                proof.hashes,
                reference.inclusion_proof(seq - 1, size).unwrap()
            );
            assert_eq!(proof.leaf_hash, leaf_hash(&proof.event_hash));
            verify_inclusion(&proof.leaf_hash, seq - 1, &proof.hashes, &head).unwrap();
        }
        let consistency = audit::consistency_proof(store_ref, log.tenant, 12, Some(size))
            .await
            .unwrap();
        assert_eq!(
            consistency.hashes,
            reference.consistency_proof(12, size).unwrap()
        );
        verify_consistency(
            &TreeHead {
                size: 12,
                root: consistency.from.root,
            },
            &head,
            &consistency.hashes,
        )
        .unwrap();
    }
    // What cannot be proved is refused, never invented.
    for (seq, size) in [(0, None), (18, None), (13, Some(12)), (3, Some(13))] {
        let refused = audit::inclusion_proof(store_ref, log.tenant, seq, size).await;
        assert!(
            matches!(
                refused,
                Err(ProofRefusal::NotCovered { .. } | ProofRefusal::NoCheckpoint(_))
            ),
            "{seq} in {size:?}: {refused:?}"
        );
    }
    assert!(matches!(
        audit::consistency_proof(store_ref, log.tenant, 17, Some(12)).await,
        Err(ProofRefusal::Reversed { .. })
    ));

    // verify_log checks the sealed leaves and the checkpoints' roots too.
    let report = verify_log(store_ref, log.tenant).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.events_checked, report.events_sealed), (17, 17));

    // The bundle verifies offline, with the key pinned or its own.
    append(&store, log.tenant, 2).await;
    let bundle = log.bundle().await;
    let report = verify_bundle(bundle.as_slice(), Some(&verifier));
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(
        (
            report.events,
            report.checkpoints,
            report.sealed_events,
            report.key_pinned
        ),
        (19, 3, 17, true)
    );
    assert!(verify_bundle(bundle.as_slice(), None).is_valid());
    // The test events are of no type the ledger knows: left out of the recomputed figures.
    assert_eq!(report.uncounted_events, 18);
    // Pinned to another key, it fails on the first checkpoint.
    let report = verify_bundle(bundle.as_slice(), Some(&stranger));
    assert_eq!(report.failure.unwrap().line, 2);
    // `--until` cuts it: the checkpoints beyond are left out.
    let mut partial = Vec::new();
    export_bundle(&log.ledger, &log.vault, log.tenant, Some(14), &mut partial)
        .await
        .unwrap();
    let report = verify_bundle(partial.as_slice(), Some(&verifier));
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(
        (report.events, report.checkpoints, report.sealed_events),
        (14, 1, 12)
    );

    // Any change to the bundle is caught, with its line and position.
    let text = String::from_utf8(bundle).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let event_line = |seq: i64| {
        lines
            .iter()
            .position(|line| {
                line.contains("\"kind\":\"event\"") && line.contains(&format!("\"seq\":{seq},"))
            })
            .unwrap()
    };
    let failure = |lines: Vec<String>| {
        verify_bundle((lines.join("\n") + "\n").as_bytes(), Some(&verifier))
            .failure
            .expect("the changed bundle fails")
    };
    let owned = || {
        lines
            .iter()
            .map(|line| (*line).to_owned())
            .collect::<Vec<_>>()
    };
    // An event's payload edited.
    let mut edited = owned();
    let at = event_line(7);
    edited[at] = edited[at].replace("\\\"n\\\":7", "\\\"n\\\":8");
    assert_ne!(edited[at], lines[at]);
    assert_eq!(failure(edited).position, Some(7));
    // An event removed.
    let mut removed = owned();
    removed.remove(event_line(9));
    assert_eq!(failure(removed).position, Some(9));
    // Two events swapped.
    let mut swapped = owned();
    swapped.swap(event_line(4), event_line(5));
    assert_eq!(failure(swapped).position, Some(4));
    // A checkpoint's root changed: its signature fails.
    let mut forged = owned();
    let checkpoint_line = lines
        .iter()
        .position(|line| line.contains("\"kind\":\"checkpoint\""))
        .unwrap();
    let root = base64_of(&latest_root(&store, log.tenant, 12).await);
    forged[checkpoint_line] = forged[checkpoint_line].replace(&root, &base64_of(&[7; 32]));
    assert_ne!(forged[checkpoint_line], lines[checkpoint_line]);
    assert_eq!(failure(forged).line, checkpoint_line as u64 + 1);
    // The whole log rewritten with a valid chain but other events: the tree differs.
    let other = network_log(&store, 19).await;
    let rewritten = String::from_utf8(other.bundle().await).unwrap();
    let mut spliced = lines[..=4]
        .iter()
        .map(|l| (*l).to_owned())
        .collect::<Vec<_>>();
    spliced.extend(
        rewritten
            .lines()
            .filter(|line| line.contains("\"kind\":\"event\""))
            .map(|line| line.replace(&other.tenant.to_string(), &log.tenant.to_string())),
    );
    let failure = failure(spliced);
    assert!(failure.position.is_some(), "{failure:?}");
}

async fn latest_root(store: &TestStore, tenant: TenantId, size: u64) -> Hash {
    ecusson_store::audit::checkpoint(store.store.as_ref(), tenant, size)
        .await
        .unwrap()
        .unwrap()
        .root
}

fn base64_of(hash: &Hash) -> String {
    audit::hash_text(hash)
}

fn tenant_literal(tenant: TenantId) -> String {
    format!("'{tenant}'")
}

/// Sealed at 10, then 5 more events: the unsealed part is edited.
async fn edited_unsealed_row(store: TestStore) {
    let log = sealed_then_more(&store).await;
    let tenant = tenant_literal(log.tenant);
    let changed = store
        .execute_raw(&match store.backend {
            ecusson_store::Backend::Postgres => format!(
                "update event set canonical = convert_to(replace(convert_from(canonical, 'UTF8'), '\"n\":12', '\"n\":13'), 'UTF8') \
                 where tenant_id = {tenant} and seq = 12"
            ),
            ecusson_store::Backend::Sqlite => format!(
                "update event set canonical = cast(replace(canonical, '\"n\":12', '\"n\":13') as blob) \
                 where tenant_id = {tenant} and seq = 12"
            ),
        })
        .await;
    assert_eq!(changed, 1);
    assert_eq!(
        logged_violation(&store, log.tenant).await,
        Violation::HashMismatch { seq: 12 }
    );
    assert_eq!(
        tampered(log.seal_now().await),
        Violation::HashMismatch { seq: 12 }
    );
    assert_eq!(bundle_position(&log).await, Some(12));
    // Nothing was signed over it.
    assert_eq!(latest_size(&store, log.tenant).await, 10);
}

async fn deleted_unsealed_row(store: TestStore) {
    let log = sealed_then_more(&store).await;
    store
        .execute_raw(&format!(
            "delete from event where tenant_id = {} and seq = 13",
            tenant_literal(log.tenant)
        ))
        .await;
    let expected = Violation::SequenceBreak {
        expected_seq: 13,
        found_seq: 14,
    };
    assert_eq!(logged_violation(&store, log.tenant).await, expected);
    assert_eq!(tampered(log.seal_now().await), expected);
    assert_eq!(bundle_position(&log).await, Some(13));
}

async fn inserted_row(store: TestStore) {
    let log = sealed_then_more(&store).await;
    let tenant = tenant_literal(log.tenant);
    // A copy of row 15 as row 16 (a new event id: ids are unique), the head moved to cover it.
    let new_id = match store.backend {
        ecusson_store::Backend::Postgres => format!("'{}'::uuid", uuid::Uuid::now_v7()),
        ecusson_store::Backend::Sqlite => format!("'{}'", uuid::Uuid::now_v7()),
    };
    store
        .execute_raw(&format!(
            "insert into event (tenant_id, seq, tx_id, stream_id, stream_version, event_id, event_type, schema_version, recorded_at, canonical, hash) \
             select tenant_id, 16, tx_id, stream_id, 99, {new_id}, event_type, schema_version, recorded_at, canonical, hash \
             from event where tenant_id = {tenant} and seq = 15"
        ))
        .await;
    let moved = store
        .execute_raw(&format!(
            "update tenant_log set head_seq = 16 where tenant_id = {tenant}"
        ))
        .await;
    assert_eq!(moved, 1);
    let violation = logged_violation(&store, log.tenant).await;
    assert_eq!(violation.position(), 16, "{violation:?}");
    assert_eq!(tampered(log.seal_now().await).position(), 16);
    assert_eq!(bundle_position(&log).await, Some(16));
}

async fn reordered_rows(store: TestStore) {
    let log = sealed_then_more(&store).await;
    let tenant = tenant_literal(log.tenant);
    for (from, to) in [(12, -12), (13, 12), (-12, 13)] {
        store
            .execute_raw(&format!(
                "update event set seq = {to} where tenant_id = {tenant} and seq = {from}"
            ))
            .await;
    }
    let expected = Violation::HashMismatch { seq: 12 };
    assert_eq!(logged_violation(&store, log.tenant).await, expected);
    assert_eq!(tampered(log.seal_now().await), expected);
    assert_eq!(bundle_position(&log).await, Some(12));
}

/// The sealed part deleted from event 9 on and replaced by other events appended through the
/// store, so that the hash chain and the head are valid again: only the audit tree tells.
async fn sealed_part_rewritten_with_a_valid_chain(store: TestStore) {
    let log = sealed_then_more(&store).await;
    let tenant = tenant_literal(log.tenant);
    store
        .execute_raw(&format!(
            "delete from event where tenant_id = {tenant} and seq > 8"
        ))
        .await;
    store
        .execute_raw(&format!(
            "update tenant_log set head_seq = 8, head_hash = (select hash from event \
             where tenant_id = {tenant} and seq = 8) where tenant_id = {tenant}"
        ))
        .await;
    // Deleted only: sealed events are missing.
    let violation = logged_violation(&store, log.tenant).await;
    assert_eq!(
        violation,
        Violation::SealedBeyondLog {
            tree_size: 10,
            last_seq: 8
        }
    );
    assert_eq!(violation.position(), 9);
    assert_eq!(tampered(log.seal_now().await).position(), 9);
    // Replaced: the chain holds, the sealed leaves do not.
    append(&store, log.tenant, 6).await;
    assert_eq!(
        logged_violation(&store, log.tenant).await,
        Violation::SealedLeafMismatch { seq: 9 }
    );
    assert_eq!(
        tampered(log.seal_now().await),
        Violation::SealedLeafMismatch { seq: 10 }
    );
    // The bundle carries the signed checkpoint of 10: the events do not make its tree.
    assert_eq!(bundle_position(&log).await, Some(10));
}

/// The tree's own rows changed: a sealed leaf, then a node of the frontier.
async fn tampered_tree_rows(store: TestStore) {
    let log = sealed_then_more(&store).await;
    let tenant = tenant_literal(log.tenant);
    let bytes = match store.backend {
        ecusson_store::Backend::Postgres => format!("'\\x{}'::bytea", "07".repeat(32)),
        ecusson_store::Backend::Sqlite => format!("x'{}'", "07".repeat(32)),
    };
    store
        .execute_raw(&format!(
            "update audit_node set hash = {bytes} where tenant_id = {tenant} and level = 0 and node_index = 4"
        ))
        .await;
    assert_eq!(
        logged_violation(&store, log.tenant).await,
        Violation::SealedLeafMismatch { seq: 5 }
    );
    // The frontier of 10 leaves is the nodes (3, 0) and (1, 4): change the second.
    store
        .execute_raw(&format!(
            "update audit_node set hash = {bytes} where tenant_id = {tenant} and level = 1 and node_index = 4"
        ))
        .await;
    assert_eq!(
        tampered(log.seal_now().await),
        Violation::CheckpointMismatch { tree_size: 10 }
    );
}

async fn sealed_then_more(store: &TestStore) -> Log {
    let log = network_log(store, 10).await;
    log.seal_now().await.unwrap();
    append(store, log.tenant, 5).await;
    log
}

async fn latest_size(store: &TestStore, tenant: TenantId) -> u64 {
    ecusson_store::audit::latest_checkpoint(store.store.as_ref(), tenant)
        .await
        .unwrap()
        .map_or(0, |checkpoint| checkpoint.tree_size)
}

const TRAIL: &str = "query Trail($structure: ID, $seq: Int!, $from: Int!) {
  auditTrail(structureId: $structure) {
    tenantId verifierKey
    checkpoint { treeSize rootHash note signedAt }
    checkpoints(first: 10) { treeSize }
    inclusionProof(sequence: $seq) { sequence leafIndex eventHash leafHash hashes checkpoint { treeSize rootHash } }
    consistencyProof(fromSize: $from) { from { treeSize rootHash } to { treeSize rootHash } hashes }
  }
}";

fn decode(text: &Value) -> Hash {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_str().expect("a base64 string"))
        .expect("base64");
    Hash::try_from(bytes.as_slice()).expect("32 bytes")
}

fn hashes(list: &Value) -> Vec<Hash> {
    list.as_array().unwrap().iter().map(decode).collect()
}

/// Appoints `count` counsellors in the token's tenant: that many events in its log.
async fn appoint(client: &Client, token: &str, count: usize) {
    for _ in 0..count {
        client
            .data(
                token,
                "mutation($person: ID!) { appointStaff(input: {personId: $person, roles: [COUNSELLOR]}) { outcome { eventTypes } } }",
                json!({"person": PersonId::new().to_string()}),
            )
            .await;
    }
}

async fn proofs_over_graphql_and_http(store: TestStore) {
    let secret = DevSecret::generate();
    let api = RunningApi::start(&store.url, &VaultKey::generate(), &secret).await;
    let client = Client::new(&api.base, &secret);
    let log = Log {
        tenant: TenantId::new(),
        ledger: api.ledger.clone(),
        vault: api.vault.clone(),
        site: api.site.clone(),
    };
    let network = log.tenant;
    let admin = PersonId::new();
    let admin_token = client.token(network, &[Role::NetworkAdmin], admin);
    let data = client
        .data(
            &admin_token,
            "mutation { registerNetwork(input: {name: \"Réseau\"}) { outcome { position { lastSequence } } } }",
            json!({}),
        )
        .await;
    assert!(data["registerNetwork"].is_object());
    // A structure of the network, with a log of its own.
    let structure = TenantId::new();
    client
        .data(
            &admin_token,
            "mutation($id: ID!) { admitStructure(input: {structureId: $id, kind: EI, name: \"Atelier\"}) { outcome { position { lastSequence } } } }",
            json!({"id": structure.to_string()}),
        )
        .await;
    let structure_admin = client.token(structure, &[Role::StructureAdmin], PersonId::new());
    appoint(&client, &admin_token, 6).await;
    appoint(&client, &structure_admin, 4).await;
    api.caught_up(&[network, structure]).await;
    for tenant in [network, structure] {
        let outcome = seal_tenant(
            &api.ledger,
            &api.vault,
            &api.site,
            tenant,
            SealPolicy::default(),
            true,
        )
        .await
        .unwrap();
        assert!(matches!(outcome, SealOutcome::Sealed { .. }), "{outcome:?}");
    }
    appoint(&client, &admin_token, 3).await;
    let sealed = seal_tenant(
        &api.ledger,
        &api.vault,
        &api.site,
        network,
        SealPolicy::default(),
        true,
    )
    .await
    .unwrap();
    let SealOutcome::Sealed { tree_size, .. } = sealed else {
        panic!("{sealed:?}")
    };
    let first_size = tree_size - 3;

    let verifier_text = format!("{}\n", audit::verifier(&api.vault, network));
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let base = api.base.clone();
        async move { http.get(format!("{base}{path}")).send().await.unwrap() }
    };
    for (tenant, structure_arg, seq, from) in [
        (network, None, 2u64, first_size),
        (structure, Some(structure), 3, 4),
    ] {
        let data = client
            .data(
                &admin_token,
                TRAIL,
                json!({"structure": structure_arg.map(|s| s.to_string()), "seq": seq, "from": from}),
            )
            .await;
        let trail = &data["auditTrail"];
        assert_eq!(trail["tenantId"], tenant.to_string());
        assert_eq!(
            format!("{}\n", trail["verifierKey"].as_str().unwrap()),
            verifier_text
        );
        let verifier: ecusson_audit::NoteVerifier =
            trail["verifierKey"].as_str().unwrap().parse().unwrap();
        let note = trail["checkpoint"]["note"].as_str().unwrap();
        let checkpoint = Checkpoint::open(
            note,
            &format!("{}/audit/{tenant}", api.site.host()),
            &[verifier],
        )
        .unwrap();
        let head = checkpoint.tree_head();
        let proof = &trail["inclusionProof"];
        assert_eq!(proof["leafIndex"], seq - 1);
        verify_inclusion(
            &decode(&proof["leafHash"]),
            seq - 1,
            &hashes(&proof["hashes"]),
            &head,
        )
        .unwrap();
        assert_eq!(
            decode(&proof["leafHash"]),
            leaf_hash(&decode(&proof["eventHash"]))
        );
        let consistency = &trail["consistencyProof"];
        verify_consistency(
            &TreeHead {
                size: from,
                root: decode(&consistency["from"]["rootHash"]),
            },
            &head,
            &hashes(&consistency["hashes"]),
        )
        .unwrap();

        // The same over plain HTTP, without login.
        let answer = get(format!("/audit/{tenant}/checkpoint")).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.unwrap(), note);
        let answer = get(format!("/audit/{tenant}/checkpoints/{}", head.size)).await;
        assert_eq!(answer.text().await.unwrap(), note);
        let mut answer: Value = get(format!("/audit/{tenant}/proofs/inclusion?sequence={seq}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["checkpoint"]["note"], note);
        for field in ["note", "signedAt"] {
            answer["checkpoint"].as_object_mut().unwrap().remove(field);
        }
        assert_eq!(answer, proof.clone());
        let answer: Value = get(format!(
            "/audit/{tenant}/proofs/consistency?fromSize={from}"
        ))
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(answer["hashes"], consistency["hashes"]);
        assert_eq!(answer["to"]["treeSize"], head.size);
    }
    let answer = get(format!("/audit/networks/{network}/key")).await;
    assert_eq!(answer.text().await.unwrap(), verifier_text);
    // A structure has no key of its own; unknown ids are not found.
    assert_eq!(
        get(format!("/audit/networks/{structure}/key"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("/audit/{}/checkpoint", TenantId::new()))
            .await
            .status(),
        404
    );
    // Malformed or impossible requests get a code.
    for (path, status, code) in [
        (
            format!("/audit/{network}/proofs/inclusion?sequence=abc"),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("/audit/{network}/proofs/inclusion"),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("/audit/{network}/proofs/inclusion?sequence=999"),
            404,
            "NOT_FOUND",
        ),
        (
            format!("/audit/{network}/proofs/inclusion?sequence=1&treeSize=2"),
            404,
            "NOT_FOUND",
        ),
        (
            format!("/audit/{network}/proofs/consistency?fromSize=99"),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("/audit/{network}/proofs/consistency?fromSize=-1"),
            400,
            "BAD_USER_INPUT",
        ),
    ] {
        let answer = get(path.clone()).await;
        assert_eq!(answer.status(), status, "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], code, "{path}");
    }
    // GraphQL: the same refusals; other networks and roles see nothing.
    let vars = |structure: Option<TenantId>, seq: i64| json!({"structure": structure.map(|s| s.to_string()), "seq": seq, "from": first_size});
    assert_eq!(
        client.error(&admin_token, TRAIL, vars(None, 999)).await,
        "NOT_FOUND"
    );
    assert_eq!(
        client.error(&admin_token, TRAIL, vars(None, -1)).await,
        "BAD_USER_INPUT"
    );
    let stranger = client.token(TenantId::new(), &[Role::NetworkAdmin], PersonId::new());
    assert_eq!(
        client
            .error(&stranger, TRAIL, vars(Some(structure), 1))
            .await,
        "NOT_FOUND"
    );
    let funder = client.token(network, &[Role::Funder], PersonId::new());
    let answer = client
        .call(
            &funder,
            TRAIL,
            json!({"structure": structure.to_string(), "seq": 1, "from": 4}),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    let counsellor = client.token(structure, &[Role::Counsellor], PersonId::new());
    assert_eq!(
        client.error(&counsellor, TRAIL, vars(None, 1)).await,
        "FORBIDDEN"
    );
    // A structure's direction reads its own trail, not its network's.
    let direction = client.token(structure, &[Role::Direction], PersonId::new());
    assert!(client
        .call(
            &direction,
            TRAIL,
            json!({"structure": null, "seq": 1, "from": 4})
        )
        .await["errors"]
        .is_null());
    assert_eq!(
        client
            .error(&direction, TRAIL, vars(Some(network), 1))
            .await,
        "NOT_FOUND"
    );
    api.stop().await;
}

crate::on_both_backends!(
    sealing_proofs_and_bundles,
    edited_unsealed_row,
    deleted_unsealed_row,
    inserted_row,
    reordered_rows,
    sealed_part_rewritten_with_a_valid_chain,
    tampered_tree_rows,
    proofs_over_graphql_and_http,
);
