//! The verifiable audit trail over GraphQL: a tenant's signed checkpoints, the network's
//! verifier key, and the inclusion and consistency proofs between checkpoints. The same views
//! serve the plain HTTP endpoints (`public/audit.rs`) as JSON.

use super::*;
use ecusson_app::audit::{self, hash_text, ConsistencyProof, InclusionProof, ProofRefusal};
use ecusson_store::audit::StoredCheckpoint;

/// Roles that read an audit trail: what a funder or an auditor is shown, and who answers them.
const AUDIT_READERS: [Role; 4] = [
    Role::NetworkAdmin,
    Role::StructureAdmin,
    Role::Direction,
    Role::Funder,
];

/// A signed checkpoint: the tree of the tenant's first `treeSize` events has the root
/// `rootHash`, signed by the network's audit key in `note` (a C2SP signed note whose text is a
/// tlog-checkpoint).
#[derive(SimpleObject, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct AuditCheckpoint {
    pub tree_size: i64,
    /// Base64, as in the note.
    pub root_hash: String,
    pub note: String,
    pub signed_at: chrono::DateTime<chrono::Utc>,
}

impl From<&StoredCheckpoint> for AuditCheckpoint {
    fn from(checkpoint: &StoredCheckpoint) -> Self {
        Self {
            tree_size: checkpoint.tree_size as i64,
            root_hash: hash_text(&checkpoint.root),
            note: checkpoint.note.clone(),
            signed_at: checkpoint.signed_at,
        }
    }
}

/// The proof (RFC 9162 §2.1.3) that event `sequence` is leaf `leafIndex` of the checkpoint's
/// tree. The leaf is SHA-256(0x00 ‖ the event's 32-byte chain hash).
#[derive(SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditInclusionProof {
    pub sequence: i64,
    pub leaf_index: i64,
    /// The event's chain hash, base64.
    pub event_hash: String,
    pub leaf_hash: String,
    /// The audit path, base64, from the leaf up.
    pub hashes: Vec<String>,
    pub checkpoint: AuditCheckpoint,
}

impl From<InclusionProof> for AuditInclusionProof {
    fn from(proof: InclusionProof) -> Self {
        Self {
            sequence: proof.seq as i64,
            leaf_index: proof.seq as i64 - 1,
            event_hash: hash_text(&proof.event_hash),
            leaf_hash: hash_text(&proof.leaf_hash),
            hashes: proof.hashes.iter().map(hash_text).collect(),
            checkpoint: (&proof.checkpoint).into(),
        }
    }
}

/// The proof (RFC 9162 §2.1.4) that the tree of `to` extends the tree of `from`: nothing
/// sealed in between was changed or removed.
#[derive(SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditConsistencyProof {
    pub from: AuditCheckpoint,
    pub to: AuditCheckpoint,
    /// Base64.
    pub hashes: Vec<String>,
}

impl From<ConsistencyProof> for AuditConsistencyProof {
    fn from(proof: ConsistencyProof) -> Self {
        Self {
            from: (&proof.from).into(),
            to: (&proof.to).into(),
            hashes: proof.hashes.iter().map(hash_text).collect(),
        }
    }
}

/// A proof refused: what the client asked for is not there (NOT_FOUND) or cannot be
/// (BAD_USER_INPUT); a store failure is internal.
pub fn refusal_error(refusal: ProofRefusal) -> async_graphql::Error {
    match refusal {
        ProofRefusal::App(error) => graphql_error(error),
        ProofRefusal::Reversed { .. } => coded(refusal.to_string(), ErrorCode::BadUserInput),
        other => coded(other.to_string(), ErrorCode::NotFound),
    }
}

/// A size or position argument: a count, never negative.
pub fn count(value: i64, what: &str) -> async_graphql::Result<u64> {
    u64::try_from(value).map_err(|_| {
        coded(
            format!("{what} cannot be negative"),
            ErrorCode::BadUserInput,
        )
    })
}

/// One tenant's audit trail.
pub struct AuditTrail {
    tenant: TenantId,
    network: TenantId,
}

#[Object]
impl AuditTrail {
    async fn tenant_id(&self) -> ID {
        ID(self.tenant.to_string())
    }

    /// The network's verifier key (`<name>+<key id>+<base64 key>`), which signs the
    /// checkpoints of its own log and its structures'. Pin it from a source you trust.
    async fn verifier_key(&self, ctx: &Context<'_>) -> String {
        audit::verifier(&api(ctx).vault, self.network).to_string()
    }

    /// The latest checkpoint, if the log has been sealed.
    async fn checkpoint(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AuditCheckpoint>> {
        let latest =
            ecusson_store::audit::latest_checkpoint(api(ctx).ledger.store().as_ref(), self.tenant)
                .await
                .map_err(|error| graphql_error(error.into()))?;
        Ok(latest.as_ref().map(AuditCheckpoint::from))
    }

    /// Checkpoints larger than `afterSize`, smallest first (at most 100, default 20).
    async fn checkpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after_size: i64,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<AuditCheckpoint>> {
        let after = count(after_size, "afterSize")?;
        let first = usize::try_from(first.clamp(0, queries::MAX_PAGE_SIZE)).unwrap_or(0);
        let page = ecusson_store::audit::checkpoints(
            api(ctx).ledger.store().as_ref(),
            self.tenant,
            after,
            u64::MAX >> 1,
            first,
        )
        .await
        .map_err(|error| graphql_error(error.into()))?;
        Ok(page.iter().map(AuditCheckpoint::from).collect())
    }

    /// The proof that event `sequence` is in the checkpoint of `treeSize` (the latest by
    /// default).
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        sequence: i64,
        tree_size: Option<i64>,
    ) -> async_graphql::Result<AuditInclusionProof> {
        let sequence = count(sequence, "sequence")?;
        let tree_size = tree_size.map(|size| count(size, "treeSize")).transpose()?;
        audit::inclusion_proof(
            api(ctx).ledger.store().as_ref(),
            self.tenant,
            sequence,
            tree_size,
        )
        .await
        .map(Into::into)
        .map_err(refusal_error)
    }

    /// The proof that the checkpoint of `toSize` (the latest by default) extends the
    /// checkpoint of `fromSize`.
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        from_size: i64,
        to_size: Option<i64>,
    ) -> async_graphql::Result<AuditConsistencyProof> {
        let from = count(from_size, "fromSize")?;
        let to = to_size.map(|size| count(size, "toSize")).transpose()?;
        audit::consistency_proof(api(ctx).ledger.store().as_ref(), self.tenant, from, to)
            .await
            .map(Into::into)
            .map_err(refusal_error)
    }
}

#[derive(Default)]
pub struct AuditQueries;

#[Object]
impl AuditQueries {
    /// The verifiable audit trail of the caller's tenant or, for a network's administrators
    /// and funders, of one of its structures (`structureId`). Another network's structure is
    /// NOT_FOUND.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        structure_id: Option<ID>,
    ) -> async_graphql::Result<AuditTrail> {
        let principal = principal(ctx)?;
        if !AUDIT_READERS.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "only administrators, direction and funders read the audit trail",
                ErrorCode::Forbidden,
            ));
        }
        let ledger = &api(ctx).ledger;
        let tenant = match &structure_id {
            None => principal.tenant,
            Some(id) => TenantId(parse_id(id, "structureId")?),
        };
        let network = ecusson_app::credentials::network_of(ledger, tenant)
            .await
            .map_err(graphql_error)?
            .map(|(network, _)| network);
        match network {
            // The caller's own tenant, or a structure of the caller's network.
            Some(network) if tenant == principal.tenant || network == principal.tenant => {
                Ok(AuditTrail { tenant, network })
            }
            _ => Err(coded("no such audit trail", ErrorCode::NotFound)),
        }
    }
}
