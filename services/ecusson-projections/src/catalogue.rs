//! The catalogue read model: the pathways and badge classes the network publishes (from the
//! network tenant's events) and, per structure, what it requires for each class it adopts and
//! how its requests are validated (from the structure tenants' events).
//!
//! A badge class row holds its current revision only; the revisions themselves stay in the log.

use crate::bulk_statement::{select_by_tenant_and_ids, upsert_rows};
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{
    bool_value, enum_text, optional_uuid_value, timestamp_value, uuid_value, RowReader,
};
use crate::touched_rows::TouchedRows;
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ecusson_domain::{
    BadgeClassContent, BadgeClassId, CommitteeId, CriterionDefinition, DomainEvent, PathwayId,
    Role, SkillType, TenantId, ValidationMode,
};
use ecusson_store::{ReadModelTransaction, SqlValue};
use std::collections::{BTreeSet, HashMap};

pub const NAME: &str = "catalogue";

const PATHWAY: TableSpec = TableSpec {
    name: "catalogue_pathway",
    columns: &[
        "tenant_id",
        "pathway_id",
        "pathway_rank",
        "name",
        "description",
    ],
    primary_key: &["tenant_id", "pathway_id"],
};

const BADGE_CLASS: TableSpec = TableSpec {
    name: "catalogue_badge_class",
    columns: &[
        "tenant_id",
        "badge_class_id",
        "revision",
        "name",
        "pathway_id",
        "skill_type",
        "automatic_validation",
        "retired",
        "validity_months",
        "published_at",
        "updated_at",
    ],
    primary_key: &["tenant_id", "badge_class_id"],
};

const ADOPTION: TableSpec = TableSpec {
    name: "catalogue_adoption",
    columns: &[
        "tenant_id",
        "badge_class_id",
        "criterion",
        "evidence",
        "evaluator_roles",
        "process",
        "validation_mode",
        "committee_id",
        "adopted_at",
        "updated_at",
    ],
    primary_key: &["tenant_id", "badge_class_id"],
};

const TABLES: &[TableSpec] = &[PATHWAY, BADGE_CLASS, ADOPTION];

/// A pathway (parcours) of a network's catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathwayEntry {
    pub tenant_id: TenantId,
    pub pathway_id: PathwayId,
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: u8,
    pub name: String,
    pub description: String,
}

/// The current revision of one badge class of a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeClassEntry {
    pub tenant_id: TenantId,
    pub badge_class_id: BadgeClassId,
    pub revision: u32,
    pub name: String,
    pub pathway_id: PathwayId,
    pub skill_type: SkillType,
    pub automatic_validation: bool,
    pub retired: bool,
    pub validity_months: Option<u32>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one structure (the tenant) requires for a badge class it adopted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptionEntry {
    pub tenant_id: TenantId,
    pub badge_class_id: BadgeClassId,
    pub criterion: String,
    pub evidence: String,
    pub evaluator_roles: Vec<Role>,
    pub process: String,
    /// `None` while the structure has not chosen (no request can be made then).
    pub validation_mode: Option<ValidationMode>,
    pub adopted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One badge class with the structure's adoption of it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub badge_class: BadgeClassEntry,
    pub adoption: Option<AdoptionEntry>,
}

/// A network's catalogue as one structure sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalogue {
    /// By rank.
    pub pathways: Vec<PathwayEntry>,
    /// By name, then id.
    pub badge_classes: Vec<CatalogueEntry>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct CatalogueProjection;

#[async_trait]
impl Projection for CatalogueProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [TableSpec] {
        TABLES
    }

    async fn apply_batch(
        &self,
        transaction: &mut dyn ReadModelTransaction,
        events: &[DecodedEvent],
    ) -> Result<(), ProjectionError> {
        let mut class_keys = BTreeSet::new();
        for event in events {
            if let Some(badge_class_id) = badge_class_touched(&event.event) {
                class_keys.insert((
                    event.recorded.tenant_id.to_string(),
                    badge_class_id.to_string(),
                ));
            }
        }
        if class_keys.is_empty()
            && !events
                .iter()
                .any(|event| matches!(event.event, DomainEvent::PathwayDefined(_)))
        {
            return Ok(());
        }
        let store_error = ProjectionError::store(NAME);
        let mut working_set = CatalogueWorkingSet::default();
        // A key names a badge class (network tenant) or an adoption (structure tenant); asking
        // both tables with every key is simpler than sorting them, and the catalogue is small.
        for row in
            select_by_tenant_and_ids(transaction, &BADGE_CLASS, "badge_class_id", &class_keys)
                .await
                .map_err(store_error)?
        {
            let entry = badge_class_from_row(&row)?;
            working_set
                .badge_classes
                .loaded((entry.tenant_id, entry.badge_class_id), entry);
        }
        let store_error = ProjectionError::store(NAME);
        for row in select_by_tenant_and_ids(transaction, &ADOPTION, "badge_class_id", &class_keys)
            .await
            .map_err(store_error)?
        {
            let entry = adoption_from_row(&row)?;
            working_set
                .adoptions
                .loaded((entry.tenant_id, entry.badge_class_id), entry);
        }
        for event in events {
            working_set.apply(event)?;
        }
        let pathways = working_set
            .pathways
            .changed_rows()
            .map(pathway_to_row)
            .collect();
        upsert_rows(transaction, &PATHWAY, pathways)
            .await
            .map_err(ProjectionError::store(NAME))?;
        let badge_classes = working_set
            .badge_classes
            .changed_rows()
            .map(badge_class_to_row)
            .collect();
        upsert_rows(transaction, &BADGE_CLASS, badge_classes)
            .await
            .map_err(ProjectionError::store(NAME))?;
        let adoptions = working_set
            .adoptions
            .changed_rows()
            .map(adoption_to_row)
            .collect();
        upsert_rows(transaction, &ADOPTION, adoptions)
            .await
            .map_err(ProjectionError::store(NAME))?;
        Ok(())
    }
}

fn badge_class_touched(event: &DomainEvent) -> Option<BadgeClassId> {
    match event {
        DomainEvent::BadgeClassPublished(published) => Some(published.badge_class_id),
        DomainEvent::BadgeClassRevised(revised) => Some(revised.badge_class_id),
        DomainEvent::BadgeClassRetired(retired) => Some(retired.badge_class_id),
        DomainEvent::BadgeClassAdopted(adopted) => Some(adopted.badge_class_id),
        DomainEvent::CriterionRevised(revised) => Some(revised.badge_class_id),
        DomainEvent::ValidationModeSet(mode) => Some(mode.badge_class_id),
        _ => None,
    }
}

/// The rows one batch works on, and the pure folding of events into them.
#[derive(Debug, Default)]
pub(crate) struct CatalogueWorkingSet {
    pub(crate) pathways: TouchedRows<(TenantId, PathwayId), PathwayEntry>,
    pub(crate) badge_classes: TouchedRows<(TenantId, BadgeClassId), BadgeClassEntry>,
    pub(crate) adoptions: TouchedRows<(TenantId, BadgeClassId), AdoptionEntry>,
}

impl CatalogueWorkingSet {
    pub(crate) fn apply(&mut self, decoded: &DecodedEvent) -> Result<(), ProjectionError> {
        let tenant_id = decoded.recorded.tenant_id;
        let at = decoded.recorded.recorded_at;
        let inconsistent = |detail: String| ProjectionError::Inconsistent {
            projection: NAME.to_owned(),
            tenant_id,
            seq: decoded.recorded.seq,
            detail,
        };
        match &decoded.event {
            DomainEvent::PathwayDefined(defined) => {
                let entry = PathwayEntry {
                    tenant_id,
                    pathway_id: defined.pathway_id,
                    rank: defined.rank,
                    name: defined.name.clone(),
                    description: defined.description.clone(),
                };
                self.pathways.put((tenant_id, defined.pathway_id), entry);
            }
            DomainEvent::BadgeClassPublished(published) => {
                let mut entry = BadgeClassEntry {
                    tenant_id,
                    badge_class_id: published.badge_class_id,
                    revision: published.revision,
                    name: String::new(),
                    pathway_id: published.content.pathway_id,
                    skill_type: published.content.skill_type,
                    automatic_validation: published.automatic_validation,
                    retired: false,
                    validity_months: None,
                    published_at: at,
                    updated_at: at,
                };
                take_content(&mut entry, published.revision, &published.content, at);
                self.badge_classes
                    .put((tenant_id, published.badge_class_id), entry);
            }
            DomainEvent::BadgeClassRevised(revised) => {
                let entry = self
                    .badge_classes
                    .get_mut(&(tenant_id, revised.badge_class_id))
                    .ok_or_else(|| {
                        inconsistent(format!(
                            "revision of unknown badge class {}",
                            revised.badge_class_id
                        ))
                    })?;
                take_content(entry, revised.revision, &revised.content, at);
            }
            DomainEvent::BadgeClassRetired(retired) => {
                let entry = self
                    .badge_classes
                    .get_mut(&(tenant_id, retired.badge_class_id))
                    .ok_or_else(|| {
                        inconsistent(format!(
                            "retirement of unknown badge class {}",
                            retired.badge_class_id
                        ))
                    })?;
                entry.retired = true;
                entry.updated_at = at;
            }
            DomainEvent::BadgeClassAdopted(adopted) => {
                let key = (tenant_id, adopted.badge_class_id);
                // Adopting again keeps the validation mode already chosen.
                let (validation_mode, adopted_at) = match self.adoptions.get(&key) {
                    Some(existing) => (existing.validation_mode, existing.adopted_at),
                    None => (None, at),
                };
                let mut entry = AdoptionEntry {
                    tenant_id,
                    badge_class_id: adopted.badge_class_id,
                    criterion: String::new(),
                    evidence: String::new(),
                    evaluator_roles: Vec::new(),
                    process: String::new(),
                    validation_mode,
                    adopted_at,
                    updated_at: at,
                };
                take_criterion(&mut entry, &adopted.criterion, at);
                self.adoptions.put(key, entry);
            }
            DomainEvent::CriterionRevised(revised) => {
                let entry = self
                    .adoptions
                    .get_mut(&(tenant_id, revised.badge_class_id))
                    .ok_or_else(|| {
                        inconsistent(format!(
                            "criterion revised for badge class {} never adopted",
                            revised.badge_class_id
                        ))
                    })?;
                take_criterion(entry, &revised.criterion, at);
            }
            DomainEvent::ValidationModeSet(mode) => {
                let entry = self
                    .adoptions
                    .get_mut(&(tenant_id, mode.badge_class_id))
                    .ok_or_else(|| {
                        inconsistent(format!(
                            "validation mode set for badge class {} never adopted",
                            mode.badge_class_id
                        ))
                    })?;
                entry.validation_mode = Some(mode.mode);
                entry.updated_at = at;
            }
            _ => {}
        }
        Ok(())
    }
}

fn take_content(
    entry: &mut BadgeClassEntry,
    revision: u32,
    content: &BadgeClassContent,
    at: DateTime<Utc>,
) {
    entry.revision = revision;
    entry.name = content.name.clone();
    entry.pathway_id = content.pathway_id;
    entry.skill_type = content.skill_type;
    entry.validity_months = content.validity_months;
    entry.updated_at = at;
}

fn take_criterion(entry: &mut AdoptionEntry, criterion: &CriterionDefinition, at: DateTime<Utc>) {
    entry.criterion = criterion.criterion.clone();
    entry.evidence = criterion.evidence.clone();
    entry.evaluator_roles = criterion.evaluator_roles.clone();
    entry.process = criterion.process.clone();
    entry.updated_at = at;
}

fn pathway_to_row(entry: &PathwayEntry) -> Vec<SqlValue> {
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.pathway_id),
        SqlValue::Int(i64::from(entry.rank)),
        SqlValue::Text(entry.name.clone()),
        SqlValue::Text(entry.description.clone()),
    ]
}

fn pathway_from_row(row: &[SqlValue]) -> Result<PathwayEntry, ProjectionError> {
    let reader = RowReader::new(PATHWAY.name, row, PATHWAY.columns.len())?;
    Ok(PathwayEntry {
        tenant_id: reader.uuid(0)?,
        pathway_id: reader.uuid(1)?,
        rank: reader.unsigned(2)?,
        name: reader.owned_text(3)?,
        description: reader.owned_text(4)?,
    })
}

fn badge_class_to_row(entry: &BadgeClassEntry) -> Vec<SqlValue> {
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.badge_class_id),
        SqlValue::Int(i64::from(entry.revision)),
        SqlValue::Text(entry.name.clone()),
        uuid_value(entry.pathway_id),
        SqlValue::Text(enum_text(&entry.skill_type)),
        bool_value(entry.automatic_validation),
        bool_value(entry.retired),
        // 0 stands for "never expires" (see the migration).
        SqlValue::Int(i64::from(entry.validity_months.unwrap_or(0))),
        timestamp_value(&entry.published_at),
        timestamp_value(&entry.updated_at),
    ]
}

fn badge_class_from_row(row: &[SqlValue]) -> Result<BadgeClassEntry, ProjectionError> {
    let reader = RowReader::new(BADGE_CLASS.name, row, BADGE_CLASS.columns.len())?;
    let validity_months: u32 = reader.unsigned(8)?;
    Ok(BadgeClassEntry {
        tenant_id: reader.uuid(0)?,
        badge_class_id: reader.uuid(1)?,
        revision: reader.unsigned(2)?,
        name: reader.owned_text(3)?,
        pathway_id: reader.uuid(4)?,
        skill_type: reader.enumeration(5)?,
        automatic_validation: reader.bool(6)?,
        retired: reader.bool(7)?,
        validity_months: (validity_months > 0).then_some(validity_months),
        published_at: reader.timestamp(9)?,
        updated_at: reader.timestamp(10)?,
    })
}

fn adoption_to_row(entry: &AdoptionEntry) -> Vec<SqlValue> {
    let (mode, committee_id): (&str, Option<CommitteeId>) = match entry.validation_mode {
        None => ("", None),
        Some(ValidationMode::Systematic) => ("systematic", None),
        Some(ValidationMode::Committee { committee_id }) => ("committee", Some(committee_id)),
    };
    vec![
        uuid_value(entry.tenant_id),
        uuid_value(entry.badge_class_id),
        SqlValue::Text(entry.criterion.clone()),
        SqlValue::Text(entry.evidence.clone()),
        SqlValue::Text(roles_text(&entry.evaluator_roles)),
        SqlValue::Text(entry.process.clone()),
        SqlValue::from(mode),
        optional_uuid_value(committee_id),
        timestamp_value(&entry.adopted_at),
        timestamp_value(&entry.updated_at),
    ]
}

fn roles_text(roles: &[Role]) -> String {
    let names: Vec<serde_json::Value> = roles
        .iter()
        .map(|role| serde_json::Value::String(enum_text(role)))
        .collect();
    serde_json::Value::Array(names).to_string()
}

fn adoption_from_row(row: &[SqlValue]) -> Result<AdoptionEntry, ProjectionError> {
    let reader = RowReader::new(ADOPTION.name, row, ADOPTION.columns.len())?;
    let roles_json = reader.text(4)?;
    let evaluator_roles: Vec<Role> = serde_json::from_str(roles_json)
        .map_err(|_| reader.malformed(format!("evaluator_roles holds {roles_json:?}")))?;
    let validation_mode = match reader.text(6)? {
        "" => None,
        "systematic" => Some(ValidationMode::Systematic),
        "committee" => Some(ValidationMode::Committee {
            committee_id: reader.uuid(7)?,
        }),
        other => return Err(reader.malformed(format!("unknown validation mode {other:?}"))),
    };
    Ok(AdoptionEntry {
        tenant_id: reader.uuid(0)?,
        badge_class_id: reader.uuid(1)?,
        criterion: reader.owned_text(2)?,
        evidence: reader.owned_text(3)?,
        evaluator_roles,
        process: reader.owned_text(5)?,
        validation_mode,
        adopted_at: reader.timestamp(8)?,
        updated_at: reader.timestamp(9)?,
    })
}

/// The catalogue of `network_tenant`, with the adoptions of `structure_tenant` if given.
pub async fn catalogue(
    transaction: &mut dyn ReadModelTransaction,
    network_tenant: TenantId,
    structure_tenant: Option<TenantId>,
) -> Result<Catalogue, ProjectionError> {
    let network = [uuid_value(network_tenant)];
    let pathway_rows = transaction
        .fetch_all(
            &format!("select {} from catalogue_pathway where tenant_id = $1 order by pathway_rank, pathway_id", PATHWAY.columns.join(", ")),
            &network,
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    let pathways = pathway_rows
        .iter()
        .map(|row| pathway_from_row(row))
        .collect::<Result<Vec<_>, _>>()?;
    let class_rows = transaction
        .fetch_all(
            &format!("select {} from catalogue_badge_class where tenant_id = $1 order by name, badge_class_id", BADGE_CLASS.columns.join(", ")),
            &network,
        )
        .await
        .map_err(ProjectionError::store(NAME))?;
    let mut adoptions: HashMap<BadgeClassId, AdoptionEntry> = HashMap::new();
    if let Some(structure_tenant) = structure_tenant {
        let adoption_rows = transaction
            .fetch_all(
                &format!(
                    "select {} from catalogue_adoption where tenant_id = $1",
                    ADOPTION.columns.join(", ")
                ),
                &[uuid_value(structure_tenant)],
            )
            .await
            .map_err(ProjectionError::store(NAME))?;
        for row in &adoption_rows {
            let adoption = adoption_from_row(row)?;
            adoptions.insert(adoption.badge_class_id, adoption);
        }
    }
    let badge_classes = class_rows
        .iter()
        .map(|row| {
            let badge_class = badge_class_from_row(row)?;
            let adoption = adoptions.remove(&badge_class.badge_class_id);
            Ok(CatalogueEntry {
                badge_class,
                adoption,
            })
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    Ok(Catalogue {
        pathways,
        badge_classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_events::TenantLog;
    use ecusson_domain::events::*;
    use ecusson_domain::{Alignment, CommitteeId};

    fn content(pathway_id: PathwayId, name: &str) -> BadgeClassContent {
        BadgeClassContent {
            pathway_id,
            name: name.to_owned(),
            description: "description".to_owned(),
            skill_type: SkillType::SavoirEtre,
            criteria_narrative: "criteria".to_owned(),
            expected_evidence: "evidence".to_owned(),
            image_ref: "sha256:00".to_owned(),
            alignments: vec![Alignment {
                target_name: "ROME".into(),
                target_url: "https://example.org".into(),
                target_code: None,
            }],
            validity_months: Some(24),
        }
    }

    fn criterion(text: &str) -> CriterionDefinition {
        CriterionDefinition {
            criterion: text.to_owned(),
            evidence: "copie du contrat".to_owned(),
            evaluator_roles: vec![Role::Counsellor, Role::Direction],
            process: "après le renouvellement".to_owned(),
        }
    }

    #[test]
    fn revisions_and_retirement_keep_one_current_row() {
        let mut network = TenantLog::new();
        let (pathway_id, badge_class_id) = (PathwayId::new(), BadgeClassId::new());
        let mut working_set = CatalogueWorkingSet::default();
        for event in [
            DomainEvent::PathwayDefined(PathwayDefined {
                pathway_id,
                rank: 1,
                name: "Premiers pas".into(),
                description: "d".into(),
            }),
            DomainEvent::BadgeClassPublished(BadgeClassPublished {
                badge_class_id,
                revision: 1,
                content: content(pathway_id, "Ponctualité"),
                automatic_validation: false,
            }),
            DomainEvent::BadgeClassRevised(BadgeClassRevised {
                badge_class_id,
                revision: 2,
                content: content(pathway_id, "Ponctualité et assiduité"),
            }),
            DomainEvent::BadgeClassRetired(BadgeClassRetired { badge_class_id }),
        ] {
            working_set.apply(&network.event(event)).unwrap();
        }
        let entry = working_set
            .badge_classes
            .get(&(network.tenant_id, badge_class_id))
            .unwrap();
        assert_eq!(
            (entry.revision, entry.name.as_str(), entry.retired),
            (2, "Ponctualité et assiduité", true)
        );
        assert!(entry.published_at < entry.updated_at);
        assert_eq!(
            badge_class_from_row(&badge_class_to_row(entry)).unwrap(),
            *entry
        );
        assert_eq!(working_set.pathways.changed_rows().count(), 1);
    }

    #[test]
    fn an_adoption_keeps_its_validation_mode_across_criterion_revisions() {
        let mut structure = TenantLog::new();
        let (badge_class_id, committee_id) = (BadgeClassId::new(), CommitteeId::new());
        let mut working_set = CatalogueWorkingSet::default();
        for event in [
            DomainEvent::BadgeClassAdopted(BadgeClassAdopted {
                badge_class_id,
                criterion: criterion("période d'essai"),
            }),
            DomainEvent::ValidationModeSet(ValidationModeSet {
                badge_class_id,
                mode: ValidationMode::Committee { committee_id },
            }),
            DomainEvent::CriterionRevised(CriterionRevised {
                badge_class_id,
                criterion: criterion("renouvellement signé"),
            }),
        ] {
            working_set.apply(&structure.event(event)).unwrap();
        }
        let entry = working_set
            .adoptions
            .get(&(structure.tenant_id, badge_class_id))
            .unwrap();
        assert_eq!(entry.criterion, "renouvellement signé");
        assert_eq!(
            entry.validation_mode,
            Some(ValidationMode::Committee { committee_id })
        );
        assert_eq!(
            entry.evaluator_roles,
            vec![Role::Counsellor, Role::Direction]
        );
        let row = adoption_to_row(entry);
        assert_eq!(row[4], SqlValue::from(r#"["counsellor","direction"]"#));
        assert_eq!(adoption_from_row(&row).unwrap(), *entry);
    }

    #[test]
    fn a_mode_for_a_class_never_adopted_is_inconsistent() {
        let mut structure = TenantLog::new();
        let event = structure.event(DomainEvent::ValidationModeSet(ValidationModeSet {
            badge_class_id: BadgeClassId::new(),
            mode: ValidationMode::Systematic,
        }));
        assert!(matches!(
            CatalogueWorkingSet::default().apply(&event),
            Err(ProjectionError::Inconsistent { seq: 1, .. })
        ));
    }
}
