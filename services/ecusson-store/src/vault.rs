//! The per-person vault: names, e-mail addresses, notes, evidence documents — anything
//! personal — encrypted with a key of that person, so that events carry only references
//! (`VaultRef`) and erasure is the destruction of one key (crypto-shredding), never an edit of
//! the log.
//!
//! Each person's 256-bit data key is stored wrapped (XChaCha20-Poly1305) by the installation's
//! key-encryption key ([`VaultKey`], from configuration, never in the database). Every entry is
//! versioned: rectification appends a version, and the history stays readable until erasure.
//! The associated data binds each ciphertext to its tenant, person, entry and version, so a
//! ciphertext copied to another row does not decrypt.

use crate::read_model::SqlValue;
use crate::{EventStore, StoreError};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{SecondsFormat, Utc};
use ecusson_domain::{IssuerKeyId, PersonId, TenantId, VaultEntryId};
use rand::RngCore;
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The installation's key-encryption key. Its `Debug` prints nothing of it.
#[derive(Clone)]
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

impl VaultKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Parses the base64 (standard alphabet) form of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| StoreError::InvalidInput("vault key must be base64".into()))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::InvalidInput("vault key must be 32 bytes".into()))?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// A key for `purpose` derived from this one (HMAC-SHA256 of the purpose): see
    /// [`Vault::derived_key`].
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        use hmac::{Mac, SimpleHmac};
        let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"ecusson/derived-key/");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.0.as_ref()))
    }
}

/// What reading an entry found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultRead {
    /// The latest version's plaintext.
    Present { version: i64, plaintext: Vec<u8> },
    /// No such entry was ever written.
    Missing,
    /// The person's key was destroyed: the data is gone for good.
    Erased,
}

/// The first version of a vault entry, encrypted ahead of the append that refers to it and
/// written by that append, in the same transaction ([`crate::AppendRequest::vault_entries`]).
///
/// The append writes it only if the person's key it was sealed under is still theirs
/// (`sealed_under`, compared under a share lock on the key's row): otherwise nothing at all is
/// appended ([`StoreError::PersonKeyChanged`]), and the vault that sealed it forgets the key.
#[derive(Clone)]
pub struct SealedEntry {
    pub person_id: PersonId,
    pub entry_id: VaultEntryId,
    pub version: i64,
    pub nonce: [u8; 24],
    pub ciphertext: Vec<u8>,
    pub created_at: String,
    /// The wrapped form (`person_key.wrapped_key`) of the key the entry was sealed with.
    pub sealed_under: Vec<u8>,
    /// The cache of the vault that sealed it, told when the append finds the key changed.
    keys: std::sync::Weak<KeyCache>,
}

impl PartialEq for SealedEntry {
    fn eq(&self, other: &Self) -> bool {
        (
            self.person_id,
            self.entry_id,
            self.version,
            &self.nonce,
            &self.ciphertext,
            &self.created_at,
            &self.sealed_under,
        ) == (
            other.person_id,
            other.entry_id,
            other.version,
            &other.nonce,
            &other.ciphertext,
            &other.created_at,
            &other.sealed_under,
        )
    }
}

impl Eq for SealedEntry {}

impl SealedEntry {
    /// Called by an append that found the key changed: the vault that sealed the entry stops
    /// using the key it remembered, so that the next seal reads the person's key again.
    pub(crate) fn key_changed(&self, tenant_id: TenantId) {
        if let Some(keys) = self.keys.upgrade() {
            keys.forget(tenant_id, self.person_id);
        }
    }
}

/// How many persons' unwrapped keys a vault keeps in memory: the active workers of a large
/// network, in a few megabytes (about 250 bytes each with the map's own).
const KEY_CACHE_CAPACITY: usize = 65_536;

/// Persons' keys recently used by this vault, unwrapped, each with the wrapped form it was
/// read as: sealing an entry for them needs no round trip. A key that changed since (erased
/// by another process) is caught by the append that writes the entry, which then writes
/// nothing and makes this cache forget it. The unwrapped keys are zeroed when evicted; they add
/// nothing to what the process already holds, since its installation key unwraps them all.
pub(crate) struct KeyCache(std::sync::Mutex<lru::LruCache<(TenantId, PersonId), CachedKey>>);

#[derive(Clone)]
struct CachedKey {
    key: Zeroizing<[u8; 32]>,
    wrapped: Vec<u8>,
}

impl KeyCache {
    fn new() -> Self {
        Self(std::sync::Mutex::new(lru::LruCache::new(
            std::num::NonZeroUsize::new(KEY_CACHE_CAPACITY).expect("a positive capacity"),
        )))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<(TenantId, PersonId), CachedKey>> {
        // A panic while holding it leaves nothing half-done: a map of whole entries.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, tenant_id: TenantId, person_id: PersonId) -> Option<CachedKey> {
        self.lock().get(&(tenant_id, person_id)).cloned()
    }

    fn put(&self, tenant_id: TenantId, person_id: PersonId, key: CachedKey) {
        self.lock().put((tenant_id, person_id), key);
    }

    fn forget(&self, tenant_id: TenantId, person_id: PersonId) {
        self.lock().pop(&(tenant_id, person_id));
    }
}

impl fmt::Debug for SealedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedEntry")
            .field("person_id", &self.person_id)
            .field("entry_id", &self.entry_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn EventStore>,
    key: VaultKey,
    keys: Arc<KeyCache>,
}

impl Vault {
    pub fn new(store: Arc<dyn EventStore>, key: VaultKey) -> Self {
        Self {
            store,
            key,
            keys: Arc::new(KeyCache::new()),
        }
    }

    /// Stores a new version of an entry and returns its version number (1 for a new entry).
    pub async fn put(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        entry_id: VaultEntryId,
        plaintext: &[u8],
    ) -> Result<i64, StoreError> {
        self.write(tenant_id, person_id, entry_id, plaintext).await
    }

    /// Encrypts the first version of an entry whose id was just drawn, for an append to write
    /// with its events ([`crate::AppendRequest::vault_entries`]): nothing is stored here except,
    /// on the person's first entry, their key. No round trip when this vault used the person's
    /// key recently ([`KeyCache`]), one otherwise.
    ///
    /// On the person's first entry, their key is created by one statement of its own, which
    /// returns it when it won: a concurrent first use keeps the first key, which is then read.
    ///
    /// Should the person's key be destroyed (erasure) between this call and the append, the
    /// append writes nothing ([`StoreError::PersonKeyChanged`]).
    pub async fn seal_new(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        entry_id: VaultEntryId,
        plaintext: &[u8],
    ) -> Result<SealedEntry, StoreError> {
        let key = match self.keys.get(tenant_id, person_id) {
            Some(key) => key,
            None => {
                let key = self.current_key(tenant_id, person_id).await?;
                self.keys.put(tenant_id, person_id, key.clone());
                key
            }
        };
        let (nonce, ciphertext) = encrypt(&key.key, tenant_id, person_id, entry_id, 1, plaintext)?;
        Ok(SealedEntry {
            person_id,
            entry_id,
            version: 1,
            nonce,
            ciphertext,
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
            sealed_under: key.wrapped,
            keys: Arc::downgrade(&self.keys),
        })
    }

    /// The person's key as the database holds it, created on first use.
    async fn current_key(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<CachedKey, StoreError> {
        // The key's read is one statement outside any transaction (coalesced with others').
        let mut reads = crate::read_model::SingleStatements(self.store.clone());
        if let Some(key) = self.stored_key(&mut reads, tenant_id, person_id).await? {
            return Ok(key);
        }
        if let Some(fresh) = self.create_key_once(tenant_id, person_id).await? {
            return Ok(fresh);
        }
        // A concurrent first use won (its insertion committed before ours returned): its key
        // is there for a new statement to read.
        self.stored_key(&mut reads, tenant_id, person_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("person key vanished while writing".into()))
    }

    /// Creates the person's key by one statement in a transaction of its own; returns it when
    /// this call created it, nothing when the person already had one.
    async fn create_key_once(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<Option<CachedKey>, StoreError> {
        let (fresh, wrapped) = self.new_key(tenant_id, person_id)?;
        let created = self
            .store
            .write_once(
                &format!("{CREATE_KEY} returning person_id"),
                &key_row(tenant_id, person_id, wrapped.clone()),
            )
            .await?;
        Ok((!created.is_empty()).then_some(CachedKey {
            key: fresh,
            wrapped,
        }))
    }

    /// A fresh data key for the person, and its wrapped form.
    fn new_key(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), StoreError> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(fresh.as_mut());
        let wrapped = self.wrap(tenant_id, person_id, &fresh)?;
        Ok((fresh, wrapped))
    }

    async fn create_key(
        &self,
        transaction: &mut dyn crate::ReadModelTransaction,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<(), StoreError> {
        let (_, wrapped) = self.new_key(tenant_id, person_id)?;
        transaction
            .execute(CREATE_KEY, &key_row(tenant_id, person_id, wrapped))
            .await?;
        Ok(())
    }

    async fn write(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        entry_id: VaultEntryId,
        plaintext: &[u8],
    ) -> Result<i64, StoreError> {
        let mut transaction = self.store.begin_read_model().await?;
        let tenant = SqlValue::text(tenant_id);
        let person = SqlValue::text(person_id);
        let now = SqlValue::text(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true));

        // Create the person's key on first use; a concurrent first use keeps the first key.
        self.create_key(&mut *transaction, tenant_id, person_id)
            .await?;
        let data_key = self
            .data_key(&mut *transaction, tenant_id, person_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("person key vanished while writing".into()))?;

        let version = {
            let rows = transaction
                .fetch_all(
                    "select coalesce(max(version), 0) from person_data where tenant_id = $1 and person_id = $2 and entry_id = $3",
                    &[tenant.clone(), person.clone(), SqlValue::text(entry_id)],
                )
                .await?;
            rows.first()
                .and_then(|row| row.first())
                .and_then(SqlValue::as_int)
                .unwrap_or(0)
                + 1
        };

        let (nonce, ciphertext) = encrypt(
            &data_key, tenant_id, person_id, entry_id, version, plaintext,
        )?;
        transaction
            .execute(
                "insert into person_data (tenant_id, person_id, entry_id, version, nonce, ciphertext, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7)",
                &[tenant, person, SqlValue::text(entry_id), SqlValue::Int(version), SqlValue::Bytes(nonce.to_vec()), SqlValue::Bytes(ciphertext), now],
            )
            .await?;
        transaction.commit().await?;
        Ok(version)
    }

    /// Reads the latest version of an entry.
    pub async fn get(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        entry_id: VaultEntryId,
    ) -> Result<VaultRead, StoreError> {
        let mut history = self.history(tenant_id, person_id, entry_id).await?;
        Ok(match history.pop() {
            Some(VaultRead::Present { version, plaintext }) => {
                VaultRead::Present { version, plaintext }
            }
            Some(other) => other,
            None => VaultRead::Missing,
        })
    }

    /// Every version of an entry, oldest first (rectification keeps history). After erasure
    /// the answer is a single `Erased`.
    pub async fn history(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        entry_id: VaultEntryId,
    ) -> Result<Vec<VaultRead>, StoreError> {
        let mut transaction = self.store.begin_read_model().await?;
        let rows = transaction
            .fetch_all(
                "select version, nonce, ciphertext from person_data \
                 where tenant_id = $1 and person_id = $2 and entry_id = $3 order by version",
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::text(person_id),
                    SqlValue::text(entry_id),
                ],
            )
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let Some(data_key) = self
            .data_key(&mut *transaction, tenant_id, person_id)
            .await?
        else {
            return Ok(vec![VaultRead::Erased]);
        };
        let cipher = XChaCha20Poly1305::new(data_key.as_ref().into());
        rows.into_iter()
            .map(|row| match row.as_slice() {
                [SqlValue::Int(version), SqlValue::Bytes(nonce), SqlValue::Bytes(ciphertext)]
                    if nonce.len() == 24 =>
                {
                    let aad = data_aad(tenant_id, person_id, entry_id, *version);
                    let plaintext = cipher
                        .decrypt(
                            XNonce::from_slice(nonce),
                            Payload {
                                msg: ciphertext,
                                aad: &aad,
                            },
                        )
                        .map_err(|_| {
                            StoreError::Corrupt(format!(
                                "vault entry {entry_id} version {version} does not decrypt"
                            ))
                        })?;
                    Ok(VaultRead::Present {
                        version: *version,
                        plaintext,
                    })
                }
                _ => Err(StoreError::Corrupt(format!(
                    "vault entry {entry_id} has a malformed row"
                ))),
            })
            .collect()
    }

    /// Every entry of a person with every version (what an access or portability request
    /// hands over), in entry order; empty after erasure.
    pub async fn entries_of(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<Vec<(VaultEntryId, Vec<VaultRead>)>, StoreError> {
        let rows = self
            .store
            .read_once(
                "select distinct entry_id from person_data \
                 where tenant_id = $1 and person_id = $2 order by entry_id",
                &[SqlValue::text(tenant_id), SqlValue::text(person_id)],
            )
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let entry_id = row
                .first()
                .and_then(SqlValue::as_text)
                .and_then(|text| VaultEntryId::parse(text).ok())
                .ok_or_else(|| StoreError::Corrupt("a vault entry id".to_owned()))?;
            entries.push((
                entry_id,
                self.history(tenant_id, person_id, entry_id).await?,
            ));
        }
        Ok(entries)
    }

    /// Destroys the person's key: every entry of theirs becomes unreadable, now and in any
    /// later copy of the database. The ciphertexts are deleted too (they are useless).
    /// Returns whether a key existed.
    pub async fn destroy_key(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<bool, StoreError> {
        self.keys.forget(tenant_id, person_id);
        let mut transaction = self.store.begin_read_model().await?;
        let params = [SqlValue::text(tenant_id), SqlValue::text(person_id)];
        let destroyed = transaction
            .execute(
                "delete from person_key where tenant_id = $1 and person_id = $2",
                &params,
            )
            .await?;
        transaction
            .execute(
                "delete from person_data where tenant_id = $1 and person_id = $2",
                &params,
            )
            .await?;
        transaction.commit().await?;
        Ok(destroyed > 0)
    }

    /// A key for `purpose` derived from the installation's key (HMAC-SHA256 of the purpose):
    /// what signs the capabilities the ledger hands out (single-use links), so that they need
    /// no table and stop working when the installation's key changes.
    pub fn derived_key(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        self.key.derive(purpose)
    }

    /// Stores the private half of an issuer key (32 bytes, an Ed25519 seed), wrapped by the
    /// installation's key like a person's key, bound to its tenant and key id.
    pub async fn put_issuer_secret(
        &self,
        tenant_id: TenantId,
        key_id: IssuerKeyId,
        secret: &[u8; 32],
    ) -> Result<(), StoreError> {
        let wrapped = self.wrap_with(&issuer_key_aad(tenant_id, key_id), secret)?;
        let mut transaction = self.store.begin_read_model().await?;
        transaction
            .execute(
                "insert into issuer_key_secret (tenant_id, key_id, wrapped_key, created_at) \
                 values ($1, $2, $3, $4)",
                &[
                    SqlValue::text(tenant_id),
                    SqlValue::text(key_id),
                    SqlValue::Bytes(wrapped),
                    SqlValue::text(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)),
                ],
            )
            .await?;
        transaction.commit().await
    }

    /// Deletes the private half of an issuer key that was never published (its command was
    /// refused): a secret that signs nothing must not stay behind.
    pub async fn discard_issuer_secret(
        &self,
        tenant_id: TenantId,
        key_id: IssuerKeyId,
    ) -> Result<(), StoreError> {
        let mut transaction = self.store.begin_read_model().await?;
        transaction
            .execute(
                "delete from issuer_key_secret where tenant_id = $1 and key_id = $2",
                &[SqlValue::text(tenant_id), SqlValue::text(key_id)],
            )
            .await?;
        transaction.commit().await
    }

    /// The private half of an issuer key, if this installation holds it.
    pub async fn issuer_secret(
        &self,
        tenant_id: TenantId,
        key_id: IssuerKeyId,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, StoreError> {
        let rows = self
            .store
            .read_once(
                "select wrapped_key from issuer_key_secret where tenant_id = $1 and key_id = $2",
                &[SqlValue::text(tenant_id), SqlValue::text(key_id)],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let Some(SqlValue::Bytes(wrapped)) = row.into_iter().next() else {
            return Err(StoreError::Corrupt(format!(
                "issuer key {key_id} is malformed"
            )));
        };
        self.unwrap_with(&issuer_key_aad(tenant_id, key_id), &wrapped)
            .map(Some)
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "issuer key {key_id} does not unwrap (wrong vault key?)"
                ))
            })
    }

    fn wrap(
        &self,
        tenant_id: TenantId,
        person_id: PersonId,
        data_key: &[u8; 32],
    ) -> Result<Vec<u8>, StoreError> {
        self.wrap_with(&key_aad(tenant_id, person_id), data_key)
    }

    /// Encrypts a 32-byte key under the installation's key: nonce, then ciphertext.
    fn wrap_with(&self, aad: &[u8], data_key: &[u8; 32]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut wrapped = nonce.to_vec();
        wrapped.extend(
            XChaCha20Poly1305::new(self.key.0.as_ref().into())
                .encrypt(XNonce::from_slice(&nonce), Payload { msg: data_key, aad })
                .map_err(|_| StoreError::Corrupt("key wrapping failed".into()))?,
        );
        Ok(wrapped)
    }

    async fn data_key(
        &self,
        transaction: &mut dyn crate::ReadModelTransaction,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, StoreError> {
        Ok(self
            .stored_key(transaction, tenant_id, person_id)
            .await?
            .map(|stored| stored.key))
    }

    /// The person's key row, unwrapped, with its wrapped form.
    async fn stored_key(
        &self,
        transaction: &mut dyn crate::ReadModelTransaction,
        tenant_id: TenantId,
        person_id: PersonId,
    ) -> Result<Option<CachedKey>, StoreError> {
        let rows = transaction
            .fetch_all(
                "select wrapped_key from person_key where tenant_id = $1 and person_id = $2",
                &[SqlValue::text(tenant_id), SqlValue::text(person_id)],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let Some(SqlValue::Bytes(wrapped)) = row.into_iter().next() else {
            return Err(StoreError::Corrupt(format!(
                "person key of {person_id} is malformed"
            )));
        };
        // A wrong installation key lands here too: say so without revealing anything.
        let key = self
            .unwrap_with(&key_aad(tenant_id, person_id), &wrapped)
            .map_err(|_| {
                StoreError::Corrupt(format!(
                    "person key of {person_id} does not unwrap (wrong vault key?)"
                ))
            })?;
        Ok(Some(CachedKey { key, wrapped }))
    }

    /// Decrypts what [`Vault::wrap_with`] wrapped with the same associated data.
    fn unwrap_with(&self, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, ()> {
        if wrapped.len() < 24 {
            return Err(());
        }
        let (nonce, ciphertext) = wrapped.split_at(24);
        let plaintext = Zeroizing::new(
            XChaCha20Poly1305::new(self.key.0.as_ref().into())
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad,
                    },
                )
                .map_err(|_| ())?,
        );
        let key: [u8; 32] = plaintext.as_slice().try_into().map_err(|_| ())?;
        Ok(Zeroizing::new(key))
    }
}

/// A person's key, unless they have one already (a concurrent first use keeps the first).
const CREATE_KEY: &str = "insert into person_key (tenant_id, person_id, wrapped_key, created_at) \
                          values ($1, $2, $3, $4) on conflict (tenant_id, person_id) do nothing";

/// The parameters of [`CREATE_KEY`].
fn key_row(tenant_id: TenantId, person_id: PersonId, wrapped: Vec<u8>) -> [SqlValue; 4] {
    [
        SqlValue::text(tenant_id),
        SqlValue::text(person_id),
        SqlValue::Bytes(wrapped),
        SqlValue::text(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)),
    ]
}

/// Encrypts one version of an entry under the person's data key, with a fresh nonce.
fn encrypt(
    data_key: &[u8; 32],
    tenant_id: TenantId,
    person_id: PersonId,
    entry_id: VaultEntryId,
    version: i64,
    plaintext: &[u8],
) -> Result<([u8; 24], Vec<u8>), StoreError> {
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let aad = data_aad(tenant_id, person_id, entry_id, version);
    let ciphertext = XChaCha20Poly1305::new(data_key.into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Corrupt("encryption failed".into()))?;
    Ok((nonce, ciphertext))
}

fn issuer_key_aad(tenant_id: TenantId, key_id: IssuerKeyId) -> Vec<u8> {
    format!("ecusson/issuer-key/v1/{tenant_id}/{key_id}").into_bytes()
}

fn key_aad(tenant_id: TenantId, person_id: PersonId) -> Vec<u8> {
    format!("ecusson/person-key/v1/{tenant_id}/{person_id}").into_bytes()
}

fn data_aad(
    tenant_id: TenantId,
    person_id: PersonId,
    entry_id: VaultEntryId,
    version: i64,
) -> Vec<u8> {
    format!("ecusson/person-data/v1/{tenant_id}/{person_id}/{entry_id}/{version}").into_bytes()
}
