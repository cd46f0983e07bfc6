//! The reports' read model: the facts of `ecusson-reports` as rows (migration 0012). A batch
//! loads the rows its events touch into a partial [`Facts`], applies the events with
//! [`Facts::apply`] — the very code a replay "as of" a date runs — and writes the rows back, so
//! the live figures and a replay's cannot drift apart. [`load_facts`] gives a report the facts
//! of its tenants.

use crate::bulk_statement::{placeholders, select_by_tenant_and_ids, upsert_rows};
use crate::engine::{DecodedEvent, Projection, TableSpec};
use crate::row_codec::{
    enum_text, optional_timestamp_value, optional_uuid_value, parse_enum_text, timestamp_value,
    uuid_value, RowReader,
};
use crate::ProjectionError;
use async_trait::async_trait;
use chrono::NaiveDate;
use ecusson_domain::{DomainEvent, TenantId};
use ecusson_reports::facts::{AwardFact, ClassFact, EarnerFact, RequestFact};
use ecusson_reports::Facts;
use ecusson_store::{ReadModelTransaction, SqlValue};
use std::collections::BTreeSet;

pub const NAME: &str = "reports";

const REQUEST: TableSpec = TableSpec {
    name: "report_request",
    columns: &[
        "tenant_id",
        "request_id",
        "earner_id",
        "badge_class_id",
        "mode",
        "route",
        "committee_id",
        "requested_at",
        "evidence",
        "state",
        "ended_at",
    ],
    primary_key: &["tenant_id", "request_id"],
};

const AWARD: TableSpec = TableSpec {
    name: "report_award",
    columns: &[
        "tenant_id",
        "award_id",
        "request_id",
        "earner_id",
        "badge_class_id",
        "awarded_at",
        "evidence_added",
        "recommendations",
        "revoked_at",
        "expired_at",
    ],
    primary_key: &["tenant_id", "award_id"],
};

const EARNER: TableSpec = TableSpec {
    name: "report_earner",
    columns: &[
        "tenant_id",
        "earner_id",
        "enrolled_on",
        "exit_outcome",
        "exited_on",
        "exit_recorded_at",
    ],
    primary_key: &["tenant_id", "earner_id"],
};

const CLASS: TableSpec = TableSpec {
    name: "report_class",
    columns: &[
        "tenant_id",
        "badge_class_id",
        "name",
        "pathway_id",
        "skill_type",
    ],
    primary_key: &["tenant_id", "badge_class_id"],
};

const PATHWAY: TableSpec = TableSpec {
    name: "report_pathway",
    columns: &["tenant_id", "pathway_id", "rank"],
    primary_key: &["tenant_id", "pathway_id"],
};

const TABLES: &[TableSpec] = &[REQUEST, AWARD, EARNER, CLASS, PATHWAY];

#[derive(Clone, Copy, Debug, Default)]
pub struct ReportsProjection;

#[async_trait]
impl Projection for ReportsProjection {
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
        // The rows of earlier batches that this one changes.
        let (mut requests, mut awards, mut earners) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for decoded in events {
            let tenant = decoded.recorded.tenant_id.to_string();
            match &decoded.event {
                DomainEvent::RequestApproved(event) => {
                    requests.insert((tenant, event.request_id.to_string()));
                }
                DomainEvent::RequestRefused(event) => {
                    requests.insert((tenant, event.request_id.to_string()));
                }
                DomainEvent::RequestWithdrawn(event) => {
                    requests.insert((tenant, event.request_id.to_string()));
                }
                DomainEvent::EvidenceAdded(event) => match event.award_id {
                    Some(award) => {
                        awards.insert((tenant, award.to_string()));
                    }
                    None => {
                        requests.insert((tenant, event.request_id.to_string()));
                    }
                },
                DomainEvent::RecommendationGiven(event) => {
                    awards.insert((tenant, event.award_id.to_string()));
                }
                DomainEvent::BadgeRevoked(event) => {
                    awards.insert((tenant, event.award_id.to_string()));
                }
                DomainEvent::BadgeExpired(event) => {
                    awards.insert((tenant, event.award_id.to_string()));
                }
                DomainEvent::PathwayExited(event) => {
                    earners.insert((tenant, event.earner_id.to_string()));
                }
                _ => {}
            }
        }
        let mut facts = Facts::new();
        for row in select_by_tenant_and_ids(transaction, &REQUEST, "request_id", &requests)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = request_from_row(&row)?;
            facts.requests.insert(key, fact);
        }
        for row in select_by_tenant_and_ids(transaction, &AWARD, "award_id", &awards)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = award_from_row(&row)?;
            facts.awards.insert(key, fact);
        }
        for row in select_by_tenant_and_ids(transaction, &EARNER, "earner_id", &earners)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = earner_from_row(&row)?;
            facts.earners.insert(key, fact);
        }
        for decoded in events {
            facts.apply(
                decoded.recorded.tenant_id,
                decoded.recorded.recorded_at,
                &decoded.event,
            );
        }
        write_facts(transaction, &facts)
            .await
            .map_err(ProjectionError::store(NAME))
    }
}

/// Writes every row of `facts` (those loaded are written back whether or not they changed).
async fn write_facts(
    transaction: &mut dyn ReadModelTransaction,
    facts: &Facts,
) -> Result<(), ecusson_store::StoreError> {
    let requests = facts
        .requests
        .iter()
        .map(|((tenant, request_id), fact)| {
            vec![
                uuid_value(tenant),
                uuid_value(request_id),
                uuid_value(fact.earner_id),
                uuid_value(fact.badge_class_id),
                SqlValue::Text(enum_text(&fact.mode)),
                SqlValue::Text(enum_text(&fact.route)),
                optional_uuid_value(fact.committee_id),
                timestamp_value(&fact.requested_at),
                SqlValue::Int(i64::from(fact.evidence)),
                SqlValue::Text(enum_text(&fact.state)),
                optional_timestamp_value(&fact.ended_at),
            ]
        })
        .collect();
    upsert_rows(transaction, &REQUEST, requests).await?;
    let awards = facts
        .awards
        .iter()
        .map(|((tenant, award_id), fact)| {
            vec![
                uuid_value(tenant),
                uuid_value(award_id),
                uuid_value(fact.request_id),
                uuid_value(fact.earner_id),
                uuid_value(fact.badge_class_id),
                timestamp_value(&fact.awarded_at),
                SqlValue::Int(i64::from(fact.evidence_added)),
                SqlValue::Int(i64::from(fact.recommendations)),
                optional_timestamp_value(&fact.revoked_at),
                optional_timestamp_value(&fact.expired_at),
            ]
        })
        .collect();
    upsert_rows(transaction, &AWARD, awards).await?;
    let earners = facts
        .earners
        .iter()
        .map(|((tenant, earner_id), fact)| {
            vec![
                uuid_value(tenant),
                uuid_value(earner_id),
                SqlValue::Text(fact.enrolled_on.to_string()),
                fact.exit.map_or(SqlValue::Null, |(outcome, _)| {
                    SqlValue::Text(enum_text(&outcome))
                }),
                fact.exit
                    .map_or(SqlValue::Null, |(_, on)| SqlValue::Text(on.to_string())),
                optional_timestamp_value(&fact.exit_recorded_at),
            ]
        })
        .collect();
    upsert_rows(transaction, &EARNER, earners).await?;
    let classes = facts
        .classes
        .iter()
        .map(|(class_id, fact)| {
            vec![
                uuid_value(fact.tenant_id),
                uuid_value(class_id),
                SqlValue::Text(fact.name.clone()),
                uuid_value(fact.pathway_id),
                SqlValue::Text(enum_text(&fact.skill_type)),
            ]
        })
        .collect();
    upsert_rows(transaction, &CLASS, classes).await?;
    let pathways = facts
        .pathways
        .iter()
        .map(|(pathway_id, (tenant, rank))| {
            vec![
                uuid_value(tenant),
                uuid_value(pathway_id),
                SqlValue::Int(i64::from(*rank)),
            ]
        })
        .collect();
    upsert_rows(transaction, &PATHWAY, pathways).await
}

fn date(reader: &RowReader<'_>, index: usize) -> Result<Option<NaiveDate>, ProjectionError> {
    reader
        .optional_text(index)?
        .map(|text| {
            text.parse::<NaiveDate>()
                .map_err(|_| reader.malformed(format!("column {index} is not a date")))
        })
        .transpose()
}

type Keyed<Id, Fact> = ((TenantId, Id), Fact);

fn request_from_row(
    row: &[SqlValue],
) -> Result<Keyed<ecusson_domain::RequestId, RequestFact>, ProjectionError> {
    let reader = RowReader::new(REQUEST.name, row, REQUEST.columns.len())?;
    Ok((
        (reader.uuid(0)?, reader.uuid(1)?),
        RequestFact {
            earner_id: reader.uuid(2)?,
            badge_class_id: reader.uuid(3)?,
            mode: reader.known(4, parse_enum_text(reader.text(4)?))?,
            route: reader.known(5, parse_enum_text(reader.text(5)?))?,
            committee_id: reader.optional_uuid(6)?,
            requested_at: reader.timestamp(7)?,
            evidence: reader.unsigned(8)?,
            state: reader.known(9, parse_enum_text(reader.text(9)?))?,
            ended_at: reader.optional_timestamp(10)?,
        },
    ))
}

fn award_from_row(
    row: &[SqlValue],
) -> Result<Keyed<ecusson_domain::AwardId, AwardFact>, ProjectionError> {
    let reader = RowReader::new(AWARD.name, row, AWARD.columns.len())?;
    Ok((
        (reader.uuid(0)?, reader.uuid(1)?),
        AwardFact {
            request_id: reader.uuid(2)?,
            earner_id: reader.uuid(3)?,
            badge_class_id: reader.uuid(4)?,
            awarded_at: reader.timestamp(5)?,
            evidence_added: reader.unsigned(6)?,
            recommendations: reader.unsigned(7)?,
            revoked_at: reader.optional_timestamp(8)?,
            expired_at: reader.optional_timestamp(9)?,
        },
    ))
}

fn earner_from_row(
    row: &[SqlValue],
) -> Result<Keyed<ecusson_domain::PersonId, EarnerFact>, ProjectionError> {
    let reader = RowReader::new(EARNER.name, row, EARNER.columns.len())?;
    let exit = match (reader.optional_text(3)?, date(&reader, 4)?) {
        (Some(outcome), Some(on)) => Some((reader.known(3, parse_enum_text(outcome))?, on)),
        (None, None) => None,
        _ => return Err(reader.malformed("an exit without its outcome or date")),
    };
    Ok((
        (reader.uuid(0)?, reader.uuid(1)?),
        EarnerFact {
            enrolled_on: date(&reader, 2)?.ok_or_else(|| reader.malformed("no enrolment date"))?,
            exit,
            exit_recorded_at: reader.optional_timestamp(5)?,
        },
    ))
}

/// The facts of `tenants` (their requests, awards and workers) and the catalogue of
/// `network`: what a report of those tenants computes its figures from.
pub async fn load_facts(
    transaction: &mut dyn ReadModelTransaction,
    network: TenantId,
    tenants: &BTreeSet<TenantId>,
) -> Result<Facts, ProjectionError> {
    let mut facts = Facts::new();
    let tenant_params: Vec<SqlValue> = tenants.iter().map(uuid_value).collect();
    let select = |table: &TableSpec| {
        format!(
            "select {} from {} where tenant_id in ({})",
            table.columns.join(", "),
            table.name,
            placeholders(1, tenant_params.len().max(1))
        )
    };
    if !tenant_params.is_empty() {
        for row in transaction
            .fetch_all(&select(&REQUEST), &tenant_params)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = request_from_row(&row)?;
            facts.requests.insert(key, fact);
        }
        for row in transaction
            .fetch_all(&select(&AWARD), &tenant_params)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = award_from_row(&row)?;
            facts.awards.insert(key, fact);
        }
        for row in transaction
            .fetch_all(&select(&EARNER), &tenant_params)
            .await
            .map_err(ProjectionError::store(NAME))?
        {
            let (key, fact) = earner_from_row(&row)?;
            facts.earners.insert(key, fact);
        }
    }
    let network_param = [uuid_value(network)];
    for row in transaction
        .fetch_all(
            "select tenant_id, badge_class_id, name, pathway_id, skill_type from report_class \
             where tenant_id = $1",
            &network_param,
        )
        .await
        .map_err(ProjectionError::store(NAME))?
    {
        let reader = RowReader::new(CLASS.name, &row, CLASS.columns.len())?;
        facts.classes.insert(
            reader.uuid(1)?,
            ClassFact {
                tenant_id: reader.uuid(0)?,
                name: reader.owned_text(2)?,
                pathway_id: reader.uuid(3)?,
                skill_type: reader.known(4, parse_enum_text(reader.text(4)?))?,
            },
        );
    }
    for row in transaction
        .fetch_all(
            "select tenant_id, pathway_id, rank from report_pathway where tenant_id = $1",
            &network_param,
        )
        .await
        .map_err(ProjectionError::store(NAME))?
    {
        let reader = RowReader::new(PATHWAY.name, &row, PATHWAY.columns.len())?;
        facts
            .pathways
            .insert(reader.uuid(1)?, (reader.uuid(0)?, reader.unsigned(2)?));
    }
    Ok(facts)
}
