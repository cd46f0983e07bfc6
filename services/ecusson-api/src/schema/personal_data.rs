//! The workers' rights over their personal data (GDPR articles 15 to 20, French law 78-17):
//! erasure, on the worker's request, by the network that controls the programme's data.

use super::*;
use ecusson_domain::earner::{EarnerCommand, ERASING_ROLES};
use ecusson_domain::Earner;

#[derive(InputObject, Serialize)]
pub struct EraseWorkerInput {
    /// The structure the worker is (or was) enrolled in: a structure of the caller's network,
    /// or the network itself for its supporters.
    pub structure_id: ID,
    pub earner_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct EraseWorkerPayload {
    pub earner_id: ID,
    /// Always true: the worker's personal data is unreadable from now on.
    pub erased: bool,
    pub outcome: MutationOutcome,
}

#[derive(Default)]
pub struct PersonalDataMutations;

#[Object]
impl PersonalDataMutations {
    /// Erases a worker's personal data at their request (right to erasure): their vault key
    /// is destroyed, so their name, e-mail address, notes, evidence, the testimonies about them
    /// and their signed credentials can no longer be read anywhere (the GraphQL API, the
    /// public pages, the credentials served, the exports), and `earner.subject_erased`, which
    /// holds no personal data, is appended. Their badges, requests and decisions stay in the
    /// log as anonymous facts: counts, reports and the audit trail are unchanged. Nothing more
    /// can be recorded about them. Network administrators only; asking again finishes an
    /// erasure a failure interrupted.
    async fn erase_worker(
        &self,
        ctx: &Context<'_>,
        input: EraseWorkerInput,
    ) -> async_graphql::Result<EraseWorkerPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let structure = TenantId(parse_id(&input.structure_id, "structureId")?);
        let earner_id = PersonId(parse_id(&input.earner_id, "earnerId")?);
        let api = api(ctx);
        let not_found = || coded(format!("earner {earner_id} not found"), ErrorCode::NotFound);
        // Another network's structure, or one of ours without this worker: not found, before
        // any role is looked at.
        let network = ecusson_app::credentials::network_of(&api.ledger, structure)
            .await
            .map_err(graphql_error)?;
        if network.map(|(network, _)| network) != Some(principal.tenant) {
            return Err(not_found());
        }
        let loaded = api
            .ledger
            .load::<Earner>(structure, &stream(Earner::stream_name(earner_id))?)
            .await
            .map_err(graphql_error)?;
        if loaded.state.earner_id().is_none() {
            return Err(not_found());
        }
        if !ERASING_ROLES.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "only the network's administrators erase a worker's data",
                ErrorCode::Forbidden,
            ));
        }
        let outcome = if loaded.state.is_erased() {
            // Erased before: the event is there; the key may not be gone if the first attempt
            // failed after the append.
            MutationOutcome {
                position: None,
                event_types: Vec::new(),
                replayed: false,
            }
        } else {
            let executed = run_in::<Earner>(
                ctx,
                structure,
                Earner::stream_name(earner_id),
                meta,
                EarnerCommand::Erase,
            )
            .await?;
            MutationOutcome::of(&executed)
        };
        api.vault
            .destroy_key(structure, earner_id)
            .await
            .map_err(|error| graphql_error(error.into()))?;
        Ok(EraseWorkerPayload {
            earner_id: ID(earner_id.to_string()),
            erased: true,
            outcome,
        })
    }
}

/// The reads of personal data one API request made, so that each (person, kind of data) is
/// logged once per request. One per request (`server.rs` adds it).
#[derive(Default)]
pub struct AccessRecorder(
    std::sync::Mutex<std::collections::HashSet<(TenantId, PersonId, &'static str)>>,
);

/// Logs that the caller reads `what` of `subject`'s personal data (in `tenant`), before the
/// data is answered: a log that cannot be written answers nothing. A person reading their own
/// data is not logged.
pub(super) async fn record_access(
    ctx: &Context<'_>,
    tenant: TenantId,
    subject: PersonId,
    what: &'static str,
) -> async_graphql::Result<()> {
    let principal = principal(ctx)?;
    if principal.subject == subject && principal.tenant == tenant {
        return Ok(());
    }
    if let Some(recorder) = ctx.data_opt::<AccessRecorder>() {
        let mut seen = recorder
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !seen.insert((tenant, subject, what)) {
            return Ok(());
        }
    }
    let api = api(ctx);
    record_read(&api.ledger, principal, tenant, subject, what, "graphql")
        .await
        .map_err(|error| graphql_error(error.into()))
}

/// Appends to the access log that `reader` reads `what` of `subject`'s personal data through
/// `channel` (GraphQL, or a download over HTTP).
pub(crate) async fn record_read(
    ledger: &Ledger,
    reader: &Principal,
    tenant: TenantId,
    subject: PersonId,
    what: &str,
    channel: &str,
) -> Result<(), ecusson_store::StoreError> {
    ecusson_store::access_log::record(
        ledger.store().as_ref(),
        &ecusson_store::access_log::AccessEntry {
            tenant_id: tenant,
            subject_id: subject,
            access_id: Uuid::now_v7(),
            accessed_at: ledger.now(),
            reader_tenant_id: reader.tenant,
            reader_id: reader.subject,
            reader_roles: reader.roles.iter().map(|role| role_text(*role)).collect(),
            what: what.to_owned(),
            channel: channel.to_owned(),
        },
    )
    .await
}

fn role_text(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One read of a person's personal data.
#[derive(SimpleObject)]
pub struct PersonalDataAccess {
    pub access_id: ID,
    pub accessed_at: chrono::DateTime<chrono::Utc>,
    pub reader_id: ID,
    pub reader_tenant_id: ID,
    pub reader_roles: Vec<GqlRole>,
    /// `evidence`, `identity`, `testimony` or `credential`.
    pub what: String,
    pub channel: String,
}

/// Whose data a worker-data query is about, once the caller may see it: the worker themself
/// (`earnerId` their own, no other `structureId`), or a network's administrator for a worker of
/// one of its structures. Other roles are refused (`refusal`) before anything is looked up;
/// another network's worker is NOT_FOUND.
async fn worker_data_subject(
    ctx: &Context<'_>,
    structure_id: Option<&ID>,
    earner_id: &ID,
    refusal: &'static str,
) -> async_graphql::Result<(TenantId, PersonId)> {
    let principal = principal(ctx)?;
    let earner = PersonId(parse_id(earner_id, "earnerId")?);
    let tenant = match structure_id {
        Some(id) => TenantId(parse_id(id, "structureId")?),
        None => principal.tenant,
    };
    if earner == principal.subject && tenant == principal.tenant {
        return Ok((tenant, earner));
    }
    if !principal.has_role(Role::NetworkAdmin) {
        return Err(coded(refusal, ErrorCode::Forbidden));
    }
    let network = ecusson_app::credentials::network_of(&api(ctx).ledger, tenant)
        .await
        .map_err(graphql_error)?;
    if network.map(|(network, _)| network) != Some(principal.tenant) {
        return Err(coded(
            format!("earner {earner} not found"),
            ErrorCode::NotFound,
        ));
    }
    Ok((tenant, earner))
}

#[derive(Default)]
pub struct PersonalDataQueries;

#[Object]
impl PersonalDataQueries {
    /// Who read a worker's personal data, and when, newest first (at most 100, default 50,
    /// before the access id `before`). The network's administrators see it for the workers of
    /// their structures (`structureId`, or none for the network's own supporters); a worker
    /// sees who read theirs (no argument but `earnerId`, their own).
    async fn personal_data_access(
        &self,
        ctx: &Context<'_>,
        structure_id: Option<ID>,
        earner_id: ID,
        #[graphql(default = 50)] first: i32,
        before: Option<ID>,
    ) -> async_graphql::Result<Vec<PersonalDataAccess>> {
        let before = before.map(|id| parse_id(&id, "before")).transpose()?;
        let (tenant, earner) = worker_data_subject(
            ctx,
            structure_id.as_ref(),
            &earner_id,
            "only the worker and the network's administrators read the access log",
        )
        .await?;
        let limit = usize::try_from(first.clamp(0, queries::MAX_PAGE_SIZE)).unwrap_or(0);
        let entries = ecusson_store::access_log::of_subject(
            api(ctx).ledger.store().as_ref(),
            tenant,
            earner,
            before,
            limit,
        )
        .await
        .map_err(|error| graphql_error(error.into()))?;
        Ok(entries
            .into_iter()
            .map(|entry| PersonalDataAccess {
                access_id: ID(entry.access_id.to_string()),
                accessed_at: entry.accessed_at,
                reader_id: ID(entry.reader_id.to_string()),
                reader_tenant_id: ID(entry.reader_tenant_id.to_string()),
                reader_roles: entry
                    .reader_roles
                    .iter()
                    .filter_map(|text| {
                        serde_json::from_value::<Role>(serde_json::Value::String(text.clone())).ok()
                    })
                    .map(GqlRole::from)
                    .collect(),
                what: entry.what,
                channel: entry.channel,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PersonalDataExportQueries;

#[Object]
impl PersonalDataExportQueries {
    /// Everything the ledger holds about one worker (GDPR articles 15 and 20), as one JSON
    /// document (`format: "ecusson-personal-data/1"`): every event of their stream, every
    /// entry of their vault with every version (rectifications keep their history), and the
    /// access log. For the worker themself (`earnerId` their own, no `structureId`) or, on
    /// their request, the network's administrators. The export is logged as a read.
    async fn worker_data_export(
        &self,
        ctx: &Context<'_>,
        structure_id: Option<ID>,
        earner_id: ID,
    ) -> async_graphql::Result<async_graphql::Json<serde_json::Value>> {
        let (tenant, earner) = worker_data_subject(
            ctx,
            structure_id.as_ref(),
            &earner_id,
            "only the worker or the network's administrators export a worker's data",
        )
        .await?;
        let not_found = || coded(format!("earner {earner} not found"), ErrorCode::NotFound);
        let api = api(ctx);
        super::earner::require_enrolled(ctx, tenant, earner)
            .await
            .map_err(|_| not_found())?;
        record_access(ctx, tenant, earner, "export").await?;
        ecusson_app::personal_data::export_worker(&api.ledger, &api.vault, tenant, earner)
            .await
            .map_err(graphql_error)?
            .map(async_graphql::Json)
            .ok_or_else(not_found)
    }
}
