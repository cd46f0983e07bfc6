//! Ed25519 public keys as Multikey (`z6Mk...`): multibase base58btc of the multicodec
//! `ed25519-pub` prefix (0xed 0x01) and the 32 key bytes.

use ed25519_dalek::VerifyingKey;

const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Why a text is not an Ed25519 Multikey.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MultikeyError {
    #[error("a Multikey starts with 'z' (base58btc)")]
    NotBase58btc,
    #[error("the Multikey is not valid base58")]
    NotBase58,
    #[error("the Multikey is not an Ed25519 public key (0xed01 and 32 bytes)")]
    NotEd25519,
    #[error("the Multikey's bytes are not an Ed25519 point")]
    InvalidPoint,
}

pub fn encode(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

pub fn decode(text: &str) -> Result<VerifyingKey, MultikeyError> {
    let encoded = text.strip_prefix('z').ok_or(MultikeyError::NotBase58btc)?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| MultikeyError::NotBase58)?;
    let key: [u8; 32] = match bytes.split_first_chunk::<2>() {
        Some((prefix, key)) if *prefix == ED25519_PUB => {
            key.try_into().map_err(|_| MultikeyError::NotEd25519)?
        }
        _ => return Err(MultikeyError::NotEd25519),
    };
    VerifyingKey::from_bytes(&key).map_err(|_| MultikeyError::InvalidPoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_vector_key_round_trips() {
        let public: [u8; 32] =
            hex::decode("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
                .unwrap()
                .try_into()
                .unwrap();
        let key = VerifyingKey::from_bytes(&public).unwrap();
        let text = encode(&key);
        assert_eq!(text, "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi");
        assert_eq!(decode(&text).unwrap(), key);
    }

    #[test]
    fn malformed_keys_are_refused_for_what_they_are() {
        assert_eq!(
            decode("6MkjZRZv3aez3r18pB1R"),
            Err(MultikeyError::NotBase58btc)
        );
        assert_eq!(decode("z0OIl"), Err(MultikeyError::NotBase58));
        // The validator fixture's corrupted key: base58, but not 34 bytes.
        assert_eq!(
            decode("z6MkjZRsdasZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"),
            Err(MultikeyError::NotEd25519)
        );
    }
}
