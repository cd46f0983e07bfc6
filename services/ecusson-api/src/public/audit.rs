//! The audit trail over plain HTTP, without login, like a transparency log: the checkpoints of a
//! tenant's log, the proofs between them, and a network's verifier key. They hold hashes and
//! counts only, nothing of any person; anyone holding a checkpoint (a funder, an auditor) can
//! check that a later one extends it, or that an event they were shown is in it.
//!
//! - `GET /audit/networks/{network}/key`: the verifier key, text.
//! - `GET /audit/{tenant}/checkpoint`: the latest signed checkpoint, text (the note itself).
//! - `GET /audit/{tenant}/checkpoints/{size}`: the checkpoint of that size.
//! - `GET /audit/{tenant}/proofs/inclusion?sequence=N[&treeSize=M]`: JSON.
//! - `GET /audit/{tenant}/proofs/consistency?fromSize=J[&toSize=K]`: JSON.
//!
//! Errors answer JSON `{"error": CODE, "message": …}`: BAD_USER_INPUT for a malformed number,
//! NOT_FOUND for an unknown tenant, size or uncovered event.

use super::{path_id, public_document, respond, Refusal};
use crate::schema::audit::{AuditConsistencyProof, AuditInclusionProof};
use crate::server::ServerState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::audit::{self, ProofRefusal};
use ecusson_domain::TenantId;
use std::collections::HashMap;

pub async fn key(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let network = path_id(&path, TenantId::parse)?;
        match ecusson_app::credentials::network_of(&state.ledger, network).await? {
            Some((found, _)) if found == network => Ok(public_document(
                format!("{}\n", audit::verifier(&state.vault, network)),
                "text/plain; charset=utf-8",
            )),
            _ => Err(Refusal::NotFound),
        }
    }
    .await;
    respond(&request, answer)
}

pub async fn latest(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let tenant = path_id(&path, TenantId::parse)?;
        let checkpoint =
            ecusson_store::audit::latest_checkpoint(state.ledger.store().as_ref(), tenant)
                .await?
                .ok_or(Refusal::NotFound)?;
        Ok(note(checkpoint.note))
    }
    .await;
    respond(&request, answer)
}

pub async fn at_size(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let answer = async {
        let tenant = path_id(&path.0, TenantId::parse)?;
        let size = path.1.parse::<u64>().map_err(|_| Refusal::NotFound)?;
        let checkpoint =
            ecusson_store::audit::checkpoint(state.ledger.store().as_ref(), tenant, size)
                .await?
                .ok_or(Refusal::NotFound)?;
        Ok(note(checkpoint.note))
    }
    .await;
    respond(&request, answer)
}

/// A checkpoint changes never; the latest one is replaced within seconds.
fn note(text: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(text)
}

/// Why a proof's arguments are refused.
enum BadArguments {
    NoSuchLog,
    Invalid(String),
}

impl BadArguments {
    fn response(self) -> HttpResponse {
        match self {
            BadArguments::NoSuchLog => coded(
                actix_web::http::StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "no such log",
            ),
            BadArguments::Invalid(message) => bad_input(&message),
        }
    }
}

/// The tenant from the path, the required size `first` and the optional size `second` from
/// the query.
fn proof_arguments(
    path: &str,
    query: &HashMap<String, String>,
    first: &str,
    second: &str,
) -> Result<(TenantId, u64, Option<u64>), BadArguments> {
    let tenant = TenantId::parse(path).map_err(|_| BadArguments::NoSuchLog)?;
    let first = number(query, first, true)
        .map_err(BadArguments::Invalid)?
        .unwrap_or_default();
    let second = number(query, second, false).map_err(BadArguments::Invalid)?;
    Ok((tenant, first, second))
}

pub async fn inclusion(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (tenant, sequence, tree_size) = match proof_arguments(&path, &query, "sequence", "treeSize")
    {
        Ok(arguments) => arguments,
        Err(bad) => return bad.response(),
    };
    let proof =
        audit::inclusion_proof(state.ledger.store().as_ref(), tenant, sequence, tree_size).await;
    answer_proof(&request, proof.map(<AuditInclusionProof as From<_>>::from))
}

pub async fn consistency(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (tenant, from, to) = match proof_arguments(&path, &query, "fromSize", "toSize") {
        Ok(arguments) => arguments,
        Err(bad) => return bad.response(),
    };
    let proof = audit::consistency_proof(state.ledger.store().as_ref(), tenant, from, to).await;
    answer_proof(
        &request,
        proof.map(<AuditConsistencyProof as From<_>>::from),
    )
}

fn number(
    query: &HashMap<String, String>,
    name: &str,
    required: bool,
) -> Result<Option<u64>, String> {
    match query.get(name) {
        None if required => Err(format!("the query parameter {name} is required")),
        None => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, not {text:?}")),
    }
}

fn answer_proof(
    request: &HttpRequest,
    proof: Result<impl serde::Serialize, ProofRefusal>,
) -> HttpResponse {
    match proof {
        Ok(proof) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(proof),
        Err(ProofRefusal::App(error)) => respond(request, Err(Refusal::Internal(error))),
        Err(refusal @ ProofRefusal::Reversed { .. }) => coded(
            actix_web::http::StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            &refusal.to_string(),
        ),
        Err(refusal) => coded(
            actix_web::http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &refusal.to_string(),
        ),
    }
}

fn bad_input(message: &str) -> HttpResponse {
    coded(
        actix_web::http::StatusCode::BAD_REQUEST,
        "BAD_USER_INPUT",
        message,
    )
}

fn coded(status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(serde_json::json!({"error": code, "message": message}))
}
