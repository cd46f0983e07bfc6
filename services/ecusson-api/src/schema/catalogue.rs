//! Mutations of the catalogue: pathways and badge classes (the network), adoptions and
//! validation modes (each structure).

use super::*;

#[derive(InputObject, Serialize)]
pub struct DefinePathwayInput {
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: i32,
    pub name: String,
    pub description: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct DefinePathwayPayload {
    pub pathway_id: ID,
    pub outcome: MutationOutcome,
}

/// The "fiche description" of a badge class: what every revision carries.
#[derive(InputObject, Serialize)]
pub struct BadgeClassContentInput {
    pub pathway_id: ID,
    pub name: String,
    pub description: String,
    pub skill_type: GqlSkillType,
    pub criteria_narrative: String,
    pub expected_evidence: String,
    /// A reference to the image asset (a content hash or a path in the asset store).
    pub image_ref: String,
    /// Months an award stays valid; `null` for badges that do not expire.
    pub validity_months: Option<i32>,
}

impl BadgeClassContentInput {
    fn content(&self) -> async_graphql::Result<BadgeClassContent> {
        let validity_months = self
            .validity_months
            .map(|months| {
                u32::try_from(months).map_err(|_| {
                    coded(
                        "validityMonths is a number of months",
                        ErrorCode::BadUserInput,
                    )
                })
            })
            .transpose()?;
        Ok(BadgeClassContent {
            pathway_id: PathwayId(parse_id(&self.pathway_id, "pathwayId")?),
            name: self.name.clone(),
            description: self.description.clone(),
            skill_type: SkillType::from(self.skill_type),
            criteria_narrative: self.criteria_narrative.clone(),
            expected_evidence: self.expected_evidence.clone(),
            image_ref: self.image_ref.clone(),
            alignments: Vec::new(),
            validity_months,
        })
    }
}

#[derive(InputObject, Serialize)]
pub struct PublishBadgeClassInput {
    pub content: BadgeClassContentInput,
    /// True for the supporter badge only: its requests are validated at once.
    #[graphql(default)]
    pub automatic_validation: bool,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ReviseBadgeClassInput {
    pub badge_class_id: ID,
    pub content: BadgeClassContentInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RetireBadgeClassInput {
    pub badge_class_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct BadgeClassPayload {
    pub badge_class_id: ID,
    /// The current revision after the command.
    pub revision: i32,
    pub retired: bool,
    pub outcome: MutationOutcome,
}

fn badge_class_payload(
    badge_class_id: BadgeClassId,
    executed: &Executed<BadgeClass>,
) -> BadgeClassPayload {
    let snapshot = executed.state.snapshot();
    BadgeClassPayload {
        badge_class_id: ID(snapshot
            .as_ref()
            .map_or(badge_class_id, |snapshot| snapshot.badge_class_id)
            .to_string()),
        revision: snapshot
            .as_ref()
            .map_or(0, |snapshot| snapshot.current_revision as i32),
        retired: snapshot.as_ref().is_some_and(|snapshot| snapshot.retired),
        outcome: MutationOutcome::of(executed),
    }
}

/// A structure's criterion for a badge class (step 1 of the brochure).
#[derive(InputObject, Serialize)]
pub struct CriterionInput {
    /// e.g. "a passé la période d'essai".
    pub criterion: String,
    /// e.g. "copie du contrat, données personnelles masquées".
    pub evidence: String,
    /// Who may decide on a request under systematic validation.
    pub evaluator_roles: Vec<GqlRole>,
    /// e.g. "après signature du renouvellement, demande avec le ou la conseiller·ère".
    pub process: String,
}

impl CriterionInput {
    fn definition(&self) -> CriterionDefinition {
        CriterionDefinition {
            criterion: self.criterion.clone(),
            evidence: self.evidence.clone(),
            evaluator_roles: roles(&self.evaluator_roles),
            process: self.process.clone(),
        }
    }
}

#[derive(InputObject, Serialize)]
pub struct AdoptBadgeClassInput {
    pub badge_class_id: ID,
    pub criterion: CriterionInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ReviseCriterionInput {
    pub badge_class_id: ID,
    pub criterion: CriterionInput,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct SetValidationModeInput {
    pub badge_class_id: ID,
    pub mode: GqlValidationMode,
    /// Required for committee validation: a committee of the network that serves the structure.
    pub committee_id: Option<ID>,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct AdoptionPayload {
    pub badge_class_id: ID,
    pub adopted: bool,
    pub validation: Option<ValidationView>,
    pub outcome: MutationOutcome,
}

fn adoption_payload(
    badge_class_id: BadgeClassId,
    executed: &Executed<Adoption>,
) -> AdoptionPayload {
    AdoptionPayload {
        badge_class_id: ID(badge_class_id.to_string()),
        adopted: executed.state.is_adopted(),
        validation: executed.state.validation_mode().map(ValidationView::from),
        outcome: MutationOutcome::of(executed),
    }
}

/// A badge class of the caller's network as a command needs it (from the class's own stream
/// in the network's tenant: the log, not a read model).
pub(super) async fn badge_class_snapshot(
    ctx: &Context<'_>,
    network: TenantId,
    badge_class_id: BadgeClassId,
) -> async_graphql::Result<ecusson_domain::BadgeClassSnapshot> {
    let class = api(ctx)
        .ledger
        .load::<BadgeClass>(network, &stream(BadgeClass::stream_name(badge_class_id))?)
        .await
        .map_err(graphql_error)?;
    class.state.snapshot().ok_or_else(|| {
        graphql_error(AppError::Domain(DomainError::NotFound(format!(
            "badge class {badge_class_id} is not in the network's catalogue"
        ))))
    })
}

#[derive(Default)]
pub struct CatalogueMutations;

#[Object]
impl CatalogueMutations {
    /// Defines a pathway of the caller's network catalogue.
    async fn define_pathway(
        &self,
        ctx: &Context<'_>,
        input: DefinePathwayInput,
    ) -> async_graphql::Result<DefinePathwayPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let rank = u8::try_from(input.rank)
            .map_err(|_| coded("a pathway rank is 1, 2 or 3", ErrorCode::BadUserInput))?;
        // The id is drawn here, not in the domain; an idempotent retry gets the first one.
        let pathway_id = PathwayId::new();
        let command = PathwayCommand::Define {
            pathway_id,
            rank,
            name: input.name,
            description: input.description,
        };
        let executed = run::<Pathway>(ctx, Pathway::stream_name(pathway_id), meta, command).await?;
        let pathway_id = executed
            .state
            .definition()
            .map_or(pathway_id, |defined| defined.pathway_id);
        Ok(DefinePathwayPayload {
            pathway_id: ID(pathway_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Publishes a badge class in the caller's network catalogue (revision 1).
    async fn publish_badge_class(
        &self,
        ctx: &Context<'_>,
        input: PublishBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId::new();
        let command = BadgeClassCommand::Publish {
            badge_class_id,
            content: input.content.content()?,
            automatic_validation: input.automatic_validation,
        };
        let executed =
            run::<BadgeClass>(ctx, BadgeClass::stream_name(badge_class_id), meta, command).await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// Publishes a new revision of a badge class; awards already made keep their revision.
    async fn revise_badge_class(
        &self,
        ctx: &Context<'_>,
        input: ReviseBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let command = BadgeClassCommand::Revise {
            badge_class_id,
            content: input.content.content()?,
        };
        let executed = run_existing::<BadgeClass>(
            ctx,
            BadgeClass::stream_name(badge_class_id),
            format!("badge class {badge_class_id}"),
            meta,
            command,
        )
        .await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// Retires a badge class: no new request, adoption or endorsement; awards stay valid.
    async fn retire_badge_class(
        &self,
        ctx: &Context<'_>,
        input: RetireBadgeClassInput,
    ) -> async_graphql::Result<BadgeClassPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let command = BadgeClassCommand::Retire { badge_class_id };
        let executed = run_existing::<BadgeClass>(
            ctx,
            BadgeClass::stream_name(badge_class_id),
            format!("badge class {badge_class_id}"),
            meta,
            command,
        )
        .await?;
        Ok(badge_class_payload(badge_class_id, &executed))
    }

    /// The caller's structure adopts a badge class of its network's catalogue, with its own
    /// criterion, evidence, evaluators and process.
    async fn adopt_badge_class(
        &self,
        ctx: &Context<'_>,
        input: AdoptBadgeClassInput,
    ) -> async_graphql::Result<AdoptionPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let network = network_of(ctx, principal).await?;
        let command = AdoptionCommand::Adopt {
            badge_class: badge_class_snapshot(ctx, network, badge_class_id).await?,
            criterion: input.criterion.definition(),
        };
        let executed =
            run::<Adoption>(ctx, Adoption::stream_name(badge_class_id), meta, command).await?;
        Ok(adoption_payload(badge_class_id, &executed))
    }

    /// Chooses how the caller's structure validates requests for an adopted badge class.
    async fn set_validation_mode(
        &self,
        ctx: &Context<'_>,
        input: SetValidationModeInput,
    ) -> async_graphql::Result<AdoptionPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        require_stream(
            ctx,
            principal.tenant,
            &Adoption::stream_name(badge_class_id),
            format!("adoption of badge class {badge_class_id}"),
        )
        .await?;
        let validation = match (input.mode, &input.committee_id) {
            (GqlValidationMode::Systematic, None) => ValidationSetting::Systematic,
            (GqlValidationMode::Committee, Some(committee_id)) => {
                let committee_id = CommitteeId(parse_id(committee_id, "committeeId")?);
                let network = network_of(ctx, principal).await?;
                let network_state = api(ctx)
                    .ledger
                    .load::<Network>(network, &stream(Network::stream_name())?)
                    .await
                    .map_err(graphql_error)?;
                let committee = network_state.state.committee(committee_id).ok_or_else(|| {
                    coded(
                        format!("committee {committee_id} is not a committee of the network"),
                        ErrorCode::NotFound,
                    )
                })?;
                ValidationSetting::Committee(committee)
            }
            (GqlValidationMode::Systematic, Some(_)) => {
                return Err(coded(
                    "systematic validation names no committee",
                    ErrorCode::BadUserInput,
                ))
            }
            (GqlValidationMode::Committee, None) => {
                return Err(coded(
                    "committee validation needs a committeeId",
                    ErrorCode::BadUserInput,
                ))
            }
        };
        let command = AdoptionCommand::SetValidationMode {
            badge_class_id,
            validation,
        };
        let executed = run_existing::<Adoption>(
            ctx,
            Adoption::stream_name(badge_class_id),
            format!("adoption of badge class {badge_class_id}"),
            meta,
            command,
        )
        .await?;
        Ok(adoption_payload(badge_class_id, &executed))
    }

    /// Changes the caller's structure's criterion for a badge class it adopted; requests
    /// already made keep the route they were made with.
    async fn revise_criterion(
        &self,
        ctx: &Context<'_>,
        input: ReviseCriterionInput,
    ) -> async_graphql::Result<AdoptionPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let badge_class_id = BadgeClassId(parse_id(&input.badge_class_id, "badgeClassId")?);
        let command = AdoptionCommand::ReviseCriterion {
            badge_class_id,
            criterion: input.criterion.definition(),
        };
        let executed = run_existing::<Adoption>(
            ctx,
            Adoption::stream_name(badge_class_id),
            format!("adoption of badge class {badge_class_id}"),
            meta,
            command,
        )
        .await?;
        Ok(adoption_payload(badge_class_id, &executed))
    }
}
