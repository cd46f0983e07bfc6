//! RFC 9162 §2.1.1 hashing: SHA-256 with a one-byte prefix that keeps a leaf from ever being
//! taken for an interior node (0x00 for leaves, 0x01 for nodes), the second-preimage defence of
//! Certificate Transparency.

use sha2::{Digest as _, Sha256};

/// A SHA-256 output: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree, SHA-256 of nothing (RFC 9162 §2.1.1: MTH({}) = HASH()).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: SHA-256(0x00 ‖ data). In Écusson's trees the data is an event's
/// 32-byte chain hash.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(text: &str) -> Hash {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// Known answers from transparency-dev/merkle, `rfc6962/rfc6962_test.go`
    /// (`TestRFC6962Hasher`).
    #[test]
    fn known_answers() {
        assert_eq!(
            EMPTY_ROOT,
            hex32("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest([])));
        assert_eq!(
            leaf_hash(b""),
            hex32("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        );
        assert_eq!(
            leaf_hash(b"L123456"),
            hex32("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
        );
        // The Go test hashes two 4-byte strings, which `node_hash` (32-byte children) cannot
        // take; the root of the two-leaf tree of transparency-dev/merkle's `proof/verify_test.go`
        // (`roots[1]`, leaves "" and 0x00) checks it instead.
        assert_eq!(
            node_hash(&leaf_hash(b""), &leaf_hash(&[0x00])),
            hex32("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
        );
    }

    #[test]
    fn domain_separation() {
        let (a, b) = (leaf_hash(b"Hello"), leaf_hash(b"World"));
        assert_ne!(a, b);
        let node = node_hash(&a, &b);
        assert_ne!(node, node_hash(&b, &a), "order matters");
        assert_ne!(node, leaf_hash(&[a, b].concat()), "a node is not a leaf");
    }
}
