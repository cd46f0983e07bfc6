//! A report as a download, for people who work in a spreadsheet or print: `GET
//! /reports/report.csv` (UTF-8 with a byte order mark, `;` separators: French Excel opens it as
//! is) and `GET /reports/report.html` (a printable French page with its charts drawn on the
//! server), with the parameters of GraphQL's `report` (`structureId`, `from`, `until`, `asOf`,
//! RFC 3339 instants) and the same bearer token, the same rules and the same figures
//! ([`ecusson_app::reports::compute`]). Funders get the protected figures.
//!
//! The programme report of GraphQL's `programmeReport` likewise: `GET /reports/programme.csv`
//! and `/reports/programme.html`, `from` and `until` quarters (`2026-T1`).

use crate::schema::reports::reader;
use crate::server::{authenticate, ServerState};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::reports::{
    compute, programme, Computed, ProgrammeComputed, ReportQuery, ReportRefusal,
};
use ecusson_domain::TenantId;
use ecusson_pages::report_page::{Bar, Chart, ReportView, Table};
use ecusson_reports::disclosure::{self, Shown};
use ecusson_reports::programme::{Quarter, HEADER as PROGRAMME_HEADER};
use ecusson_reports::table::{self, Row};
use std::collections::HashMap;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/reports/report.csv", web::get().to(csv))
        .route("/reports/report.html", web::get().to(page))
        .route("/reports/programme.csv", web::get().to(programme_csv))
        .route("/reports/programme.html", web::get().to(programme_page));
}

/// The caller's programme report over `from` to `until` (quarters, "2026-T1"); or why not.
async fn programme_report(
    state: &ServerState,
    request: &HttpRequest,
    parameters: &HashMap<String, String>,
) -> Result<ProgrammeComputed, Refused> {
    let Ok(Some(principal)) = authenticate(state, request) else {
        return Err(Refused::Unauthenticated);
    };
    let quarter = |name: &str| {
        let text = parameters
            .get(name)
            .ok_or_else(|| format!("{name} is required: a quarter such as 2026-T1"))?;
        Quarter::parse(text)
            .ok_or_else(|| format!("{name} is a quarter such as 2026-T1, not {text:?}"))
    };
    let (first, last) = (
        quarter("from").map_err(Refused::BadInput)?,
        quarter("until").map_err(Refused::BadInput)?,
    );
    let as_of = instant(parameters, "asOf").map_err(Refused::BadInput)?;
    programme(&state.ledger, &reader(&principal), first, last, as_of)
        .await
        .map_err(Refused::Report)
}

fn programme_rows(computed: &ProgrammeComputed) -> Vec<Vec<String>> {
    ecusson_reports::programme::table(&computed.lines, &computed.structures, computed.protected)
}

async fn programme_csv(
    state: web::Data<ServerState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match programme_report(&state, &request, &query).await {
        Err(refused) => refused.response(),
        Ok(computed) => match table::csv_table(&PROGRAMME_HEADER, programme_rows(&computed)) {
            Ok(bytes) => download(bytes, "programme-ecusson.csv"),
            Err(error) => internal(&error),
        },
    }
}

async fn programme_page(
    state: web::Data<ServerState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match programme_report(&state, &request, &query).await {
        Err(refused) => refused.response(),
        Ok(computed) => {
            let protected = computed.protected;
            // People badged, quarter by quarter, across the programme.
            let bars = computed
                .lines
                .iter()
                .filter(|line| line.structure.is_none())
                .filter_map(|line| {
                    let quarter = line.quarter?;
                    Some(Bar {
                        label: quarter.label(),
                        value: shown(line.figures.workers_badged, protected),
                    })
                })
                .collect();
            let (first, last) = (
                computed.quarters[0],
                computed.quarters[computed.quarters.len() - 1],
            );
            let view = ReportView {
                title: "Rapport de programme".to_owned(),
                period: format!(
                    "Du trimestre {} au trimestre {} inclus, par trimestre et par structure",
                    first.label(),
                    last.label()
                ),
                protected,
                charts: vec![Chart {
                    title: "Personnes badgées, par trimestre".to_owned(),
                    bars,
                }],
                table: Table {
                    header: PROGRAMME_HEADER.map(str::to_owned).to_vec(),
                    rows: programme_rows(&computed),
                    label_columns: 2,
                },
                csv_url: format!(
                    "{}/reports/programme.csv?{}",
                    state.site.base(),
                    request.query_string()
                ),
            };
            html_report(ecusson_pages::report_page::render(&view))
        }
    }
}

fn download(bytes: Vec<u8>, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

fn html_report(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

async fn csv(
    state: web::Data<ServerState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match report(&state, &request, &query).await {
        Err(refused) => refused.response(),
        Ok(computed) => {
            let rows = table::rows(&computed.figures, &computed.facts, computed.protected);
            match table::csv(&rows) {
                Ok(bytes) => download(bytes, "rapport-ecusson.csv"),
                Err(error) => internal(&error),
            }
        }
    }
}

async fn page(
    state: web::Data<ServerState>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match report(&state, &request, &query).await {
        Err(refused) => refused.response(),
        Ok(computed) => {
            let view = view(&state, &computed, request.query_string());
            html_report(ecusson_pages::report_page::render(&view))
        }
    }
}

/// Why a download is refused.
enum Refused {
    Unauthenticated,
    BadInput(String),
    Report(ReportRefusal),
}

impl Refused {
    fn response(self) -> HttpResponse {
        let coded = |status: StatusCode, code: &str, message: &str| {
            HttpResponse::build(status).json(serde_json::json!({"error": code, "message": message}))
        };
        match self {
            Refused::Unauthenticated => HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .json(serde_json::json!({
                    "error": "UNAUTHENTICATED",
                    "message": "a valid bearer token is required"
                })),
            Refused::BadInput(message) => {
                coded(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &message)
            }
            Refused::Report(ReportRefusal::BadInput(message)) => {
                coded(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", message)
            }
            Refused::Report(ReportRefusal::Forbidden) => coded(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "reports are for the structure's staff, the network and its funders",
            ),
            Refused::Report(ReportRefusal::NotFound) => {
                coded(StatusCode::NOT_FOUND, "NOT_FOUND", "no such structure")
            }
            Refused::Report(ReportRefusal::Internal(error)) => internal(&error),
        }
    }
}

/// The report's parameters, as GraphQL's `report` takes them.
/// The instant parameter `name`, if given.
fn instant(
    parameters: &HashMap<String, String>,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    parameters
        .get(name)
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&chrono::Utc))
                .map_err(|_| format!("{name} must be an RFC 3339 instant, not {text:?}"))
        })
        .transpose()
}

fn parse_query(parameters: &HashMap<String, String>) -> Result<ReportQuery, String> {
    let instant = |name: &str| instant(parameters, name);
    Ok(ReportQuery {
        structure: parameters
            .get("structureId")
            .map(|text| {
                TenantId::parse(text).map_err(|_| "structureId is not a valid id".to_owned())
            })
            .transpose()?,
        from: instant("from")?,
        until: instant("until")?,
        as_of: instant("asOf")?,
    })
}

/// The caller, the parameters, the report; or why not.
async fn report(
    state: &ServerState,
    request: &HttpRequest,
    parameters: &HashMap<String, String>,
) -> Result<Computed, Refused> {
    let Ok(Some(principal)) = authenticate(state, request) else {
        return Err(Refused::Unauthenticated);
    };
    let query = parse_query(parameters).map_err(Refused::BadInput)?;
    compute(&state.ledger, &reader(&principal), &query)
        .await
        .map_err(Refused::Report)
}

fn internal(error: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %error, "a report could not be made");
    HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR)
        .json(serde_json::json!({"error": "INTERNAL", "message": "internal error"}))
}

/// A bar's value as shown: `None` for a suppressed count.
fn shown(count: u64, protected: bool) -> Option<u64> {
    if !protected {
        return Some(count);
    }
    match disclosure::show(count) {
        Shown::Count(n) => Some(n),
        Shown::Suppressed(_) => None,
    }
}

fn view(state: &ServerState, computed: &Computed, query_string: &str) -> ReportView {
    let figures = &computed.figures;
    let protected = computed.protected;
    let bars = |pairs: Vec<(String, u64)>| {
        pairs
            .into_iter()
            .map(|(label, count)| Bar {
                label,
                value: shown(count, protected),
            })
            .collect()
    };
    let mut by_state = std::collections::BTreeMap::new();
    for row in &figures.requests {
        *by_state.entry(row.state).or_insert(0) += row.count;
    }
    let mut by_exit = std::collections::BTreeMap::new();
    for row in &figures.exits {
        *by_exit.entry(row.outcome).or_insert(0) += row.count;
    }
    let charts = vec![
        Chart {
            title: "Demandes de badge, selon leur état".to_owned(),
            bars: bars(
                by_state
                    .into_iter()
                    .map(|(state, count)| (table::state_label(state).to_owned(), count))
                    .collect(),
            ),
        },
        Chart {
            title: "Badges attribués, par parcours".to_owned(),
            bars: bars(
                figures
                    .awards_by_pathway()
                    .into_iter()
                    .map(|(rank, count)| (table::pathway_label(rank), count))
                    .collect(),
            ),
        },
        Chart {
            title: "Badges attribués, par type de compétence".to_owned(),
            bars: bars(
                figures
                    .awards_by_skill()
                    .into_iter()
                    .map(|(skill, count)| (table::skill_label(skill).to_owned(), count))
                    .collect(),
            ),
        },
        Chart {
            title: "Sorties de parcours".to_owned(),
            bars: bars(
                by_exit
                    .into_iter()
                    .map(|(outcome, count)| (table::exit_label(outcome).to_owned(), count))
                    .collect(),
            ),
        },
    ];
    let table = Table {
        header: table::HEADER.map(str::to_owned).to_vec(),
        rows: table::rows(figures, &computed.facts, protected)
            .into_iter()
            .map(
                |Row {
                     indicator,
                     dimensions,
                     value,
                 }| {
                    let [first, second, third] = dimensions;
                    vec![indicator.to_owned(), first, second, third, value]
                },
            )
            .collect(),
        label_columns: 4,
    };
    let whole_network = computed.tenants.contains(&computed.network);
    let title = if whole_network {
        "Rapport du réseau".to_owned()
    } else {
        "Rapport de la structure".to_owned()
    };
    let long = |at: chrono::DateTime<chrono::Utc>| ecusson_pages::french_date::long_date(&at);
    let period = match (computed.from, computed.until) {
        (Some(from), Some(until)) => format!("Du {} au {} (exclu)", long(from), long(until)),
        (Some(from), None) => format!("Depuis le {}", long(from)),
        (None, Some(until)) => format!("Jusqu'au {} (exclu)", long(until)),
        (None, None) => "Depuis le début".to_owned(),
    };
    ReportView {
        title,
        period,
        protected,
        charts,
        table,
        csv_url: format!("{}/reports/report.csv?{query_string}", state.site.base()),
    }
}
