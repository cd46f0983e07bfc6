//! The issuer's public documents, the credentials and the revocation lists.

use super::{json_document, path_id, public_document, respond, Refusal};
use crate::server::ServerState;
use actix_web::{web, HttpRequest, HttpResponse};
use ecusson_app::credentials::{self, PublicSite, StoredCredential};
use ecusson_app::keys;
use ecusson_badges::bake::{self, Baked, Ob3Credential};
use ecusson_badges::credential::{OB_CONTEXT, VC_CONTEXT};
use ecusson_badges::status::{RevocationList, RevokedCredential};
use ecusson_domain::catalogue::{BadgeClass, Pathway};
use ecusson_domain::{
    AwardId, BadgeClassContent, BadgeClassId, CredentialId, Earner, EndorsementId, IssuerKeyId,
    IssuerKeys, KeyAlgorithm, Network, OrganisationId, RecommendationId, TenantId,
};
use ecusson_store::StreamId;
use serde_json::{json, Value};

const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";

fn stream(name: String) -> Result<StreamId, Refusal> {
    StreamId::parse(name).map_err(|error| Refusal::Internal(error.into()))
}

/// A registered network and its keys, or not found.
async fn network(state: &ServerState, network: TenantId) -> Result<(Network, IssuerKeys), Refusal> {
    let mut batch = state.ledger.batch();
    let network_slot = batch.cached::<Network>(network, stream(Network::stream_name())?);
    let keys_slot = batch.fresh::<IssuerKeys>(network, stream(IssuerKeys::stream_name())?);
    let mut loaded = batch.load().await?;
    let registered = loaded.take(network_slot).await?.state;
    if registered.network_id() != Some(network) {
        return Err(Refusal::NotFound);
    }
    Ok((registered, loaded.take(keys_slot).await?.state))
}

/// Keys as the Multikey verification methods of `controller` (a revoked one says from when it
/// is compromised, as the Controlled Identifiers specification names it), and their ids as its
/// assertion methods.
fn controller_methods<'a>(
    keys: impl Iterator<Item = &'a ecusson_domain::issuer_keys::IssuerKey>,
    controller: &str,
    method_id: impl Fn(&ecusson_domain::issuer_keys::IssuerKey) -> String,
) -> (Vec<Value>, Vec<Value>) {
    let methods: Vec<Value> = keys
        .map(|key| {
            let mut method = json!({
                "id": method_id(key),
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": key.public_key_multibase,
            });
            if let Some(revocation) = &key.revocation {
                method["revoked"] = json!(revocation
                    .compromised_since
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            }
            method
        })
        .collect();
    let assertion = methods.iter().map(|method| method["id"].clone()).collect();
    (methods, assertion)
}

/// The issuer as an Open Badges 3.0 `Profile`, which is also the controller document of its
/// keys: every key ever used, as a Multikey verification method and assertion method (what a
/// retired key signed still verifies; a revoked one says from when it is compromised).
pub(crate) fn issuer_document(
    site: &PublicSite,
    network_id: TenantId,
    network: &Network,
    keys: &IssuerKeys,
) -> Value {
    let issuer = site.issuer(network_id);
    let (methods, assertion) = controller_methods(keys.keys().iter(), &issuer, |key| {
        site.key_method(network_id, key)
    });
    // The DID context defines the controller document's terms (verificationMethod,
    // assertionMethod) the way verifiers in safe mode expect them (Digital Bazaar's refuses
    // them under the VC context alone); the OB context defines the profile's.
    json!({
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT, OB_CONTEXT],
        "id": issuer,
        "type": ["Profile"],
        "name": network.name().unwrap_or_default(),
        "url": site.base(),
        "verificationMethod": methods,
        "assertionMethod": assertion,
    })
}

pub async fn issuer_profile(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path, TenantId::parse)?;
        let (registered, keys) = network(&state, network_id).await?;
        Ok(json_document(
            &issuer_document(&state.site, network_id, &registered, &keys),
            "application/ld+json",
        ))
    }
    .await;
    respond(&request, answer)
}

/// A P-256 key as the bare JWK a VC-JWT's `kid` dereferences to. A revoked key answers 410: a
/// JWK cannot say from when a key is compromised, so a key that may sign forgeries is no
/// longer served (credentials it signed before still verify by their Data Integrity proof,
/// whose issuance the ledger dates).
pub async fn jwt_key(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path.0, TenantId::parse)?;
        let key_id = path_id(&path.1, IssuerKeyId::parse)?;
        let (_, keys) = network(&state, network_id).await?;
        let key = keys
            .key(key_id)
            .filter(|key| key.algorithm == KeyAlgorithm::P256)
            .ok_or(Refusal::NotFound)?;
        if key.revocation.is_some() {
            return Ok(HttpResponse::Gone()
                .insert_header((actix_web::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .json(json!({"error": "REVOKED", "keyId": key_id.to_string()})));
        }
        let jwk = keys::jwk(key, &state.site.jwt_key(network_id, key_id)).ok_or_else(|| {
            Refusal::Internal(ecusson_store::StoreError::Corrupt("an unreadable key".into()).into())
        })?;
        Ok(json_document(&jwk, "application/jwk+json"))
    }
    .await;
    respond(&request, answer)
}

/// An organisation of the network as the issuer of its endorsements: its profile, and the
/// controller document of the network's keys, which the ledger signs with on its behalf (each
/// key under the organisation's own id, a revoked one marked as in the issuer's document).
pub async fn organisation_profile(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path.0, TenantId::parse)?;
        let organisation = path_id(&path.1, OrganisationId::parse)?;
        let (registered, keys) = network(&state, network_id).await?;
        let name = registered
            .organisation_name(organisation)
            .ok_or(Refusal::NotFound)?;
        let id = state.site.organisation(network_id, organisation);
        let (methods, assertion) = controller_methods(
            keys.keys()
                .iter()
                .filter(|key| key.algorithm == KeyAlgorithm::Ed25519),
            &id,
            |key| ecusson_app::endorsements::organisation_method(&id, key),
        );
        Ok(json_document(
            &json!({
                "@context": [DID_CONTEXT, MULTIKEY_CONTEXT, OB_CONTEXT],
                "id": id,
                "type": ["Profile"],
                "name": name,
                "parentOrg": {"id": state.site.issuer(network_id), "type": ["Profile"]},
                "verificationMethod": methods,
                "assertionMethod": assertion,
            }),
            "application/ld+json",
        ))
    }
    .await;
    respond(&request, answer)
}

/// An organisation's endorsement of the network or of a badge class.
pub async fn endorsement(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let answer = async {
        let network_id = path_id(&path.0, TenantId::parse)?;
        let endorsement = path_id(&path.1, EndorsementId::parse)?;
        let signed = ecusson_app::endorsements::endorsement_credential(
            &state.ledger,
            &state.vault,
            &state.site,
            network_id,
            endorsement,
        )
        .await?
        .ok_or(Refusal::NotFound)?;
        Ok(json_document(&signed, "application/ld+json"))
    }
    .await;
    respond(&request, answer)
}

/// A host company's public recommendation of an award.
pub async fn recommendation(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let answer = async {
        let award_id = path_id(&path.0, AwardId::parse)?;
        let recommendation = path_id(&path.1, RecommendationId::parse)?;
        let award = credentials::public_award(&state.ledger, award_id)
            .await?
            .ok_or(Refusal::NotFound)?;
        let signed = ecusson_app::endorsements::recommendation_credential(
            &state.ledger,
            &state.vault,
            &state.site,
            award.tenant_id,
            award.earner_id,
            award_id,
            recommendation,
        )
        .await?
        .ok_or(Refusal::NotFound)?;
        Ok(json_document(&signed, "application/ld+json"))
    }
    .await;
    respond(&request, answer)
}

pub async fn structure_profile(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let structure = path_id(&path, TenantId::parse)?;
        let entry = {
            let mut transaction = state.ledger.store().begin_read_only().await?;
            ecusson_projections::directory::structure(transaction.as_mut(), structure).await?
        }
        .ok_or(Refusal::NotFound)?;
        Ok(json_document(
            &json!({
                "@context": [VC_CONTEXT, OB_CONTEXT],
                "id": state.site.structure(structure),
                "type": ["Profile"],
                "name": entry.name,
                "parentOrg": {
                    "id": state.site.issuer(entry.network_id),
                    "type": ["Profile"],
                },
            }),
            "application/ld+json",
        ))
    }
    .await;
    respond(&request, answer)
}

/// One revision of a badge class of a network's catalogue, and its pathway's name.
pub(crate) async fn badge_class_revision(
    state: &ServerState,
    network: TenantId,
    class: BadgeClassId,
    revision: u32,
) -> Result<(BadgeClassContent, Option<String>), Refusal> {
    let class_state = state
        .ledger
        .load::<BadgeClass>(network, &stream(BadgeClass::stream_name(class))?)
        .await?
        .state;
    let content = class_state
        .content_of(revision)
        .cloned()
        .ok_or(Refusal::NotFound)?;
    let pathway = state
        .ledger
        .load::<Pathway>(network, &stream(Pathway::stream_name(content.pathway_id))?)
        .await?
        .state;
    Ok((
        content,
        pathway
            .definition()
            .map(|definition| definition.name.clone()),
    ))
}

/// The path of an achievement: network, class, revision.
fn achievement_path(
    network: &str,
    class: &str,
    revision: &str,
) -> Result<(TenantId, BadgeClassId, u32), Refusal> {
    Ok((
        path_id(network, TenantId::parse)?,
        path_id(class, BadgeClassId::parse)?,
        revision.parse().map_err(|_| Refusal::NotFound)?,
    ))
}

pub async fn achievement(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let answer = async {
        let (network_id, class, revision) = achievement_path(&path.0, &path.1, &path.2)?;
        let (registered, _) = network(&state, network_id).await?;
        let (content, pathway) = badge_class_revision(&state, network_id, class, revision).await?;
        let site = &state.site;
        let mut tags = Vec::new();
        tags.extend(pathway);
        tags.push(credentials::skill_type_label(content.skill_type).to_owned());
        Ok(json_document(
            &json!({
                "@context": [VC_CONTEXT, OB_CONTEXT],
                "id": site.achievement(network_id, class, revision),
                "type": ["Achievement"],
                "name": content.name,
                "description": content.description,
                "criteria": {"narrative": content.criteria_narrative},
                "image": {
                    "id": site.achievement_image(network_id, class, revision, "png"),
                    "type": "Image",
                },
                "tag": tags,
                "version": revision.to_string(),
                "creator": {
                    "id": site.issuer(network_id),
                    "type": ["Profile"],
                    "name": registered.name().unwrap_or_default(),
                },
            }),
            "application/ld+json",
        ))
    }
    .await;
    respond(&request, answer)
}

/// The facts a badge class's image is drawn from.
pub(crate) fn image_facts(content: &BadgeClassContent) -> ecusson_badges::image::BadgeClassFacts {
    ecusson_badges::image::BadgeClassFacts {
        name: content.name.clone(),
        pathway: content.pathway_id.to_string(),
        skill_type: match content.skill_type {
            ecusson_domain::SkillType::SavoirFaire => ecusson_badges::image::SkillType::SavoirFaire,
            ecusson_domain::SkillType::SavoirEtre => ecusson_badges::image::SkillType::SavoirEtre,
        },
    }
}

/// The side of the PNG images served: Open Badges asks for at least 256, print wants more.
pub(crate) const IMAGE_SIDE: u32 = 512;

/// A badge class's image as PNG or SVG bytes.
pub(crate) fn image_bytes(content: &BadgeClassContent, svg: bool) -> Result<Vec<u8>, Refusal> {
    let facts = image_facts(content);
    if svg {
        Ok(ecusson_badges::image::badge_class_svg(&facts).into_bytes())
    } else {
        ecusson_badges::image::badge_class_png(&facts, IMAGE_SIDE)
            .map_err(|error| Refusal::Internal(ecusson_app::AppError::Internal(Box::new(error))))
    }
}

pub async fn achievement_image(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<(String, String, String, String)>,
) -> HttpResponse {
    let answer = async {
        let (network_id, class, revision) = achievement_path(&path.0, &path.1, &path.2)?;
        let svg = match path.3.as_str() {
            "image.png" => false,
            "image.svg" => true,
            _ => return Err(Refusal::NotFound),
        };
        let (content, _) = badge_class_revision(&state, network_id, class, revision).await?;
        let bytes = image_bytes(&content, svg)?;
        Ok(public_document(
            bytes,
            if svg { "image/svg+xml" } else { "image/png" },
        ))
    }
    .await;
    respond(&request, answer)
}

/// A credential id with the form asked for: `<id>`, `<id>.json`, `<id>.jwt`, `<id>.png`,
/// `<id>.svg`.
fn credential_path(text: &str) -> Result<(CredentialId, &str), Refusal> {
    let (id, form) = text.split_once('.').unwrap_or((text, ""));
    Ok((path_id(id, CredentialId::parse)?, form))
}

/// A credential the ledger issued, as stored, and whether it may be published now (everything
/// it discloses still covered by its earner's consent); not found when unknown or erased.
pub(crate) async fn stored(
    state: &ServerState,
    credential_id: CredentialId,
) -> Result<(ecusson_projections::IssuedEntry, StoredCredential, bool), Refusal> {
    let entry = {
        let mut transaction = state.ledger.store().begin_read_only().await?;
        ecusson_projections::credentials::credential_by_id(transaction.as_mut(), credential_id)
            .await?
    }
    .ok_or(Refusal::NotFound)?;
    let earner = state
        .ledger
        .load::<Earner>(
            entry.tenant_id,
            &stream(Earner::stream_name(entry.earner_id))?,
        )
        .await?
        .state;
    let issued = earner.credential(credential_id).ok_or(Refusal::NotFound)?;
    let stored = credentials::stored_credential(&state.vault, entry.tenant_id, issued)
        .await?
        .ok_or(Refusal::NotFound)?;
    let publishable = issued.within(earner.consent());
    Ok((entry, stored, publishable))
}

/// A badge class's image (PNG, or SVG when `svg`) with a badge baked in, as served.
pub(crate) fn baked_image(
    content: &BadgeClassContent,
    baked: &Baked,
    svg: bool,
) -> Result<HttpResponse, Refusal> {
    let image = image_bytes(content, svg)?;
    let bytes = bake::bake(&image, baked)
        .map_err(|error| Refusal::Internal(ecusson_app::AppError::Internal(Box::new(error))))?;
    Ok(public_document(
        bytes,
        if svg { "image/svg+xml" } else { "image/png" },
    ))
}

/// The badge class revision a credential's award is for.
async fn credential_content(
    state: &ServerState,
    entry: &ecusson_projections::IssuedEntry,
) -> Result<BadgeClassContent, Refusal> {
    let award = credentials::public_award(&state.ledger, entry.award_id)
        .await?
        .ok_or(Refusal::NotFound)?;
    let (network_id, _) = credentials::network_of(&state.ledger, entry.tenant_id)
        .await?
        .ok_or(Refusal::NotFound)?;
    let (content, _) =
        badge_class_revision(state, network_id, award.badge_class_id, award.revision).await?;
    Ok(content)
}

pub async fn credential(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let (credential_id, form) = credential_path(&path)?;
        let (entry, stored, publishable) = stored(&state, credential_id).await?;
        // A credential that shows more than its earner now agrees to show is no longer
        // published (they keep their copy): as if it did not exist.
        if !publishable {
            return Err(Refusal::NotFound);
        }
        match form {
            // A person following the credential's id lands on the badge's page.
            "" if super::wants_html(&request) => Ok(HttpResponse::SeeOther()
                .insert_header((
                    actix_web::http::header::LOCATION,
                    state.site.badge_page(entry.award_id),
                ))
                .finish()),
            "" | "json" => Ok(public_document(stored.json, "application/ld+json")),
            "jwt" => match stored.jwt {
                Some(jwt) => Ok(public_document(jwt, "application/jwt")),
                None => Err(Refusal::NotFound),
            },
            "png" | "svg" => baked_image(
                &credential_content(&state, &entry).await?,
                &Baked::Ob3(Ob3Credential::Json(stored.json)),
                form == "svg",
            ),
            _ => Err(Refusal::NotFound),
        }
    }
    .await;
    respond(&request, answer)
}

/// Why a badge was revoked is the ledger's record, not the public's: a reason such as
/// misconduct, shown beside a worker's badge, would harm the person the ledger protects. Public
/// documents say that a badge is revoked, and when.
pub(crate) const PUBLIC_REVOCATION_REASON: Option<String> = None;

/// A tenant's 1EdTech revocation list: every credential of every revoked award.
pub async fn revocation_list(
    state: web::Data<ServerState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let answer = async {
        let tenant = path_id(&path, TenantId::parse)?;
        let list = revocation_list_of(&state, tenant).await?;
        Ok(json_document(&list.to_json(), "application/json"))
    }
    .await;
    respond(&request, answer)
}

/// A tenant's revocation list as the read model holds it now (the verification endpoint reads
/// it too, to answer the status of our own credentials without fetching anything).
pub(crate) async fn revocation_list_of(
    state: &ServerState,
    tenant: TenantId,
) -> Result<RevocationList, Refusal> {
    let (network_id, _) = credentials::network_of(&state.ledger, tenant)
        .await?
        .ok_or(Refusal::NotFound)?;
    let revoked = {
        let mut transaction = state.ledger.store().begin_read_only().await?;
        ecusson_projections::credentials::revoked_credentials(transaction.as_mut(), tenant).await?
    };
    Ok(RevocationList {
        id: state.site.revocation_list(tenant),
        issuer: state.site.issuer(network_id),
        revoked_credentials: revoked
            .iter()
            .map(|(issued, _)| RevokedCredential {
                id: state.site.credential(issued.credential_id),
                revoked: true,
                revocation_reason: PUBLIC_REVOCATION_REASON,
            })
            .collect(),
    })
}
