//! The JSON-LD contexts a credential may name, bundled with the binary: signing and verifying
//! never fetch anything, and a context's bytes cannot change under a signature.

/// (URL, bytes) of every bundled context.
pub const BUNDLED: [(&str, &[u8]); 6] = [
    (
        "https://www.w3.org/ns/credentials/v2",
        include_bytes!("../contexts/credentials-v2.jsonld"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        include_bytes!("../contexts/ob-v3p0-context-3.0.3.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        include_bytes!("../contexts/ob-v3p0-extensions.json"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        include_bytes!("../contexts/data-integrity-v2.jsonld"),
    ),
    (
        "https://w3id.org/security/multikey/v1",
        include_bytes!("../contexts/multikey-v1.jsonld"),
    ),
    // Open Badges 2.0 hosted documents (`crate::ob2`): not signed here, but expanded by the
    // tests, and by verifiers, with exactly these bytes.
    (
        "https://w3id.org/openbadges/v2",
        include_bytes!("../contexts/openbadges-v2-context.json"),
    ),
];

/// The bundled context for `url`, if any.
pub fn bundled(url: &str) -> Option<&'static [u8]> {
    BUNDLED
        .iter()
        .find(|(known, _)| *known == url)
        .map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// The bytes are part of every signature: a change must be deliberate.
    #[test]
    fn the_bundled_contexts_are_the_pinned_bytes() {
        let pinned = [
            (
                "https://www.w3.org/ns/credentials/v2",
                "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
            ),
            (
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
            ),
            (
                "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
                "2d013f981d1f4516081a6a04e55468ba2b071d4153b794f19a79715c45a89a5e",
            ),
            (
                "https://w3id.org/security/data-integrity/v2",
                "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
            ),
            (
                "https://w3id.org/security/multikey/v1",
                "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6",
            ),
            (
                "https://w3id.org/openbadges/v2",
                "3c0c25a0e581c64cbe632197377c4f334c6c0b95f0d90e3b74449781612b153d",
            ),
        ];
        assert_eq!(pinned.len(), super::BUNDLED.len());
        for (url, digest) in pinned {
            let bytes = super::bundled(url).expect("bundled");
            let actual: String = Sha256::digest(bytes)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(actual, digest, "{url}");
        }
        assert!(super::bundled("https://example.com/context.json").is_none());
    }
}
