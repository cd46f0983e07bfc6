//! Mutations of a tenant's organisation: staff, the network, its structures, organisations
//! and committees.

use super::*;

#[derive(InputObject, Serialize)]
pub struct AppointStaffInput {
    pub person_id: ID,
    pub roles: Vec<GqlRole>,
    /// Makes a retried request safe: the same key with the same input returns the first
    /// outcome and appends nothing.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ChangeStaffRolesInput {
    pub person_id: ID,
    pub roles: Vec<GqlRole>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct RecordStaffDepartureInput {
    pub person_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct StaffPayload {
    /// The person's membership after the command (`null` after a departure).
    pub member: Option<StaffMember>,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct RegisterNetworkInput {
    /// The network's name (not personal data).
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct NetworkPayload {
    pub network_id: ID,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct AdmitStructureInput {
    /// The structure's tenant id, chosen by the network (its staff's tokens name it).
    pub structure_id: ID,
    pub kind: GqlStructureKind,
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct AdmitStructurePayload {
    pub structure: MemberStructure,
    pub outcome: MutationOutcome,
}

/// What an organisation does for the network's badges.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Serialize)]
#[graphql(name = "OrganisationKind", remote = "ecusson_domain::OrganisationKind")]
pub enum GqlOrganisationKind {
    /// Entreprise accueillante: gives recommendations.
    HostCompany,
    /// Réseau, collectivité, fédération, coopérative: gives endorsements.
    EndorsingOrganisation,
}

#[derive(InputObject, Serialize)]
pub struct RegisterOrganisationInput {
    pub kind: GqlOrganisationKind,
    /// The organisation's name (not personal data).
    pub name: String,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct OrganisationPayload {
    pub organisation_id: ID,
    pub outcome: MutationOutcome,
}

#[derive(InputObject, Serialize)]
pub struct FormCommitteeInput {
    /// The structures whose requests it decides (one, or several for a pooled committee).
    pub structure_ids: Vec<ID>,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct ChangeCommitteeMembershipInput {
    pub committee_id: ID,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
    pub idempotency_key: Option<String>,
}

/// An attribution committee of the network.
#[derive(SimpleObject)]
pub struct CommitteeView {
    pub committee_id: ID,
    pub structure_ids: Vec<ID>,
    pub member_ids: Vec<ID>,
    pub quorum: i32,
}

#[derive(SimpleObject)]
pub struct CommitteePayload {
    pub committee: Option<CommitteeView>,
    pub outcome: MutationOutcome,
}

impl From<ecusson_domain::CommitteeSnapshot> for CommitteeView {
    fn from(committee: ecusson_domain::CommitteeSnapshot) -> Self {
        Self {
            committee_id: ID(committee.committee_id.to_string()),
            structure_ids: ids(&committee.structures),
            member_ids: ids(&committee.members),
            quorum: i32::from(committee.quorum),
        }
    }
}

fn committee_payload(committee_id: CommitteeId, executed: &Executed<Network>) -> CommitteePayload {
    CommitteePayload {
        committee: executed
            .state
            .committee(committee_id)
            .map(CommitteeView::from),
        outcome: MutationOutcome::of(executed),
    }
}

fn quorum(value: i32) -> async_graphql::Result<u16> {
    u16::try_from(value)
        .map_err(|_| coded("quorum is a number of members", ErrorCode::BadUserInput))
}

/// Runs a roster command about `person_id` and answers with their membership after it.
async fn staff_command(
    ctx: &Context<'_>,
    meta: RequestMeta,
    person_id: PersonId,
    command: StaffCommand,
) -> async_graphql::Result<StaffPayload> {
    let executed = run::<Staff>(ctx, Staff::stream_name(), meta, command).await?;
    Ok(StaffPayload {
        member: member(&executed.state, person_id),
        outcome: MutationOutcome::of(&executed),
    })
}

fn member(staff: &Staff, person_id: PersonId) -> Option<StaffMember> {
    let roles = staff.roles_of(person_id);
    (!roles.is_empty()).then(|| StaffMember {
        person_id: ID(person_id.to_string()),
        roles: roles.iter().map(|role| (*role).into()).collect(),
    })
}

/// An organisation's endorsement of the network as issuer, or of one of its badge classes
/// (omit `badgeClassId` for the issuer).
#[derive(InputObject, Serialize)]
pub struct EndorseInput {
    pub organisation_id: ID,
    pub badge_class_id: Option<ID>,
    /// The organisation's public statement (about the issuer or the badge, never a person).
    pub statement: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct WithdrawEndorsementInput {
    pub endorsement_id: ID,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct EndorsementPayload {
    pub endorsement_id: ID,
    /// False once withdrawn.
    pub active: bool,
    pub outcome: MutationOutcome,
}

fn endorsement_payload(
    endorsement_id: ecusson_domain::EndorsementId,
    executed: &Executed<Network>,
) -> EndorsementPayload {
    EndorsementPayload {
        endorsement_id: ID(endorsement_id.to_string()),
        active: executed.state.endorsement(endorsement_id).is_some(),
        outcome: MutationOutcome::of(executed),
    }
}

#[derive(Default)]
pub struct OrganisationMutations;

#[Object]
impl OrganisationMutations {
    /// Appoints a person to the caller's tenant with the given staff roles.
    async fn appoint_staff(
        &self,
        ctx: &Context<'_>,
        input: AppointStaffInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::Appoint {
            person_id,
            roles: roles(&input.roles),
        };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Replaces a staff member's roles.
    async fn change_staff_roles(
        &self,
        ctx: &Context<'_>,
        input: ChangeStaffRolesInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::ChangeRoles {
            person_id,
            roles: roles(&input.roles),
        };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Records that a person left the caller's staff.
    async fn record_staff_departure(
        &self,
        ctx: &Context<'_>,
        input: RecordStaffDepartureInput,
    ) -> async_graphql::Result<StaffPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let person_id = PersonId(parse_id(&input.person_id, "personId")?);
        let command = StaffCommand::RecordDeparture { person_id };
        staff_command(ctx, meta, person_id, command).await
    }

    /// Registers the caller's tenant as a regional network.
    async fn register_network(
        &self,
        ctx: &Context<'_>,
        input: RegisterNetworkInput,
    ) -> async_graphql::Result<NetworkPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let network_id = principal(ctx)?.tenant;
        let command = NetworkCommand::RegisterNetwork {
            network_id,
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        Ok(NetworkPayload {
            network_id: ID(network_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Admits a member structure (a tenant of its own) to the caller's network.
    async fn admit_structure(
        &self,
        ctx: &Context<'_>,
        input: AdmitStructureInput,
    ) -> async_graphql::Result<AdmitStructurePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let structure_id = TenantId(parse_id(&input.structure_id, "structureId")?);
        let kind: StructureKind = input.kind.into();
        let name = input.name.clone();
        let command = NetworkCommand::AdmitStructure {
            structure_id,
            kind,
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        Ok(AdmitStructurePayload {
            structure: MemberStructure {
                structure_id: ID(structure_id.to_string()),
                kind: kind.into(),
                name: Some(name),
            },
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Registers a host company or an endorsing organisation with the caller's network.
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        input: RegisterOrganisationInput,
    ) -> async_graphql::Result<OrganisationPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let organisation_id = OrganisationId::new();
        let command = NetworkCommand::RegisterOrganisation {
            organisation_id,
            kind: OrganisationKind::from(input.kind),
            name: input.name,
        };
        let executed = run::<Network>(ctx, Network::stream_name(), meta, command).await?;
        // An idempotent retry answers with the organisation the first attempt registered.
        let organisation_id = created(&executed, organisation_id, |event| match event {
            ecusson_domain::DomainEvent::OrganisationRegistered(registered) => {
                Some(registered.organisation_id)
            }
            _ => None,
        });
        Ok(OrganisationPayload {
            organisation_id: ID(organisation_id.to_string()),
            outcome: MutationOutcome::of(&executed),
        })
    }

    /// Forms an attribution committee of the caller's network for one or several structures.
    async fn form_committee(
        &self,
        ctx: &Context<'_>,
        input: FormCommitteeInput,
    ) -> async_graphql::Result<CommitteePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let committee_id = CommitteeId::new();
        let command = NetworkCommand::FormCommittee {
            committee_id,
            structures: parse_ids(&input.structure_ids, "structureIds")?
                .into_iter()
                .map(TenantId)
                .collect(),
            members: parse_ids(&input.member_ids, "memberIds")?
                .into_iter()
                .map(PersonId)
                .collect(),
            quorum: quorum(input.quorum)?,
        };
        let executed =
            run_existing::<Network>(ctx, Network::stream_name(), "network", meta, command).await?;
        let committee_id = created(&executed, committee_id, |event| match event {
            ecusson_domain::DomainEvent::CommitteeFormed(formed) => Some(formed.committee_id),
            _ => None,
        });
        Ok(committee_payload(committee_id, &executed))
    }

    /// Replaces a committee's members and quorum.
    async fn change_committee_membership(
        &self,
        ctx: &Context<'_>,
        input: ChangeCommitteeMembershipInput,
    ) -> async_graphql::Result<CommitteePayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let committee_id = CommitteeId(parse_id(&input.committee_id, "committeeId")?);
        let command = NetworkCommand::ChangeCommitteeMembership {
            committee_id,
            members: parse_ids(&input.member_ids, "memberIds")?
                .into_iter()
                .map(PersonId)
                .collect(),
            quorum: quorum(input.quorum)?,
        };
        let executed =
            run_existing::<Network>(ctx, Network::stream_name(), "network", meta, command).await?;
        Ok(committee_payload(committee_id, &executed))
    }

    /// Records an endorsement by a registered endorsing organisation: of the network as
    /// issuer, or of a badge class of its catalogue (`badgeClassId`).
    async fn endorse(
        &self,
        ctx: &Context<'_>,
        input: EndorseInput,
    ) -> async_graphql::Result<EndorsementPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let principal = principal(ctx)?;
        let organisation_id = OrganisationId(parse_id(&input.organisation_id, "organisationId")?);
        let endorsement_id = ecusson_domain::EndorsementId::new();
        let command = match &input.badge_class_id {
            None => NetworkCommand::EndorseIssuer {
                endorsement_id,
                organisation_id,
                statement: input.statement.clone(),
            },
            Some(badge_class_id) => {
                let badge_class_id = BadgeClassId(parse_id(badge_class_id, "badgeClassId")?);
                NetworkCommand::EndorseBadgeClass {
                    endorsement_id,
                    organisation_id,
                    badge_class: badge_class_snapshot(ctx, principal.tenant, badge_class_id)
                        .await?,
                    statement: input.statement.clone(),
                }
            }
        };
        let executed =
            run_existing::<Network>(ctx, Network::stream_name(), "network", meta, command).await?;
        let endorsement_id = created(&executed, endorsement_id, |event| match event {
            ecusson_domain::DomainEvent::IssuerEndorsed(endorsed) => Some(endorsed.endorsement_id),
            ecusson_domain::DomainEvent::BadgeClassEndorsed(endorsed) => {
                Some(endorsed.endorsement_id)
            }
            _ => None,
        });
        Ok(endorsement_payload(endorsement_id, &executed))
    }

    /// Withdraws an active endorsement.
    async fn withdraw_endorsement(
        &self,
        ctx: &Context<'_>,
        input: WithdrawEndorsementInput,
    ) -> async_graphql::Result<EndorsementPayload> {
        let meta = request_meta(ctx, input.idempotency_key.as_deref(), &input)?;
        let endorsement_id =
            ecusson_domain::EndorsementId(parse_id(&input.endorsement_id, "endorsementId")?);
        let command = NetworkCommand::WithdrawEndorsement { endorsement_id };
        let executed =
            run_existing::<Network>(ctx, Network::stream_name(), "network", meta, command).await?;
        Ok(endorsement_payload(endorsement_id, &executed))
    }
}
