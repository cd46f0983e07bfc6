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
        super::earner::require_enrolled(ctx, structure, earner_id)
            .await
            .map_err(|_| not_found())?;
        if !ERASING_ROLES.iter().any(|role| principal.has_role(*role)) {
            return Err(coded(
                "only the network's administrators erase a worker's data",
                ErrorCode::Forbidden,
            ));
        }
        let loaded = api
            .ledger
            .load::<Earner>(structure, &stream(Earner::stream_name(earner_id))?)
            .await
            .map_err(graphql_error)?;
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
