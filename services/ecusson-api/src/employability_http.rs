//! A worker's employability report as a download, and the CV the worker shares:
//!
//! - `GET /reports/workers/{earner}/report.html` and `.../report.pdf`: the full report, for
//!   the worker and their structure's staff (the bearer token of GraphQL's
//!   `employabilityReport`, the same rules; a staff read is logged);
//! - `GET /cv/{token}` and `/cv/{token}.pdf`: the CV a worker shared, public to whoever holds
//!   the link, showing what the worker chose for it; a revoked, expired, forged or erased link
//!   is "not found", all alike.

use crate::public::{html_page, not_found_page, respond, Refusal};
use crate::schema::employability::may_read_report;
use crate::schema::personal_data::record_read;
use crate::server::{authenticate, ServerState};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::{evidence_kind_label, skill_type_label, PublicSite};
use ecusson_app::employability::{self as report, Audience, EmployabilityReport, Standing};
use ecusson_domain::earner::CvShare;
use ecusson_domain::PersonId;
use ecusson_pages::employability_page::{BadgeLine, EmployabilityView, PathwayView};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/reports/workers/{earner}/report.html",
            web::get().to(worker_page),
        )
        .route(
            "/reports/workers/{earner}/report.pdf",
            web::get().to(worker_pdf),
        )
        // The PDF first: a token never holds a dot, so `{token}` alone never takes `.pdf`.
        .route("/cv/{token}.pdf", web::get().to(shared_pdf))
        .route("/cv/{token}", web::get().to(shared_page));
}

/// What the page and the PDF show of a report.
pub(crate) fn page_view(
    report: &EmployabilityReport,
    share: Option<&CvShare>,
    pdf_url: Option<String>,
) -> EmployabilityView {
    let date = |at: chrono::DateTime<chrono::Utc>| at.date_naive();
    EmployabilityView {
        shared: share.is_some(),
        worker_name: report.name.clone(),
        structure_name: report.structure_name.clone(),
        network_name: report.network_name.clone(),
        enrolled_on: report.enrolled_on,
        exit: report.exit.map(|(outcome, exited_on)| {
            (
                ecusson_reports::table::exit_label(outcome).to_owned(),
                exited_on,
            )
        }),
        days_in_pathway: report.days_in_pathway,
        savoir_faire: report.savoir_faire,
        savoir_etre: report.savoir_etre,
        pathways: report
            .pathways
            .iter()
            .map(|pathway| PathwayView {
                rank: pathway.rank,
                name: pathway.name.clone(),
                description: pathway.description.clone(),
                badges: pathway
                    .badges
                    .iter()
                    .map(|badge| BadgeLine {
                        name: badge.name.clone(),
                        description: badge.description.clone(),
                        skill_type: skill_type_label(badge.skill_type).to_owned(),
                        awarded_on: badge.awarded_at.map(date),
                        valid_until: badge.expires_at.map(date),
                        status: match badge.standing {
                            Standing::Active => "Valide",
                            Standing::Expired => "Expiré",
                            Standing::Revoked => "Révoqué",
                        }
                        .to_owned(),
                        standing: badge.standing == Standing::Active,
                        page_url: badge.page_url.clone(),
                        evidence: badge
                            .evidence
                            .iter()
                            .map(|piece| {
                                (
                                    evidence_kind_label(piece.kind).to_owned(),
                                    piece.text.clone(),
                                    piece.link.clone(),
                                )
                            })
                            .collect(),
                        // A page or a PDF may be handed to anyone: testimonies whose authors
                        // did not agree to their publication stay in the application.
                        recommendations: badge
                            .recommendations
                            .iter()
                            .filter(|recommendation| recommendation.public)
                            .map(|recommendation| {
                                (
                                    recommendation.organisation.clone().unwrap_or_else(|| {
                                        "Une entreprise accueillante".to_owned()
                                    }),
                                    recommendation.testimony.clone(),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
                under_way: pathway.under_way.clone(),
                next_steps: pathway.next_steps.clone(),
            })
            .collect(),
        generated_on: report.generated_at.date_naive(),
        pdf_url,
        open_until: share.and_then(|share| share.expires_on),
    }
}

/// The page or the PDF of a view; personal, so never stored by a cache.
fn document(view: &EmployabilityView, pdf: bool) -> Result<HttpResponse, Refusal> {
    if !pdf {
        let mut response = html_page(
            StatusCode::OK,
            ecusson_pages::employability_page::render(view),
        );
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        return Ok(response);
    }
    let bytes = ecusson_pages::employability_pdf::render(view)
        .map_err(|error| Refusal::Internal(ecusson_app::AppError::Internal(Box::new(error))))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"competences.pdf\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(bytes))
}

async fn worker_page(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    worker_report(&state, &request, &path, false).await
}

async fn worker_pdf(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    worker_report(&state, &request, &path, true).await
}

fn refused(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    response.json(serde_json::json!({"error": code, "message": message}))
}

async fn worker_report(
    state: &ServerState,
    request: &HttpRequest,
    earner: &str,
    pdf: bool,
) -> HttpResponse {
    let Ok(Some(principal)) = authenticate(state, request) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid bearer token is required",
        );
    };
    let not_found = || refused(StatusCode::NOT_FOUND, "NOT_FOUND", "no such worker");
    let Ok(earner_id) = PersonId::parse(earner) else {
        return not_found();
    };
    if !may_read_report(&principal, earner_id) {
        // As over GraphQL: a worker naming another worker learns nothing.
        if principal.has_role(ecusson_domain::Role::Earner) {
            return not_found();
        }
        return refused(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "a worker's report is read by the worker and their structure's staff",
        );
    }
    let tenant = principal.tenant;
    let answer = async {
        let Some(earner) = report::load_earner(&state.ledger, tenant, earner_id).await? else {
            return Ok(None);
        };
        if principal.subject != earner_id {
            record_read(
                &state.ledger,
                &principal,
                tenant,
                earner_id,
                "employability_report",
                "http",
            )
            .await?;
        }
        let built = report::build(
            &state.ledger,
            &state.vault,
            &state.site,
            tenant,
            &earner,
            Audience::Full,
            None,
        )
        .await?;
        let pdf_url = format!(
            "{}/reports/workers/{earner_id}/report.pdf",
            state.site.base()
        );
        Ok::<_, ecusson_app::AppError>(Some(page_view(&built, None, Some(pdf_url))))
    }
    .await;
    match answer {
        Ok(None) => not_found(),
        Ok(Some(view)) => match document(&view, pdf) {
            Ok(response) => response,
            Err(refusal) => respond(request, Err(refusal)),
        },
        Err(error) => respond(request, Err(Refusal::Internal(error))),
    }
}

async fn shared_page(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    shared(&state, &request, &path, false).await
}

async fn shared_pdf(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    shared(&state, &request, &path, true).await
}

async fn shared(
    state: &ServerState,
    request: &HttpRequest,
    token: &str,
    pdf: bool,
) -> HttpResponse {
    let site: &PublicSite = &state.site;
    let answer = async {
        let (built, share) = report::open_shared(&state.ledger, &state.vault, site, token)
            .await?
            .ok_or(Refusal::NotFound)?;
        let view = page_view(
            &built,
            Some(&share),
            Some(format!("{}.pdf", site.cv_page(token))),
        );
        document(&view, pdf)
    }
    .await;
    match answer {
        Err(Refusal::NotFound) => not_found_page(
            "CV introuvable",
            "Ce lien de partage n'existe pas ou n'est plus ouvert : la personne qui vous l'a \
             donné l'a peut-être fermé. Demandez-lui un nouveau lien.",
        ),
        answer => respond(request, answer),
    }
}
