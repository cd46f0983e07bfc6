//! Signed Open Badges 3.0 credentials for awards, and what the public side of the ledger shows
//! of an award.
//!
//! A credential is issued once the badge is awarded: the issuer sweeper ([`issue_pending`],
//! run by `ecusson serve`) finds the standing awards that have none yet, and a worker or their
//! staff may ask for a fresh one ([`issue_credential`]) after changing what is public. The
//! credential is built from the log (the award, the badge class revision, the structure's
//! criterion, the network), from the earner's vault (their name, the evidence they made
//! public), signed twice (a Data Integrity proof with the network's Ed25519 key, a VC-JWT with
//! its P-256 key), sealed into the earner's vault (it may carry their name and evidence, so
//! erasing them erases it) and recorded by `earner.credential_issued`, with the digest of what
//! was signed. The log thus knows what it issued and when: what a verifier needs to tell a
//! credential signed before a key's compromise from one forged after.
//!
//! The earner's name goes into the credential only when they agreed to show it (a hashed name
//! would not protect it: the salt is printed beside the hash and names are a small dictionary);
//! they are always named by a salted hash of their random id. Only evidence the earner made
//! public goes in.

use crate::keys::{self, LedgerKeys};
use crate::{AppError, Executed, Ledger, RequestMeta};
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_badges::credential::{
    Achievement, AchievementAlignment, AchievementCredential, EvidenceItem, Profile,
    RecipientIdentity,
};
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_domain::catalogue::{BadgeClass, Pathway};
use ecusson_domain::earner::{Award, IssuedCredential};
use ecusson_domain::issuer_keys::IssuerKey;
use ecusson_domain::{
    Actor, Adoption, AwardId, BadgeClassContent, BadgeClassId, CredentialId, CriterionDefinition,
    DomainError, Earner, EarnerCommand, EndorsementId, Evidence, EvidenceId, EvidenceKind,
    IssueCredential, IssuerKeyId, IssuerKeys, KeyAlgorithm, Network, OrganisationId, PersonId,
    RecommendationId, SkillType, TenantId, VaultEntryId, VaultRef,
};
use ecusson_projections::{AwardEntry, AwardStanding};
use ecusson_store::{IdempotencyKey, StoreError, StreamId, Vault, VaultRead};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where the ledger is published: every URL a credential names starts here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicSite {
    base: String,
}

impl PublicSite {
    /// `base` is the public address of the installation (`https://badges.example`, or
    /// `http://127.0.0.1:8080` on a development machine), without a trailing slash.
    pub fn new(base: &str) -> Result<Self, AppError> {
        let base = base.trim_end_matches('/');
        let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
        let host = base.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if !scheme_ok || host.is_empty() || host.contains(char::is_whitespace) {
            return Err(AppError::Domain(DomainError::InvalidInput(format!(
                "the public address must be an http(s) URL, not {base:?}"
            ))));
        }
        Ok(Self {
            base: base.to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The host (and port) of the public address, without the scheme.
    pub fn host(&self) -> &str {
        self.base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, host)| host)
    }

    /// The network as issuer: its Open Badges profile, which is also the controller document
    /// of its keys.
    pub fn issuer(&self, network: TenantId) -> String {
        format!("{}/networks/{network}", self.base)
    }

    /// An organisation of the network (a host company, an endorser) as the issuer of its
    /// endorsements: its profile, and the controller document of the keys the ledger signs
    /// with on its behalf.
    pub fn organisation(&self, network: TenantId, organisation: OrganisationId) -> String {
        format!("{}/organisations/{organisation}", self.issuer(network))
    }

    /// An organisation's endorsement of the network or of a badge class.
    pub fn endorsement(&self, network: TenantId, endorsement: EndorsementId) -> String {
        format!("{}/endorsements/{endorsement}", self.issuer(network))
    }

    /// A host company's public recommendation of an award.
    pub fn recommendation(&self, award_id: AwardId, recommendation: RecommendationId) -> String {
        format!(
            "{}/recommendations/{recommendation}",
            self.badge_page(award_id)
        )
    }

    /// A structure as the assessing party.
    pub fn structure(&self, structure: TenantId) -> String {
        format!("{}/structures/{structure}", self.base)
    }

    /// The id of a key in the issuer's document: `<issuer>#<multikey>` for the Ed25519 keys
    /// of Data Integrity proofs (a verifier that knows 1EdTech's convention reads the key from
    /// the fragment without fetching anything), `<issuer>/keys/<key id>` for the P-256 keys of
    /// VC-JWTs (a JWT's `kid` must dereference to the bare JWK, which that URL serves).
    pub fn key_method(&self, network: TenantId, key: &IssuerKey) -> String {
        match key.algorithm {
            KeyAlgorithm::Ed25519 => {
                format!("{}#{}", self.issuer(network), key.public_key_multibase)
            }
            KeyAlgorithm::P256 => self.jwt_key(network, key.key_id),
        }
    }

    pub fn jwt_key(&self, network: TenantId, key_id: IssuerKeyId) -> String {
        format!("{}/keys/{key_id}", self.issuer(network))
    }

    pub fn credential(&self, credential_id: CredentialId) -> String {
        format!("{}/credentials/{credential_id}", self.base)
    }

    /// A worker's shared CV (its PDF: the same with `.pdf`).
    pub fn cv_page(&self, token: &str) -> String {
        format!("{}/cv/{token}", self.base)
    }

    /// The public page of an award (what the QR code points to).
    pub fn badge_page(&self, award_id: AwardId) -> String {
        format!("{}/badges/{award_id}", self.base)
    }

    /// One revision of a badge class of the network's catalogue as an Open Badges 3.0
    /// `Achievement`.
    pub fn achievement(
        &self,
        network: TenantId,
        badge_class_id: BadgeClassId,
        revision: u32,
    ) -> String {
        format!(
            "{}/achievements/{badge_class_id}/{revision}",
            self.issuer(network)
        )
    }

    /// The image of a revision of a badge class (`png` or `svg`).
    pub fn achievement_image(
        &self,
        network: TenantId,
        badge_class_id: BadgeClassId,
        revision: u32,
        extension: &str,
    ) -> String {
        format!(
            "{}/image.{extension}",
            self.achievement(network, badge_class_id, revision)
        )
    }

    /// A tenant's 1EdTech revocation list.
    pub fn revocation_list(&self, tenant: TenantId) -> String {
        format!("{}/status/{tenant}/revocations", self.base)
    }

    /// Open Badges 2.0 hosted documents.
    pub fn ob2_assertion(&self, award_id: AwardId) -> String {
        format!("{}/ob2/assertions/{award_id}", self.base)
    }

    pub fn ob2_badge_class(
        &self,
        network: TenantId,
        badge_class_id: BadgeClassId,
        revision: u32,
    ) -> String {
        format!(
            "{}/badge-classes/{badge_class_id}/{revision}",
            self.ob2_issuer(network)
        )
    }

    pub fn ob2_issuer(&self, network: TenantId) -> String {
        format!("{}/ob2/issuers/{network}", self.base)
    }

    /// The verification page, where anyone checks a badge file.
    pub fn verify_page(&self) -> String {
        format!("{}/verify", self.base)
    }
}

/// Everything the log says about one award, gathered for a credential or a public page.
#[derive(Clone, Debug)]
pub struct AwardFacts {
    pub tenant_id: TenantId,
    pub network_id: TenantId,
    pub network: Network,
    /// The structure that assessed the worker, with its name; none for a supporter, whose
    /// record is in the network's own tenant.
    pub structure: Option<(TenantId, String)>,
    pub earner_id: PersonId,
    pub earner: Earner,
    pub award_id: AwardId,
    pub award: Award,
    /// The badge class revision the award is for.
    pub content: BadgeClassContent,
    pub pathway_name: Option<String>,
    /// The structure's own criterion for the class.
    pub criterion: Option<CriterionDefinition>,
    pub issuer_keys: IssuerKeys,
}

impl AwardFacts {
    /// The network's public name (its id when, impossibly, it has none).
    pub fn network_name(&self) -> String {
        self.network
            .name()
            .map_or_else(|| self.network_id.to_string(), str::to_owned)
    }

    /// The criteria as a reader needs them: the network's, then the structure's own.
    pub fn criteria_narrative(&self) -> String {
        let mut narrative = self.content.criteria_narrative.clone();
        if let (Some(criterion), Some((_, structure))) = (&self.criterion, &self.structure) {
            narrative.push_str(&format!(
                "\n\nCritère de {structure} : {}\nPreuve attendue : {}",
                criterion.criterion, criterion.evidence
            ));
        }
        narrative
    }

    /// Every piece of evidence of the award: given with the request, and added since.
    pub fn all_evidence(&self) -> Vec<Evidence> {
        let mut evidence: Vec<Evidence> = self
            .earner
            .request(self.award.request_id)
            .map(|request| request.evidence.clone())
            .unwrap_or_default();
        evidence.extend(self.award.evidence.iter().copied());
        evidence
    }

    /// The evidence the earner made public.
    pub fn public_evidence(&self) -> Vec<Evidence> {
        let consent = self.earner.consent();
        self.all_evidence()
            .into_iter()
            .filter(|piece| consent.public_evidence.contains(&piece.evidence_id))
            .collect()
    }

    /// The evidence the earner made public, with its text from their vault (a piece erased or
    /// never written is left out), as credentials, assertions and pages show it.
    pub async fn public_evidence_texts(
        &self,
        vault: &Vault,
    ) -> Result<Vec<PublicEvidenceText>, AppError> {
        evidence_texts(vault, self.tenant_id, self.public_evidence()).await
    }
}

/// Pieces of evidence with their text from the earner's vault (a piece erased or never written
/// is left out).
pub async fn evidence_texts(
    vault: &Vault,
    tenant: TenantId,
    pieces: impl IntoIterator<Item = Evidence>,
) -> Result<Vec<PublicEvidenceText>, AppError> {
    let mut texts = Vec::new();
    for piece in pieces {
        let Some(text) = vault_text(vault, tenant, piece.content).await? else {
            continue;
        };
        let link = (piece.kind == EvidenceKind::Link
            && (text.starts_with("https://") || text.starts_with("http://")))
        .then(|| text.clone());
        texts.push(PublicEvidenceText {
            evidence_id: piece.evidence_id,
            kind: piece.kind,
            text,
            link,
        });
    }
    Ok(texts)
}

/// A piece of public evidence with its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicEvidenceText {
    pub evidence_id: EvidenceId,
    pub kind: EvidenceKind,
    pub text: String,
    /// The text, when it is a web address (a link piece): what a page may link to.
    pub link: Option<String>,
}

/// The tenant's network: the structure's, from the directory, or the tenant itself when it is
/// a network (supporters are enrolled there).
pub async fn network_of(
    ledger: &Ledger,
    tenant: TenantId,
) -> Result<Option<(TenantId, Option<String>)>, AppError> {
    let entry = {
        let mut transaction = ledger.store().begin_read_only().await?;
        ecusson_projections::directory::structure(transaction.as_mut(), tenant)
            .await
            .map_err(|error| AppError::Internal(Box::new(error)))?
    };
    if let Some(entry) = entry {
        return Ok(Some((entry.network_id, Some(entry.name))));
    }
    let own = ledger
        .load::<Network>(tenant, &stream(Network::stream_name())?)
        .await?;
    Ok((own.state.network_id() == Some(tenant)).then_some((tenant, None)))
}

fn stream(name: String) -> Result<StreamId, AppError> {
    Ok(StreamId::parse(name)?)
}

/// The facts of an award, or `None` when the earner or the award is unknown in `tenant`.
pub async fn award_facts(
    ledger: &Ledger,
    tenant: TenantId,
    earner_id: PersonId,
    award_id: AwardId,
) -> Result<Option<AwardFacts>, AppError> {
    let Some((network_id, structure_name)) = network_of(ledger, tenant).await? else {
        return Ok(None);
    };
    let mut batch = ledger.batch();
    let earner_slot = batch.fresh::<Earner>(tenant, stream(Earner::stream_name(earner_id))?);
    let network_slot = batch.cached::<Network>(network_id, stream(Network::stream_name())?);
    let keys_slot = batch.fresh::<IssuerKeys>(network_id, stream(IssuerKeys::stream_name())?);
    let mut loaded = batch.load().await?;
    let earner = loaded.take(earner_slot).await?.state;
    let network = loaded.take(network_slot).await?.state;
    let issuer_keys = loaded.take(keys_slot).await?.state;
    // An erased earner's awards have no public facts: no page, no assertion, no credential.
    let Some(award) = earner
        .award(award_id)
        .cloned()
        .filter(|_| !earner.is_erased())
    else {
        return Ok(None);
    };
    let mut batch = ledger.batch();
    let class_slot = batch.cached::<BadgeClass>(
        network_id,
        stream(BadgeClass::stream_name(award.badge_class_id))?,
    );
    let adoption_slot =
        (network_id != tenant)
            .then(|| {
                Ok::<_, AppError>(batch.cached::<Adoption>(
                    tenant,
                    stream(Adoption::stream_name(award.badge_class_id))?,
                ))
            })
            .transpose()?;
    let mut loaded = batch.load().await?;
    let class = loaded.take(class_slot).await?.state;
    let criterion = match adoption_slot {
        Some(slot) => loaded.take(slot).await?.state.criterion().cloned(),
        None => None,
    };
    let content = class.content_of(award.revision).cloned().ok_or_else(|| {
        AppError::internal(StoreError::Corrupt(format!(
            "award {award_id} names revision {} of a badge class that lacks it",
            award.revision
        )))
    })?;
    let pathway = ledger
        .load::<Pathway>(
            network_id,
            &stream(Pathway::stream_name(content.pathway_id))?,
        )
        .await?
        .state;
    Ok(Some(AwardFacts {
        tenant_id: tenant,
        network_id,
        network,
        structure: structure_name.map(|name| (tenant, name)),
        earner_id,
        earner,
        award_id,
        award,
        content,
        pathway_name: pathway.definition().map(|pathway| pathway.name.clone()),
        criterion,
        issuer_keys,
    }))
}

/// French words for a skill type, as badge pages and credential tags show it.
pub fn skill_type_label(skill_type: SkillType) -> &'static str {
    match skill_type {
        SkillType::SavoirFaire => "savoir-faire",
        SkillType::SavoirEtre => "savoir-être",
    }
}

/// French words for a kind of evidence.
pub fn evidence_kind_label(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Document => "Document",
        EvidenceKind::Link => "Lien",
        EvidenceKind::Narrative => "Récit",
        EvidenceKind::Photo => "Photo",
    }
}

/// A vault entry's text, or `None` when it is gone (erased) or was never written.
pub async fn vault_text(
    vault: &Vault,
    tenant: TenantId,
    reference: VaultRef,
) -> Result<Option<String>, AppError> {
    match vault
        .get(tenant, reference.person_id, reference.entry_id)
        .await?
    {
        VaultRead::Present { plaintext, .. } => {
            Ok(Some(String::from_utf8(plaintext).map_err(|_| {
                AppError::internal(StoreError::Corrupt("a vault text is not UTF-8".into()))
            })?))
        }
        VaultRead::Missing | VaultRead::Erased => Ok(None),
    }
}

fn seconds(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The salt of an earner's hashed identities in the credentials of one award: fixed per award,
/// so that the credentials issued again for it name the earner the same way, and different
/// between awards, so that two of a worker's badges cannot be linked through it.
pub fn recipient_salt(award_id: AwardId) -> String {
    let digest = Sha256::digest(format!("ecusson/recipient-salt/{award_id}").as_bytes());
    hex::encode(&digest[..8])
}

/// What of the earner's a credential discloses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disclosure {
    pub shows_name: bool,
    pub public_evidence: Vec<EvidenceId>,
}

/// The unsigned credential an award gets now, and what it discloses.
pub async fn build_credential(
    facts: &AwardFacts,
    vault: &Vault,
    site: &PublicSite,
    credential_id: CredentialId,
) -> Result<(Value, Disclosure), AppError> {
    let mut disclosure = Disclosure::default();
    let issuer = Profile {
        id: site.issuer(facts.network_id),
        name: facts.network_name(),
        url: Some(site.base().to_owned()),
    };
    let content = &facts.content;
    let mut tags = Vec::new();
    if let Some(pathway) = &facts.pathway_name {
        tags.push(pathway.clone());
    }
    tags.push(skill_type_label(content.skill_type).to_owned());
    let achievement = Achievement {
        id: site.achievement(
            facts.network_id,
            facts.award.badge_class_id,
            facts.award.revision,
        ),
        name: content.name.clone(),
        description: content.description.clone(),
        criteria_narrative: facts.criteria_narrative(),
        image: Some(site.achievement_image(
            facts.network_id,
            facts.award.badge_class_id,
            facts.award.revision,
            "png",
        )),
        tags,
        version: Some(facts.award.revision.to_string()),
        creator: Some(issuer.clone()),
        alignments: content
            .alignments
            .iter()
            .map(|alignment| AchievementAlignment {
                target_name: alignment.target_name.clone(),
                target_url: alignment.target_url.clone(),
                target_code: alignment.target_code.clone(),
            })
            .collect(),
    };
    // The worker, by a salted hash of their random id (the ledger can tell it is theirs,
    // nobody can link two of their badges through it, and no dictionary recovers it), and by
    // their name only if they chose to show it. Never a hashed name: the salt is printed beside
    // the hash, and a list of French names would recover it.
    let mut recipient = vec![RecipientIdentity {
        identity_type: "identifier",
        value: format!("urn:uuid:{}", facts.earner_id),
        salt: Some(recipient_salt(facts.award_id)),
    }];
    if let (true, Some(reference)) = (facts.earner.consent().show_name, facts.earner.name()) {
        if let Some(name) = vault_text(vault, facts.tenant_id, reference).await? {
            disclosure.shows_name = true;
            recipient.push(RecipientIdentity {
                identity_type: "name",
                value: name,
                salt: None,
            });
        }
    }
    let evidence = facts
        .public_evidence_texts(vault)
        .await?
        .into_iter()
        .map(|piece| {
            disclosure.public_evidence.push(piece.evidence_id);
            EvidenceItem {
                id: piece.link,
                name: Some(evidence_kind_label(piece.kind).to_owned()),
                narrative: piece.text,
            }
        })
        .collect();
    let credential = AchievementCredential {
        id: site.credential(credential_id),
        name: content.name.clone(),
        issuer,
        achievement,
        subject_id: None,
        recipient,
        source: facts.structure.as_ref().map(|(structure, name)| Profile {
            id: site.structure(*structure),
            name: name.clone(),
            url: None,
        }),
        valid_from: seconds(facts.award.awarded_at),
        valid_until: facts.award.expires_at.map(seconds),
        evidence,
        revocation_list: Some(site.revocation_list(facts.tenant_id)),
    }
    .to_json();
    Ok((credential, disclosure))
}

/// A credential as the vault keeps it: the JSON-LD text exactly as signed (its digest is in the
/// log), and the VC-JWT when the network had a P-256 key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCredential {
    pub json: String,
    pub jwt: Option<String>,
}

impl StoredCredential {
    fn to_bytes(&self) -> Vec<u8> {
        serde_json::json!({ "credential": self.json, "jwt": self.jwt })
            .to_string()
            .into_bytes()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let document: Value = serde_json::from_slice(bytes).ok()?;
        Some(Self {
            json: document.get("credential")?.as_str()?.to_owned(),
            jwt: document
                .get("jwt")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// SHA-256 of the JSON-LD text, lowercase hex: what `earner.credential_issued` records.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.json.as_bytes()))
    }
}

/// Why an award got no credential now.
#[derive(Debug, thiserror::Error)]
pub enum NotIssued {
    #[error("the network has no active Ed25519 issuer key (ecusson keys generate)")]
    NoIssuerKey,
    #[error("award {0} is unknown")]
    UnknownAward(AwardId),
}

/// Builds, signs and records a new credential for an award, acting as `actor` (the earner,
/// their staff, or the ledger itself). Answers the earner's state after the issuance.
pub async fn issue_credential(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    actor: &Actor,
    earner_id: PersonId,
    award_id: AwardId,
    meta: RequestMeta,
) -> Result<Result<(Executed<Earner>, CredentialId), NotIssued>, AppError> {
    // The credential is built from what the earner agrees to show when it is built; should
    // they change their mind before it is recorded, the domain refuses it and it is built
    // again from their new choice.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match issue_once(
            ledger,
            vault,
            site,
            actor,
            earner_id,
            award_id,
            meta.clone(),
        )
        .await
        {
            Err(AppError::Domain(DomainError::RuleViolated(message)))
                if attempts < 3 && message.contains("discloses more") => {}
            outcome => return outcome,
        }
    }
}

/// One attempt of [`issue_credential`].
async fn issue_once(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    actor: &Actor,
    earner_id: PersonId,
    award_id: AwardId,
    meta: RequestMeta,
) -> Result<Result<(Executed<Earner>, CredentialId), NotIssued>, AppError> {
    let tenant = actor.tenant_id;
    let Some(facts) = award_facts(ledger, tenant, earner_id, award_id).await? else {
        return Ok(Err(NotIssued::UnknownAward(award_id)));
    };
    let network = facts.network_id;
    let Some((proof_key_id, signing_key)) =
        keys::active_signing_key(ledger, vault, network).await?
    else {
        return Ok(Err(NotIssued::NoIssuerKey));
    };
    let jwt_key = keys::active_jwt_key(ledger, vault, network).await?;
    let credential_id = CredentialId::new();
    let (unsigned, disclosure) = build_credential(&facts, vault, site, credential_id).await?;
    let proof_key = facts
        .issuer_keys
        .key(proof_key_id)
        .ok_or_else(|| AppError::internal(StoreError::Corrupt("the active key vanished".into())))?;
    let signed_at = ledger.now();
    let signed = ecusson_badges::sign(
        &unsigned,
        &signing_key,
        &ProofOptions {
            verification_method: site.key_method(network, proof_key),
            created: seconds(signed_at),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .map_err(|error| AppError::Internal(Box::new(error)))?;
    let jwt = match &jwt_key {
        Some((key_id, secret)) => Some(
            ecusson_badges::jwt::sign_credential_at(
                &unsigned,
                &ecusson_badges::jwt::Es256Key::new(secret.clone(), site.jwt_key(network, *key_id)),
                signed_at,
            )
            .map_err(|error| AppError::Internal(Box::new(error)))?,
        ),
        None => None,
    };
    let stored = StoredCredential {
        json: signed.to_string(),
        jwt,
    };
    let entry_id = VaultEntryId::new();
    let sealed = vault
        .seal_new(tenant, earner_id, entry_id, &stored.to_bytes())
        .await?;
    let command = EarnerCommand::IssueCredential(IssueCredential {
        credential_id,
        award_id,
        proof_key_id,
        jwt_key_id: jwt_key.as_ref().map(|(key_id, _)| *key_id),
        document: VaultRef {
            person_id: earner_id,
            entry_id,
        },
        digest: stored.digest(),
        shows_name: disclosure.shows_name,
        public_evidence: disclosure.public_evidence,
    });
    let mut meta = meta;
    meta.vault_entries = vec![sealed];
    let executed = ledger
        .execute::<Earner, _>(
            actor,
            tenant,
            &stream(Earner::stream_name(earner_id))?,
            &meta,
            |_| Ok(command.clone()),
        )
        .await?;
    // An answer replayed from an earlier attempt names that attempt's credential.
    let issued = executed
        .events
        .iter()
        .find_map(|event| match event {
            ecusson_domain::DomainEvent::CredentialIssued(issued) => Some(issued.credential_id),
            _ => None,
        })
        .unwrap_or(credential_id);
    Ok(Ok((executed, issued)))
}

/// What one sweep of the issuer did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IssuanceReport {
    pub issued: usize,
    /// Awards of networks that have no issuer key yet (they are issued once it exists).
    pub waiting_for_key: usize,
    /// Awards the read model listed that the log had already settled (revoked, expired,
    /// issued by another node).
    pub already_settled: usize,
    /// Awards whose issuance failed (logged), left for the next sweep.
    pub failed: usize,
}

/// Issues a credential for every standing award that has none, across tenants, as the ledger
/// itself, reading the awards `page` at a time. An idempotency key per award makes several nodes
/// sweeping at once issue one credential. A network without keys has its awards skipped for the
/// rest of the sweep (they wait, and do not hold up other networks'); an award that fails for
/// another reason is logged and skipped, so that one bad record does not stop the others.
pub async fn issue_pending(
    ledger: &Ledger,
    vault: &Vault,
    site: &PublicSite,
    page: usize,
) -> Result<IssuanceReport, AppError> {
    let mut report = IssuanceReport::default();
    let mut keyless = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let pending: Vec<AwardEntry> = {
            let mut transaction = ledger.store().begin_read_only().await?;
            ecusson_projections::credentials::awards_awaiting_credential(
                transaction.as_mut(),
                after,
                page,
            )
            .await
            .map_err(|error| AppError::Internal(Box::new(error)))?
        };
        let last_page = pending.len() < page;
        after = pending
            .last()
            .map(|award| (award.tenant_id, award.award_id));
        for award in pending {
            if keyless.contains(&award.tenant_id) {
                report.waiting_for_key += 1;
                continue;
            }
            let key = format!("credential/{}", award.award_id);
            let meta = RequestMeta {
                idempotency_key: Some(IdempotencyKey::new(&key, key.as_bytes())?),
                ..RequestMeta::default()
            };
            let outcome = issue_credential(
                ledger,
                vault,
                site,
                &Actor::ledger(award.tenant_id),
                award.earner_id,
                award.award_id,
                meta,
            )
            .await;
            match outcome {
                Ok(Ok((executed, _))) if !executed.replayed => report.issued += 1,
                Ok(Ok(_)) | Ok(Err(NotIssued::UnknownAward(_))) => report.already_settled += 1,
                Ok(Err(NotIssued::NoIssuerKey)) => {
                    keyless.insert(award.tenant_id);
                    report.waiting_for_key += 1;
                }
                Err(AppError::Domain(DomainError::RuleViolated(_))) => {
                    report.already_settled += 1;
                }
                Err(error) => {
                    tracing::error!(
                        error = %error,
                        tenant.id = %award.tenant_id,
                        award.id = %award.award_id,
                        "an award's credential could not be issued; the others go on"
                    );
                    report.failed += 1;
                }
            }
        }
        if last_page {
            break;
        }
    }
    if report.issued > 0 {
        tracing::info!(issued = report.issued, "issued credentials");
    }
    Ok(report)
}

/// A credential as the vault keeps it, and its record in the log; `None` when unknown or gone
/// with its earner's erasure.
pub async fn stored_credential(
    vault: &Vault,
    tenant: TenantId,
    issued: &IssuedCredential,
) -> Result<Option<StoredCredential>, AppError> {
    match vault
        .get(tenant, issued.document.person_id, issued.document.entry_id)
        .await?
    {
        VaultRead::Present { plaintext, .. } => {
            let stored = StoredCredential::from_bytes(&plaintext).ok_or_else(|| {
                AppError::internal(StoreError::Corrupt(format!(
                    "credential {} is malformed in the vault",
                    issued.credential_id
                )))
            })?;
            if stored.digest() != issued.digest {
                return Err(AppError::internal(StoreError::Corrupt(format!(
                    "credential {} does not match the digest the log recorded",
                    issued.credential_id
                ))));
            }
            Ok(Some(stored))
        }
        VaultRead::Missing | VaultRead::Erased => Ok(None),
    }
}

/// An award as the public side finds it from its id alone: its tenant and earner, and where it
/// stands (from the credentials read model).
pub async fn public_award(
    ledger: &Ledger,
    award_id: AwardId,
) -> Result<Option<AwardEntry>, AppError> {
    let mut transaction = ledger.store().begin_read_only().await?;
    let entry = ecusson_projections::credentials::award_by_id(transaction.as_mut(), award_id)
        .await
        .map_err(|error| AppError::Internal(Box::new(error)))?;
    // An erased earner's awards are not public any more.
    Ok(entry.filter(|entry| !entry.erased))
}

/// The keys the verifier takes from the log for a network, with the issuance dates of this
/// ledger's credentials: a credential signed with a key since revoked verifies only if the log
/// recorded its issuance before the compromise.
pub struct IssuedKeys {
    keys: LedgerKeys,
    /// The same keys as an organisation's document lists them (endorsements).
    organisations: Vec<LedgerKeys>,
    state: IssuerKeys,
    issued: std::collections::HashMap<String, DateTime<Utc>>,
}

impl IssuedKeys {
    pub fn new(site: &PublicSite, network: TenantId, keys: &IssuerKeys) -> Self {
        Self {
            keys: LedgerKeys::new(keys, &site.issuer(network), |key| {
                site.key_method(network, key)
            }),
            organisations: Vec::new(),
            state: keys.clone(),
            issued: std::collections::HashMap::new(),
        }
    }

    /// Also the keys the ledger signs with on behalf of the organisation at `organisation_url`.
    pub fn speaking_for(mut self, organisation_url: &str) -> Self {
        self.organisations
            .push(crate::endorsements::organisation_keys(
                &self.state,
                organisation_url,
            ));
        self
    }

    /// Records that the log issued `credential_url` at `issued_at`.
    pub fn with_issuance(mut self, credential_url: String, issued_at: DateTime<Utc>) -> Self {
        self.issued.insert(credential_url, issued_at);
        self
    }
}

impl ecusson_badges::verify::KeyResolver for IssuedKeys {
    fn resolve(&self, verification_method: &str) -> Option<ecusson_badges::verify::ResolvedKey> {
        self.keys.resolve(verification_method).or_else(|| {
            self.organisations
                .iter()
                .find_map(|keys| keys.resolve(verification_method))
        })
    }

    fn issuance_recorded(&self, credential_id: &str) -> Option<DateTime<Utc>> {
        self.issued.get(credential_id).copied()
    }
}

/// Where an award stands now, for its public page: the read model's answer, with an award
/// past its date counted as expired before the sweeper records it.
pub fn standing_at(entry: &AwardEntry, now: DateTime<Utc>) -> AwardStanding {
    match entry.state {
        AwardStanding::Active if entry.expires_at.is_some_and(|until| now >= until) => {
            AwardStanding::Expired
        }
        state => state,
    }
}
