//! Identifier newtypes. Every identifier is an opaque UUID; none of them carries personal data.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random identifier (UUID v7, time-ordered so that index inserts stay local).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the textual form, rejecting anything that is not a UUID.
            pub fn parse(text: &str) -> Result<Self, crate::DomainError> {
                Uuid::parse_str(text)
                    .map(Self)
                    .map_err(|_| crate::DomainError::InvalidInput(format!("{} is not a valid {}", text, stringify!($name))))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self(Uuid::nil())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }
    };
}

uuid_id!(
    /// A tenant: the regional network itself, or one of its member structures (SIAE).
    TenantId
);
uuid_id!(
    /// A natural person: staff member, worker in insertion (earner), host-company contact.
    /// Names and contact details live in the person vault under this id, never in events.
    PersonId
);
uuid_id!(
    /// An organisation: host company or endorsing organisation.
    OrganisationId
);
uuid_id!(
    /// A pathway (parcours) of the network's catalogue.
    PathwayId
);
uuid_id!(
    /// A badge class of the network's catalogue (all its revisions share this id).
    BadgeClassId
);
uuid_id!(
    /// An attribution committee, possibly pooled between several structures.
    CommitteeId
);
uuid_id!(
    /// One badge request of one earner.
    RequestId
);
uuid_id!(
    /// One award (the assertion) that results from an approved request.
    AwardId
);
uuid_id!(
    /// One piece of evidence (the document itself lives in the vault).
    EvidenceId
);
uuid_id!(
    /// One recommendation, asked for or given spontaneously.
    RecommendationId
);
uuid_id!(
    /// One link through which a worker shares their employability report ("CV 2.0").
    CvShareId
);
uuid_id!(
    /// One endorsement by an organisation.
    EndorsementId
);
uuid_id!(
    /// One of the network's issuer keys (its private half lives encrypted outside the log).
    IssuerKeyId
);
uuid_id!(
    /// One signed Open Badges credential issued for an award (an award may be issued again,
    /// as a new credential, when what it shows changes).
    CredentialId
);
uuid_id!(
    /// One entry of the person vault (a name, an e-mail address, a note, a document).
    VaultEntryId
);

/// A reference to personal data kept in the vault of one person. Events carry this reference
/// instead of the data, so that destroying the person's key erases the data without rewriting
/// any event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VaultRef {
    pub person_id: PersonId,
    pub entry_id: VaultEntryId,
}
