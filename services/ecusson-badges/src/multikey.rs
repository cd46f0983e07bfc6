//! Public keys as Multikey: multibase base58btc of a multicodec prefix and the key. Ed25519
//! (`z6Mk...`): `ed25519-pub` (0xed 0x01) and the 32 key bytes; P-256 (`zDna...`): `p256-pub`
//! (0x80 0x24) and the 33-byte compressed point.

use ed25519_dalek::VerifyingKey;

use p256::elliptic_curve::sec1::ToEncodedPoint as _;

const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const P256_PUB: [u8; 2] = [0x80, 0x24];

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
    #[error("the Multikey is not a P-256 public key (0x8024 and a 33-byte compressed point)")]
    NotP256,
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

pub fn encode_p256(key: &p256::PublicKey) -> String {
    let mut bytes = P256_PUB.to_vec();
    bytes.extend_from_slice(key.to_encoded_point(true).as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

pub fn decode_p256(text: &str) -> Result<p256::PublicKey, MultikeyError> {
    let encoded = text.strip_prefix('z').ok_or(MultikeyError::NotBase58btc)?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| MultikeyError::NotBase58)?;
    match bytes.split_first_chunk::<2>() {
        Some((prefix, point)) if *prefix == P256_PUB && point.len() == 33 => {
            p256::PublicKey::from_sec1_bytes(point).map_err(|_| MultikeyError::InvalidPoint)
        }
        _ => Err(MultikeyError::NotP256),
    }
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
    fn p256_keys_round_trip_as_zdna_multikeys() {
        let secret = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let text = encode_p256(&secret.public_key());
        assert!(text.starts_with("zDna"), "{text}");
        assert_eq!(text.len(), 49);
        assert_eq!(decode_p256(&text).unwrap(), secret.public_key());
        // Neither kind passes for the other.
        assert_eq!(decode(&text), Err(MultikeyError::NotEd25519));
        assert_eq!(
            decode_p256("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"),
            Err(MultikeyError::NotP256)
        );
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
