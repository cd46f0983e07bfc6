//! Baking: an Open Badge carried inside its image, so that the picture a person posts or mails
//! is itself the proof, and reading it back (extraction).
//!
//! What each version writes (Open Badges 2.0 "Badge Baking" and Open Badges 3.0 §5.3):
//!
//! | | PNG (`iTXt` chunk, uncompressed, empty language and translated keyword) | SVG (element right after the `<svg>` opening tag) |
//! |---|---|---|
//! | 2.0 | keyword `openbadges`: the assertion's JSON, its URL, or a signed assertion (JWS) | `<openbadges:assertion verify="...">`, `xmlns:openbadges="http://openbadges.org"`: `verify` is the hosted URL (the JSON then goes in a CDATA section) or the JWS (no body) |
//! | 3.0 | keyword `openbadgecredential`: the credential's JSON or a compact JWT (VC-JWT) | `<openbadges:credential>`, `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`: the JSON in a CDATA section, or the JWT in `verify` (no body) |
//!
//! A baked image carries one badge (both specifications say so): baking an image that already
//! carries one, of either version, replaces it. Extraction follows the specifications' reading
//! rule: the first badge found is the badge.
//!
//! Why these crates:
//! - PNG is read with `png` (image-rs): it checks every chunk's CRC, inflates and unfilters the
//!   pixels (so a corrupt image is refused before anything is baked into it) and hands the text
//!   chunks over (`Info::utf8_text`), wherever they sit, before or after the image data. `png`
//!   cannot write it back without re-encoding: its writer takes pixels, not the original
//!   compressed image data, and it forgets the chunks it does not know. Re-encoding would change
//!   bytes the issuer did not ask to change and drop metadata (colour profile, EXIF...). So the
//!   chunk list is edited with `img-parts` (maintained, chunk-level: it keeps every other chunk
//!   byte for byte and computes the new chunk's CRC). The one thing written by hand is the body
//!   of the `iTXt` chunk, five fields separated by NUL bytes (PNG §11.3.4.5), read back by `png`
//!   in the tests.
//! - SVG is read with `quick-xml`'s namespace-aware reader: the root element, the namespace the
//!   `openbadges` prefix is bound to, and where a badge baked earlier starts and ends. The new
//!   image is the original text with those few places edited, so the rest of the document (its
//!   formatting, comments, entities) stays exactly as the issuer wrote it.
//!
//! Inputs are bounded ([`MAX_IMAGE_BYTES`], [`MAX_BADGE_TEXT_BYTES`], [`MAX_PIXEL_BYTES`]):
//! the bytes may come from anyone who uploads a badge to check it.

use std::io::Cursor;
use std::ops::Range;

use img_parts::png::{Png, PngChunk};
use img_parts::Bytes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

/// The largest image baked or read.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The largest badge text (JSON, URL or JWS) baked or read: credentials are a few KiB.
pub const MAX_BADGE_TEXT_BYTES: usize = 1024 * 1024;
/// The most memory a PNG's decoded pixels may take (4096 × 4096 RGBA): a few compressed
/// megabytes can otherwise claim gigabytes.
pub const MAX_PIXEL_BYTES: usize = 64 * 1024 * 1024;

/// The `iTXt` keyword of an Open Badges 2.0 assertion.
pub const PNG_KEYWORD_OB2: &str = "openbadges";
/// The `iTXt` keyword of an Open Badges 3.0 credential.
pub const PNG_KEYWORD_OB3: &str = "openbadgecredential";
/// The namespace of `<openbadges:assertion>` (Open Badges 2.0).
pub const SVG_NAMESPACE_OB2: &str = "http://openbadges.org";
/// The namespace of `<openbadges:credential>` (Open Badges 3.0 §5.3.2.1).
pub const SVG_NAMESPACE_OB3: &str = "https://purl.imsglobal.org/ob/v3p0";
/// Seen in the wild for `<openbadges:credential>` (the context's path, not the one the
/// specification names): accepted when reading, never written.
const SVG_NAMESPACE_OB3_VARIANT: &str = "https://purl.imsglobal.org/spec/ob/v3p0";

/// A badge as carried by an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Baked {
    /// Open Badges 2.0: PNG keyword `openbadges`, SVG `<openbadges:assertion>`.
    Ob2(Ob2Assertion),
    /// Open Badges 3.0: PNG keyword `openbadgecredential`, SVG `<openbadges:credential>`.
    Ob3(Ob3Credential),
}

/// What an Open Badges 2.0 image carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ob2Assertion {
    /// The assertion's JSON (hosted verification). Baking it into an SVG needs its `id`, the
    /// URL it is hosted at (the `verify` attribute).
    Json(String),
    /// The URL of a hosted assertion.
    Url(String),
    /// A signed assertion, in JWS compact serialisation.
    Jws(String),
}

/// What an Open Badges 3.0 image carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ob3Credential {
    /// The credential's JSON (with an embedded proof).
    Json(String),
    /// The credential as a VC-JWT (JWS compact serialisation).
    Jwt(String),
}

impl Baked {
    /// The text as a PNG carries it.
    pub fn text(&self) -> &str {
        match self {
            Baked::Ob2(
                Ob2Assertion::Json(text) | Ob2Assertion::Url(text) | Ob2Assertion::Jws(text),
            )
            | Baked::Ob3(Ob3Credential::Json(text) | Ob3Credential::Jwt(text)) => text,
        }
    }
}

/// The image formats a badge can be baked into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

/// Why an image could not be baked or read.
#[derive(Debug, thiserror::Error)]
pub enum BakeError {
    #[error("the image is {size} bytes; at most {MAX_IMAGE_BYTES} are accepted")]
    ImageTooLarge { size: usize },
    #[error("the badge text is {size} bytes; at most {MAX_BADGE_TEXT_BYTES} are accepted")]
    BadgeTextTooLarge { size: usize },
    #[error("the image is neither PNG nor SVG")]
    UnsupportedFormat,
    #[error("the PNG is malformed: {reason}")]
    MalformedPng { reason: String },
    #[error("the PNG's pixels would take more than {MAX_PIXEL_BYTES} bytes")]
    PngTooLarge,
    #[error("the SVG is malformed: {reason}")]
    MalformedSvg { reason: String },
    /// The `openbadges` prefix of the root element names a namespace that is not Open Badges':
    /// rebinding it could change the meaning of other elements.
    #[error("the SVG binds the prefix `openbadges` to another namespace: {namespace}")]
    PrefixInUse { namespace: String },
    #[error("the image carries no Open Badges data")]
    NotBaked,
    #[error("the badge text is not valid: {reason}")]
    InvalidBadgeText { reason: String },
}

/// The format of `bytes`, from their first bytes only: the PNG signature, or text whose first
/// non-blank character opens a tag (the SVG is parsed later).
pub fn image_format(bytes: &[u8]) -> Option<ImageFormat> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG_SIGNATURE) {
        return Some(ImageFormat::Png);
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = text
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .copied();
    (first == Some(b'<')).then_some(ImageFormat::Svg)
}

/// `image` with `badge` baked in, replacing any badge it carried.
pub fn bake(image: &[u8], badge: &Baked) -> Result<Vec<u8>, BakeError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge { size: image.len() });
    }
    check_badge(badge)?;
    let baked = match image_format(image) {
        Some(ImageFormat::Png) => bake_png(image, badge)?,
        Some(ImageFormat::Svg) => bake_svg(image, badge)?,
        None => return Err(BakeError::UnsupportedFormat),
    };
    // An image we would refuse to read back is not worth handing out.
    if baked.len() > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge { size: baked.len() });
    }
    Ok(baked)
}

/// The badge `bytes` carry (a PNG or an SVG), and of which version. A PNG gives its text back
/// byte for byte; an SVG as an XML reader sees it: without the blanks around it, line ends as
/// line feeds (XML's end-of-line rule; JSON means the same, JWS and URLs have none).
pub fn extract(bytes: &[u8]) -> Result<Baked, BakeError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge { size: bytes.len() });
    }
    match image_format(bytes) {
        Some(ImageFormat::Png) => extract_png(bytes),
        Some(ImageFormat::Svg) => extract_svg(bytes),
        None => Err(BakeError::UnsupportedFormat),
    }
}

// ---------------------------------------------------------------------------------------------
// The badge text
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    Ob2,
    Ob3,
}

/// Refuses a badge whose text is not what its variant says (JSON that does not parse, a URL that
/// is not one): extraction tells the kinds apart by their shape, so a mislabelled badge would
/// come back as something else, or not at all.
fn check_badge(badge: &Baked) -> Result<(), BakeError> {
    let text = badge.text();
    if text.len() > MAX_BADGE_TEXT_BYTES {
        return Err(BakeError::BadgeTextTooLarge { size: text.len() });
    }
    let expected = match badge {
        Baked::Ob2(Ob2Assertion::Json(_)) | Baked::Ob3(Ob3Credential::Json(_)) => "JSON",
        Baked::Ob2(Ob2Assertion::Url(_)) => "URL",
        Baked::Ob2(Ob2Assertion::Jws(_)) | Baked::Ob3(Ob3Credential::Jwt(_)) => "JWS",
    };
    let version = match badge {
        Baked::Ob2(_) => Version::Ob2,
        Baked::Ob3(_) => Version::Ob3,
    };
    let read = classify(version, text.to_owned())?;
    if read != *badge {
        return Err(BakeError::InvalidBadgeText {
            reason: format!("the text does not read back as {expected}"),
        });
    }
    Ok(())
}

/// What a badge text is, from its shape: JSON opens with `{`, a hosted assertion is an HTTP(S)
/// URL, a JWS is three base64url parts. JSON is parsed (a badge that is not JSON is refused);
/// signatures are not checked here.
fn classify(version: Version, text: String) -> Result<Baked, BakeError> {
    if text.len() > MAX_BADGE_TEXT_BYTES {
        return Err(BakeError::BadgeTextTooLarge { size: text.len() });
    }
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        // A JSON text opening with `{` that parses is an object.
        if let Err(error) = serde_json::from_str::<serde_json::Value>(trimmed) {
            return Err(BakeError::InvalidBadgeText {
                reason: format!("invalid JSON: {error}"),
            });
        }
        return Ok(match version {
            Version::Ob2 => Baked::Ob2(Ob2Assertion::Json(text)),
            Version::Ob3 => Baked::Ob3(Ob3Credential::Json(text)),
        });
    }
    let trimmed = trimmed.to_owned();
    if is_compact_jws(&trimmed) {
        return Ok(match version {
            Version::Ob2 => Baked::Ob2(Ob2Assertion::Jws(trimmed)),
            Version::Ob3 => Baked::Ob3(Ob3Credential::Jwt(trimmed)),
        });
    }
    if version == Version::Ob2 && is_http_url(&trimmed) {
        return Ok(Baked::Ob2(Ob2Assertion::Url(trimmed)));
    }
    Err(BakeError::InvalidBadgeText {
        reason: match version {
            Version::Ob2 => "neither JSON, an HTTP(S) URL nor a compact JWS".to_owned(),
            Version::Ob3 => "neither JSON nor a compact JWS".to_owned(),
        },
    })
}

/// `header.payload.signature`, each part non-empty base64url without padding.
fn is_compact_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        })
}

fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest
                .chars()
                .any(|character| character.is_whitespace() || character.is_control())
    })
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

const ITXT: [u8; 4] = *b"iTXt";
const TEXT_CHUNK_TYPES: [[u8; 4]; 3] = [*b"tEXt", *b"zTXt", ITXT];

fn bake_png(image: &[u8], badge: &Baked) -> Result<Vec<u8>, BakeError> {
    // The whole image is decoded first: a corrupt image is refused, not passed on with a badge.
    read_png(image)?;
    let mut png = Png::from_bytes(Bytes::copy_from_slice(image)).map_err(|error| {
        BakeError::MalformedPng {
            reason: error.to_string(),
        }
    })?;
    let chunks = png.chunks_mut();
    chunks.retain(|chunk| !is_badge_chunk(chunk));
    let keyword = match badge {
        Baked::Ob2(_) => PNG_KEYWORD_OB2,
        Baked::Ob3(_) => PNG_KEYWORD_OB3,
    };
    let chunk = PngChunk::new(ITXT, Bytes::from(itxt_body(keyword, badge.text())));
    // Just before IEND: the original's bytes stay in place, up to IEND, and readers find text
    // chunks on either side of the image data (`png` does).
    let end = chunks
        .iter()
        .position(|chunk| chunk.kind() == *b"IEND")
        .unwrap_or(chunks.len());
    chunks.insert(end, chunk);
    Ok(png.encoder().bytes().to_vec())
}

/// The body of an uncompressed `iTXt` chunk (PNG §11.3.4.5): keyword, NUL, compression flag 0,
/// compression method 0, empty language tag, NUL, empty translated keyword, NUL, UTF-8 text.
fn itxt_body(keyword: &str, text: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(keyword.len() + 5 + text.len());
    body.extend_from_slice(keyword.as_bytes());
    body.extend_from_slice(&[0, 0, 0, 0, 0]);
    body.extend_from_slice(text.as_bytes());
    body
}

/// A text chunk of either version's keyword (a legacy `tEXt` included): the chunks a new badge
/// replaces.
fn is_badge_chunk(chunk: &PngChunk) -> bool {
    if !TEXT_CHUNK_TYPES.contains(&chunk.kind()) {
        return false;
    }
    let keyword = chunk.contents().split(|byte| *byte == 0).next();
    matches!(keyword, Some(keyword)
        if keyword == PNG_KEYWORD_OB2.as_bytes() || keyword == PNG_KEYWORD_OB3.as_bytes())
}

fn extract_png(bytes: &[u8]) -> Result<Baked, BakeError> {
    let info = read_png(bytes)?;
    for chunk in &info.utf8_text {
        let version = match chunk.keyword.as_str() {
            PNG_KEYWORD_OB2 => Version::Ob2,
            PNG_KEYWORD_OB3 => Version::Ob3,
            _ => continue,
        };
        // Both specifications say "Compression MUST NOT be used"; a compressed badge text is
        // refused rather than inflated (a few bytes can inflate to a lot).
        if chunk.compressed {
            return Err(BakeError::InvalidBadgeText {
                reason: "the iTXt chunk is compressed, which Open Badges forbids".to_owned(),
            });
        }
        let text = chunk.get_text().map_err(|error| BakeError::MalformedPng {
            reason: error.to_string(),
        })?;
        return classify(version, text);
    }
    // Before the specification, a hosted assertion's URL went in a `tEXt` chunk.
    if let Some(chunk) = info
        .uncompressed_latin1_text
        .iter()
        .find(|chunk| chunk.keyword == PNG_KEYWORD_OB2)
    {
        return classify(Version::Ob2, chunk.text.clone());
    }
    Err(BakeError::NotBaked)
}

/// Decodes the whole PNG (every row, every chunk up to IEND) and returns its metadata.
fn read_png(bytes: &[u8]) -> Result<png::Info<'static>, BakeError> {
    let limits = png::Limits {
        bytes: MAX_PIXEL_BYTES,
    };
    let decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    let mut reader = decoder.read_info().map_err(png_error)?;
    // `png` bounds its own buffers, not the time spent inflating: the image's size is.
    if reader
        .output_buffer_size()
        .is_none_or(|size| size > MAX_PIXEL_BYTES)
    {
        return Err(BakeError::PngTooLarge);
    }
    while reader.next_row().map_err(png_error)?.is_some() {}
    reader.finish().map_err(png_error)?;
    Ok(reader.info().clone())
}

fn png_error(error: png::DecodingError) -> BakeError {
    match error {
        png::DecodingError::LimitsExceeded => BakeError::PngTooLarge,
        error => BakeError::MalformedPng {
            reason: error.to_string(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// SVG
// ---------------------------------------------------------------------------------------------

/// What baking needs to know of an SVG document.
struct SvgLayout {
    root: RootTag,
    /// Every badge element, opening tag to closing tag.
    badges: Vec<Range<usize>>,
}

/// The root element's opening tag.
struct RootTag {
    /// `<` to `>` included.
    range: Range<usize>,
    /// `<svg/>`: the root has no content and no closing tag.
    is_empty: bool,
    /// The qualified name, to close the root when it was empty.
    name: String,
    prefix_binding: Option<PrefixBinding>,
}

/// The root's `xmlns:openbadges` attribute.
struct PrefixBinding {
    namespace: String,
    /// Where the value is written, between the quotes.
    value: Range<usize>,
}

fn svg_text(bytes: &[u8]) -> Result<&str, BakeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BakeError::MalformedSvg {
        reason: "not UTF-8".to_owned(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

fn xml_error(error: impl std::fmt::Display) -> BakeError {
    BakeError::MalformedSvg {
        reason: error.to_string(),
    }
}

/// Which badge element, if any, an element is: its namespace decides, whatever the prefix. An
/// unbound `openbadges:` prefix is read too (bakers have forgotten the declaration), as the
/// specifications' extraction rule names the element, not the namespace.
fn badge_element(namespace: &ResolveResult, start: &BytesStart) -> Option<Version> {
    let local_name = start.local_name();
    let local_name = local_name.as_ref();
    let known = match namespace {
        ResolveResult::Bound(Namespace(namespace)) => match *namespace {
            SVG_NAMESPACE_OB2 => Some(Version::Ob2),
            SVG_NAMESPACE_OB3 | SVG_NAMESPACE_OB3_VARIANT => Some(Version::Ob3),
            _ => None,
        },
        ResolveResult::Unknown(prefix) if prefix == "openbadges" => match local_name {
            "assertion" => Some(Version::Ob2),
            "credential" => Some(Version::Ob3),
            _ => None,
        },
        _ => None,
    };
    // The namespace says Open Badges; the element says which. `credential` in the 2.0
    // namespace is a 3.0 credential baked with the older namespace.
    match (known, local_name) {
        (Some(_), "assertion") => Some(Version::Ob2),
        (Some(_), "credential") => Some(Version::Ob3),
        _ => None,
    }
}

fn is_root_svg(start: &BytesStart) -> bool {
    start.local_name().as_ref() == "svg"
}

/// Where `part`, a slice of `whole` (an attribute value borrowed from the document), starts.
/// `quick-xml` reading a `&str` lends slices of it, so the address difference is the offset.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

fn scan_svg(svg: &str) -> Result<SvgLayout, BakeError> {
    let mut reader = NsReader::from_str(svg);
    let mut root: Option<RootTag> = None;
    let mut badges = Vec::new();
    let mut depth = 0usize;
    let mut root_closed = false;
    loop {
        let before = position(&reader)?;
        let (namespace, event) = reader.read_resolved_event().map_err(xml_error)?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let version = badge_element(&namespace, start);
                let after = position(&reader)?;
                if root.is_none() {
                    if !is_root_svg(start) {
                        return Err(BakeError::MalformedSvg {
                            reason: "the root element is not <svg>".to_owned(),
                        });
                    }
                    root = Some(RootTag {
                        range: before..after,
                        is_empty,
                        name: start.name().as_ref().to_owned(),
                        prefix_binding: prefix_binding(svg, start)?,
                    });
                    if is_empty {
                        root_closed = true;
                    } else {
                        depth = 1;
                    }
                    continue;
                }
                if root_closed {
                    return Err(BakeError::MalformedSvg {
                        reason: "content after the root element".to_owned(),
                    });
                }
                if version.is_some() {
                    if !is_empty {
                        let end = start.to_end().into_owned();
                        reader.read_to_end(end.name()).map_err(xml_error)?;
                    }
                    badges.push(before..position(&reader)?);
                } else if !is_empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| BakeError::MalformedSvg {
                        reason: "a closing tag without its opening tag".to_owned(),
                    })?;
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match root {
        Some(root) if root_closed => Ok(SvgLayout { root, badges }),
        Some(_) => Err(BakeError::MalformedSvg {
            reason: "the root element is not closed".to_owned(),
        }),
        None => Err(BakeError::MalformedSvg {
            reason: "no root element".to_owned(),
        }),
    }
}

fn position<R>(reader: &NsReader<R>) -> Result<usize, BakeError> {
    usize::try_from(reader.buffer_position()).map_err(xml_error)
}

/// The root's `xmlns:openbadges` attribute: its value as written and where that value is.
fn prefix_binding(svg: &str, start: &BytesStart) -> Result<Option<PrefixBinding>, BakeError> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(xml_error)?;
        if attribute.key.as_ref() != "xmlns:openbadges" {
            continue;
        }
        let raw: &str = attribute.value.as_ref();
        let offset = offset_in(svg, raw).ok_or_else(|| BakeError::MalformedSvg {
            reason: "an attribute outside the document".to_owned(),
        })?;
        let namespace = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(xml_error)?
            .into_owned();
        return Ok(Some(PrefixBinding {
            namespace,
            value: offset..offset + raw.len(),
        }));
    }
    Ok(None)
}

fn bake_svg(image: &[u8], badge: &Baked) -> Result<Vec<u8>, BakeError> {
    let svg = svg_text(image)?;
    let layout = scan_svg(svg)?;
    let (namespace, element) = svg_badge_element(badge)?;

    // The root's opening tag ends with `>`, or `/>` when the root is empty.
    let root = &layout.root;
    let tag_end = root.range.end - if root.is_empty { 2 } else { 1 };
    let mut out = String::with_capacity(svg.len() + element.len() + 64);
    // A byte order mark is kept: the image changes only where the badge goes.
    if image.starts_with("\u{feff}".as_bytes()) {
        out.push('\u{feff}');
    }
    match &root.prefix_binding {
        None => {
            out.push_str(&svg[..tag_end]);
            out.push_str(&format!(r#" xmlns:openbadges="{namespace}""#));
        }
        Some(binding) if binding.namespace == namespace => out.push_str(&svg[..tag_end]),
        // Bound by an earlier baking of the other version: that badge is removed below, so the
        // prefix can be rebound.
        Some(binding)
            if [
                SVG_NAMESPACE_OB2,
                SVG_NAMESPACE_OB3,
                SVG_NAMESPACE_OB3_VARIANT,
            ]
            .contains(&binding.namespace.as_str()) =>
        {
            out.push_str(&svg[..binding.value.start]);
            out.push_str(namespace);
            out.push_str(&svg[binding.value.end..tag_end]);
        }
        Some(binding) => {
            return Err(BakeError::PrefixInUse {
                namespace: binding.namespace.clone(),
            })
        }
    }
    out.push('>');
    out.push_str(&element);
    if root.is_empty {
        out.push_str(&format!("</{}>", root.name));
    }
    let mut cursor = root.range.end;
    for badge in &layout.badges {
        out.push_str(&svg[cursor..badge.start]);
        cursor = badge.end;
    }
    out.push_str(&svg[cursor..]);
    Ok(out.into_bytes())
}

/// The element to bake and its namespace.
fn svg_badge_element(badge: &Baked) -> Result<(&'static str, String), BakeError> {
    if let Some(character) = badge
        .text()
        .chars()
        .find(|character| !crate::image::is_xml_char(*character))
    {
        return Err(BakeError::InvalidBadgeText {
            reason: format!("U+{:04X} cannot be written in XML", u32::from(character)),
        });
    }
    Ok(match badge {
        Baked::Ob2(Ob2Assertion::Json(json)) => {
            let url = hosted_url(json)?;
            (
                SVG_NAMESPACE_OB2,
                format!(
                    r#"<openbadges:assertion verify="{}">{}</openbadges:assertion>"#,
                    quick_xml::escape::escape(url.as_str()),
                    cdata(json)
                ),
            )
        }
        Baked::Ob2(Ob2Assertion::Url(text) | Ob2Assertion::Jws(text)) => (
            SVG_NAMESPACE_OB2,
            format!(
                r#"<openbadges:assertion verify="{}"/>"#,
                quick_xml::escape::escape(text.as_str())
            ),
        ),
        Baked::Ob3(Ob3Credential::Json(json)) => (
            SVG_NAMESPACE_OB3,
            format!(
                "<openbadges:credential>{}</openbadges:credential>",
                cdata(json)
            ),
        ),
        Baked::Ob3(Ob3Credential::Jwt(jwt)) => (
            SVG_NAMESPACE_OB3,
            format!(
                r#"<openbadges:credential verify="{}"></openbadges:credential>"#,
                quick_xml::escape::escape(jwt.as_str())
            ),
        ),
    })
}

/// A hosted assertion's URL: its `id` (Open Badges 2.0 hosted verification).
fn hosted_url(json: &str) -> Result<String, BakeError> {
    let document: serde_json::Value =
        serde_json::from_str(json).map_err(|error| BakeError::InvalidBadgeText {
            reason: format!("invalid JSON: {error}"),
        })?;
    match document.get("id").and_then(serde_json::Value::as_str) {
        Some(id) if is_http_url(id) => Ok(id.to_owned()),
        _ => Err(BakeError::InvalidBadgeText {
            reason: "an assertion baked into SVG needs its hosted URL as `id`".to_owned(),
        }),
    }
}

/// `text` in CDATA sections: a `]]>` inside would end the section, so it is split across two
/// (`]]` ends the first, `>` opens the second); a reader joins them back.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

fn extract_svg(bytes: &[u8]) -> Result<Baked, BakeError> {
    let svg = svg_text(bytes)?;
    let mut reader = NsReader::from_str(svg);
    let mut seen_root = false;
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(xml_error)?;
        let (start, is_empty) = match event {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::Eof => return Err(BakeError::NotBaked),
            _ => continue,
        };
        if !seen_root {
            if !is_root_svg(&start) {
                return Err(BakeError::MalformedSvg {
                    reason: "the root element is not <svg>".to_owned(),
                });
            }
            seen_root = true;
            continue;
        }
        let Some(version) = badge_element(&namespace, &start) else {
            continue;
        };
        let mut verify = None;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(xml_error)?;
            if attribute.key.as_ref() == "verify" {
                let value = attribute
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(xml_error)?;
                verify = Some(value.trim().to_owned()).filter(|value| !value.is_empty());
            }
        }
        let body = if is_empty {
            String::new()
        } else {
            element_text(&mut reader)?
        };
        let body = body.trim();
        // The body holds JSON (2.0 hosted, 3.0 embedded proof); without a body, `verify` holds
        // the 2.0 URL or signature, or the 3.0 VC-JWT. Both versions read alike.
        return match verify {
            Some(verify) if body.is_empty() => classify(version, verify),
            _ => classify(version, body.to_owned()),
        };
    }
}

/// The text content of the element just opened (CDATA sections and text joined, references
/// resolved), up to its closing tag. XML's end-of-line rule applies: a carriage return reads as
/// a line feed, as in every XML reader (JSON does not care; JWS and URLs have none).
fn element_text(reader: &mut NsReader<&[u8]>) -> Result<String, BakeError> {
    let mut text = String::new();
    let mut depth = 0usize;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Text(part) => text.push_str(&part.xml10_content()),
            Event::CData(part) => text.push_str(&part.xml10_content()),
            Event::GeneralRef(reference) => {
                let character = reference.resolve_char_ref().map_err(xml_error)?;
                match character {
                    Some(character) => text.push(character),
                    None => {
                        let name = reference.xml10_content();
                        let replacement = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| BakeError::MalformedSvg {
                                reason: format!("unknown entity &{name};"),
                            })?;
                        text.push_str(replacement);
                    }
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Ok(text),
            Event::End(_) => depth -= 1,
            Event::Eof => {
                return Err(BakeError::MalformedSvg {
                    reason: "the badge element is not closed".to_owned(),
                })
            }
            _ => {}
        }
        if text.len() > MAX_BADGE_TEXT_BYTES {
            return Err(BakeError::BadgeTextTooLarge { size: text.len() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_text_is_classified_by_its_shape() {
        let json = r#"{"id":"https://example.org/a/1"}"#.to_owned();
        assert_eq!(
            classify(Version::Ob2, json.clone()).unwrap(),
            Baked::Ob2(Ob2Assertion::Json(json.clone()))
        );
        assert_eq!(
            classify(Version::Ob3, json.clone()).unwrap(),
            Baked::Ob3(Ob3Credential::Json(json))
        );
        assert_eq!(
            classify(Version::Ob2, " https://example.org/a/1\n".to_owned()).unwrap(),
            Baked::Ob2(Ob2Assertion::Url("https://example.org/a/1".to_owned()))
        );
        assert_eq!(
            classify(Version::Ob3, "eyJh.eyJi.c2ln".to_owned()).unwrap(),
            Baked::Ob3(Ob3Credential::Jwt("eyJh.eyJi.c2ln".to_owned()))
        );
        for refused in [
            "https://example.org/a/1",
            "{not json",
            "a.b",
            "a..c",
            "a.b.c d",
        ] {
            assert!(
                matches!(
                    classify(Version::Ob3, refused.to_owned()),
                    Err(BakeError::InvalidBadgeText { .. })
                ),
                "{refused}"
            );
        }
    }

    #[test]
    fn cdata_splits_its_terminator() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }
}
