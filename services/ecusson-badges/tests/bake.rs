//! Badge class images and baking: the generated images are what the ledger bakes into, so the
//! baking tests use them. Every badge is read back with the same public API a verifier of
//! uploaded images would use, and the PNGs are also decoded with `png` directly, to check what
//! the files hold rather than what our own reader says.

mod common;

use ecusson_badges::bake::{
    bake, extract, image_format, BakeError, Baked, ImageFormat, Ob2Assertion, Ob3Credential,
    MAX_BADGE_TEXT_BYTES, MAX_IMAGE_BYTES, PNG_KEYWORD_OB2, PNG_KEYWORD_OB3, SVG_NAMESPACE_OB2,
    SVG_NAMESPACE_OB3,
};
use ecusson_badges::image::{
    badge_class_png, badge_class_svg, pathway_colour, BadgeClassFacts, ImageError, SkillType,
    PATHWAY_PALETTE,
};
use ecusson_badges::ob2;
use img_parts::png::{Png, PngChunk};
use img_parts::Bytes;
use quick_xml::events::Event;

fn facts(skill_type: SkillType) -> BadgeClassFacts {
    BadgeClassFacts {
        name: "Conduire un chariot « CACES 3 » & <ranger> l'œuvre".to_owned(),
        pathway: "0193a1b2-0000-7000-8000-00000000beef".to_owned(),
        skill_type,
    }
}

fn png_image() -> Vec<u8> {
    badge_class_png(&facts(SkillType::SavoirFaire), 64).unwrap()
}

fn svg_image() -> Vec<u8> {
    badge_class_svg(&facts(SkillType::SavoirEtre)).into_bytes()
}

/// Pixels and geometry of a PNG, decoded by `png` alone.
fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).expect("pixels");
    (info, pixels)
}

/// The badge text chunks `png` finds in a PNG, with everything it says about them.
fn badge_chunks(bytes: &[u8]) -> Vec<png::text_metadata::ITXtChunk> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).expect("pixels");
    reader.finish().expect("the chunks after the image data");
    reader
        .info()
        .utf8_text
        .iter()
        .filter(|chunk| [PNG_KEYWORD_OB2, PNG_KEYWORD_OB3].contains(&chunk.keyword.as_str()))
        .cloned()
        .collect()
}

/// An OB 2.0 hosted assertion with French text, as the ledger writes it.
fn assertion_json() -> String {
    ob2::Assertion {
        id: "https://ecusson.example/ob2/assertions/0193a1b2".to_owned(),
        recipient: ob2::HashedIdentity::email("alice@example.org", "sel"),
        badge: "https://ecusson.example/ob2/badge-classes/7c1d".to_owned(),
        issued_on: "2026-11-23T08:00:00Z".to_owned(),
        expires: None,
        evidence: vec![ob2::Evidence {
            id: None,
            narrative: "A tenu le poste « cariste » trois mois ; œuvre saluée, très appréciée."
                .to_owned(),
        }],
    }
    .to_json()
    .to_string()
}

/// A signed OB 3.0 credential, as the ledger signs it.
fn credential_json() -> String {
    let (credential, _key) = common::signed_credential();
    credential.to_string()
}

const JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2Vjd\
XNzb24uZXhhbXBsZSJ9.c2lnbmF0dXJlLWJ5dGVz";

/// One badge of each kind either version can carry.
fn every_kind_of_badge() -> Vec<Baked> {
    vec![
        Baked::Ob2(Ob2Assertion::Json(assertion_json())),
        Baked::Ob2(Ob2Assertion::Url(
            "https://ecusson.example/ob2/assertions/0193a1b2".to_owned(),
        )),
        Baked::Ob2(Ob2Assertion::Jws(JWT.to_owned())),
        Baked::Ob3(Ob3Credential::Json(credential_json())),
        Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned())),
    ]
}

// ---------------------------------------------------------------------------------------------
// The generated images
// ---------------------------------------------------------------------------------------------

#[test]
fn the_same_facts_give_the_same_bytes() {
    for skill_type in [SkillType::SavoirFaire, SkillType::SavoirEtre] {
        let facts = facts(skill_type);
        assert_eq!(badge_class_svg(&facts), badge_class_svg(&facts.clone()));
        assert_eq!(
            badge_class_png(&facts, 128).unwrap(),
            badge_class_png(&facts.clone(), 128).unwrap()
        );
    }
    // And other facts give other bytes: the inputs are really used.
    let mut other = facts(SkillType::SavoirFaire);
    other.name.push_str(" bis");
    assert_ne!(
        badge_class_svg(&other),
        badge_class_svg(&facts(SkillType::SavoirFaire))
    );
}

#[test]
fn the_svg_is_well_formed_and_says_the_name() {
    let facts = facts(SkillType::SavoirFaire);
    let svg = badge_class_svg(&facts);
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut elements = Vec::new();
    let mut view_box = None;
    let mut fills = Vec::new();
    let mut title = String::new();
    let mut lines: Vec<String> = Vec::new();
    let mut open = Vec::new();
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match &event {
            Event::Start(element) | Event::Empty(element) => {
                let name = element.name().as_ref().to_owned();
                for attribute in element.attributes() {
                    let attribute = attribute.expect("a well-formed attribute");
                    match attribute.key.as_ref() {
                        "viewBox" => view_box = Some(attribute.value.to_string()),
                        "fill" => fills.push(attribute.value.to_string()),
                        _ => {}
                    }
                }
                if matches!(event, Event::Start(_)) {
                    open.push(name.clone());
                }
                if name == "tspan" {
                    lines.push(String::new());
                }
                elements.push(name);
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(text) => {
                let text = text.xml10_content().into_owned();
                match open.last().map(String::as_str) {
                    Some("title") => title.push_str(&text),
                    Some("tspan") => lines.last_mut().unwrap().push_str(&text),
                    _ => {}
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference.xml10_content();
                let character = quick_xml::escape::resolve_predefined_entity(&name)
                    .expect("a predefined entity");
                match open.last().map(String::as_str) {
                    Some("title") => title.push_str(character),
                    Some("tspan") => lines.last_mut().unwrap().push_str(character),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(elements.first().map(String::as_str), Some("svg"));
    assert_eq!(view_box.as_deref(), Some("0 0 512 512"));
    assert_eq!(title, facts.name, "the title is the whole name, unescaped");
    // The name is written on the emblem, on at most three lines.
    assert!((1..=3).contains(&lines.len()), "{lines:?}");
    let words = lines.join(" ");
    assert!(words.starts_with("Conduire un"), "{words}");
    assert!(words.contains("« CACES 3 » & <ranger>"), "{words}");
    // The emblem (a shield for savoir-faire) is in the pathway's colour.
    assert!(elements.iter().any(|name| name == "path"));
    assert!(
        fills.contains(&pathway_colour(&facts.pathway).hex()),
        "{fills:?}"
    );
}

#[test]
fn the_png_emblem_is_in_the_pathway_colour_and_its_shape_says_the_skill_type() {
    let shield = facts(SkillType::SavoirFaire);
    let medallion = facts(SkillType::SavoirEtre);
    let colour = pathway_colour(&shield.pathway);
    let pixel = |pixels: &[u8], x: usize, y: usize| -> [u8; 4] {
        let at = (y * 512 + x) * 4;
        pixels[at..at + 4].try_into().unwrap()
    };
    let opaque = [colour.red, colour.green, colour.blue, 0xff];
    for facts in [&shield, &medallion] {
        let (info, pixels) = decode(&badge_class_png(facts, 512).unwrap());
        assert_eq!((info.width, info.height), (512, 512));
        assert_eq!(info.color_type, png::ColorType::Rgba);
        // The centre is the emblem's colour; the corner is transparent.
        assert_eq!(pixel(&pixels, 256, 256), opaque);
        assert_eq!(pixel(&pixels, 2, 2)[3], 0);
    }
    // Near the shield's upper corner, outside the medallion's circle.
    assert_eq!(
        pixel(&decode(&badge_class_png(&shield, 512).unwrap()).1, 60, 100),
        opaque
    );
    assert_eq!(
        pixel(
            &decode(&badge_class_png(&medallion, 512).unwrap()).1,
            60,
            100
        )[3],
        0
    );
    // Another pathway of another colour changes the pixels.
    let other = PATHWAY_PALETTE
        .iter()
        .find(|candidate| **candidate != colour)
        .unwrap();
    let pathway = (0..)
        .map(|index| format!("pathway-{index}"))
        .find(|pathway| pathway_colour(pathway) == *other)
        .unwrap();
    let (_, pixels) = decode(
        &badge_class_png(
            &BadgeClassFacts {
                pathway,
                ..shield.clone()
            },
            512,
        )
        .unwrap(),
    );
    assert_eq!(
        pixel(&pixels, 256, 256),
        [other.red, other.green, other.blue, 0xff]
    );
}

#[test]
fn white_text_is_readable_on_every_pathway_colour() {
    // WCAG 2.x relative luminance and contrast ratio; 4.5:1 is AA for normal text.
    fn channel(value: u8) -> f64 {
        let value = f64::from(value) / 255.0;
        if value <= 0.04045 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    }
    for colour in PATHWAY_PALETTE {
        let luminance = 0.2126 * channel(colour.red)
            + 0.7152 * channel(colour.green)
            + 0.0722 * channel(colour.blue);
        let contrast = (1.0 + 0.05) / (luminance + 0.05);
        assert!(contrast >= 4.5, "{} has {contrast:.2}:1", colour.hex());
    }
}

#[test]
fn a_png_size_out_of_bounds_is_refused() {
    let facts = facts(SkillType::SavoirEtre);
    assert!(matches!(
        badge_class_png(&facts, 0),
        Err(ImageError::InvalidSize(0))
    ));
    assert!(matches!(
        badge_class_png(&facts, 100_000),
        Err(ImageError::InvalidSize(100_000))
    ));
}

// ---------------------------------------------------------------------------------------------
// Baking and extraction
// ---------------------------------------------------------------------------------------------

#[test]
fn every_kind_of_badge_round_trips_through_png_and_svg() {
    for image in [png_image(), svg_image()] {
        for badge in every_kind_of_badge() {
            let baked = bake(&image, &badge).unwrap_or_else(|error| panic!("{badge:?}: {error}"));
            assert_eq!(image_format(&baked), image_format(&image));
            assert_eq!(extract(&baked).unwrap(), badge);
        }
    }
}

#[test]
fn the_png_chunk_is_an_uncompressed_itxt_with_the_version_keyword() {
    for (badge, keyword) in [
        (
            Baked::Ob2(Ob2Assertion::Json(assertion_json())),
            PNG_KEYWORD_OB2,
        ),
        (
            Baked::Ob3(Ob3Credential::Json(credential_json())),
            PNG_KEYWORD_OB3,
        ),
    ] {
        let chunks = badge_chunks(&bake(&png_image(), &badge).unwrap());
        assert_eq!(chunks.len(), 1);
        let chunk = &chunks[0];
        assert_eq!(chunk.keyword, keyword);
        assert!(!chunk.compressed);
        assert_eq!(chunk.language_tag, "");
        assert_eq!(chunk.translated_keyword, "");
        assert_eq!(chunk.get_text().unwrap(), badge.text());
    }
}

#[test]
fn baking_a_png_adds_one_chunk_and_changes_nothing_else() {
    let image = png_image();
    let badge = Baked::Ob3(Ob3Credential::Json(credential_json()));
    let baked = bake(&image, &badge).unwrap();
    // The original's bytes are all there, in order, with the chunk before the final IEND (the
    // last 12 bytes of a PNG).
    let (body, end) = image.split_at(image.len() - 12);
    assert_eq!(&end[4..8], b"IEND");
    assert!(baked.starts_with(body));
    assert!(baked.ends_with(end));
    assert_eq!(&baked[body.len() + 4..body.len() + 8], b"iTXt");
    // So the image is the same image.
    let (original_info, original_pixels) = decode(&image);
    let (baked_info, baked_pixels) = decode(&baked);
    assert_eq!(
        (original_info.width, original_info.height),
        (baked_info.width, baked_info.height)
    );
    assert_eq!(original_info.color_type, baked_info.color_type);
    assert_eq!(original_pixels, baked_pixels);
}

#[test]
fn french_text_survives_byte_for_byte() {
    let json = assertion_json();
    assert!(json.contains("« cariste »") && json.contains("œuvre") && json.contains("é"));
    for image in [png_image(), svg_image()] {
        let baked = bake(&image, &Baked::Ob2(Ob2Assertion::Json(json.clone()))).unwrap();
        match extract(&baked).unwrap() {
            Baked::Ob2(Ob2Assertion::Json(text)) => assert_eq!(text.as_bytes(), json.as_bytes()),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn rebaking_replaces_the_badge_of_either_version() {
    let ob2 = Baked::Ob2(Ob2Assertion::Json(assertion_json()));
    let ob3 = Baked::Ob3(Ob3Credential::Json(credential_json()));
    let jwt = Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()));
    for image in [png_image(), svg_image()] {
        // Baking the same badge twice gives the image baked once.
        let once = bake(&image, &ob3).unwrap();
        assert_eq!(bake(&once, &ob3).unwrap(), once);
        // Another badge, of the other version, then a third: only the last one remains.
        let twice = bake(&bake(&once, &ob2).unwrap(), &jwt).unwrap();
        assert_eq!(extract(&twice).unwrap(), jwt);
        assert_eq!(twice, bake(&image, &jwt).unwrap());
        match image_format(&image) {
            Some(ImageFormat::Png) => assert_eq!(badge_chunks(&twice).len(), 1),
            Some(ImageFormat::Svg) => {
                let svg = String::from_utf8(twice).unwrap();
                assert_eq!(svg.matches("<openbadges:").count(), 1, "{svg}");
                assert_eq!(svg.matches("xmlns:openbadges=").count(), 1, "{svg}");
                assert!(svg.contains(&format!(r#"xmlns:openbadges="{SVG_NAMESPACE_OB3}""#)));
            }
            None => unreachable!(),
        }
    }
}

#[test]
fn the_svg_element_follows_each_version_of_the_specification() {
    let svg = svg_image();
    let root_end = String::from_utf8(svg.clone()).unwrap().find('>').unwrap() + 1;
    let after_root = |baked: &[u8]| -> String {
        let baked = std::str::from_utf8(baked).unwrap();
        let end = baked.find('>').unwrap() + 1;
        baked[end..].to_owned()
    };

    // 2.0 hosted: `verify` is the assertion's URL, the JSON in CDATA; right after `<svg ...>`.
    let json = assertion_json();
    let baked = bake(&svg, &Baked::Ob2(Ob2Assertion::Json(json.clone()))).unwrap();
    let expected = format!(
        r#"<openbadges:assertion verify="https://ecusson.example/ob2/assertions/0193a1b2"><![CDATA[{json}]]></openbadges:assertion>"#
    );
    assert!(after_root(&baked).starts_with(&expected));
    let root = std::str::from_utf8(&baked).unwrap();
    let root = &root[..root.find('>').unwrap()];
    assert!(root.contains(&format!(r#"xmlns:openbadges="{SVG_NAMESPACE_OB2}""#)));
    // The rest of the image is untouched.
    assert!(after_root(&baked).ends_with(std::str::from_utf8(&svg[root_end..]).unwrap()));

    // 3.0 embedded proof: no `verify`, the JSON in CDATA.
    let json = credential_json();
    let baked = bake(&svg, &Baked::Ob3(Ob3Credential::Json(json.clone()))).unwrap();
    assert!(after_root(&baked).starts_with(&format!(
        "<openbadges:credential><![CDATA[{json}]]></openbadges:credential>"
    )));

    // 3.0 VC-JWT: the JWT in `verify`, no body.
    let baked = bake(&svg, &Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()))).unwrap();
    assert!(after_root(&baked).starts_with(&format!(
        r#"<openbadges:credential verify="{JWT}"></openbadges:credential>"#
    )));
}

#[test]
fn a_cdata_terminator_inside_the_json_is_split_and_round_trips() {
    let json = serde_json::json!({
        "@context": "https://w3id.org/openbadges/v2",
        "id": "https://ecusson.example/ob2/assertions/1",
        "type": "Assertion",
        "evidence": [{ "narrative": "a[b[c]]>d ]]> ]]]]> fin" }],
    })
    .to_string();
    let badge = Baked::Ob2(Ob2Assertion::Json(json.clone()));
    let baked = String::from_utf8(bake(&svg_image(), &badge).unwrap()).unwrap();
    // Written as is, the text would end the CDATA section early.
    assert!(!baked.contains(&json));
    assert_eq!(extract(baked.as_bytes()).unwrap(), badge);
}

#[test]
fn svg_documents_of_other_shapes_are_baked_in_place() {
    let badge = Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()));
    // A prolog, a comment, single quotes, an empty root, a namespace prefix on the root.
    for svg in [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- badge -->\n<!DOCTYPE svg>\n\
         <svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='10' \
         height='10'/></svg>\n",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"/>",
        "<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"><s:rect width=\"1\" height=\"1\"/></s:svg>",
        "\u{feff}<svg xmlns=\"http://www.w3.org/2000/svg\" ><g/></svg>",
    ] {
        let baked = bake(svg.as_bytes(), &badge).unwrap_or_else(|error| panic!("{svg}: {error}"));
        assert_eq!(extract(&baked).unwrap(), badge, "{svg}");
        let text = String::from_utf8(baked).unwrap();
        // Everything after the root's opening tag is still there.
        let prolog_and_root = svg.find("svg ").unwrap();
        let rest = &svg[svg[prolog_and_root..].find('>').unwrap() + prolog_and_root + 1..];
        if !rest.is_empty() {
            assert!(text.ends_with(rest), "{text}");
        }
        assert!(text.starts_with(&svg[..prolog_and_root]), "{text}");
    }
}

#[test]
fn badges_baked_elsewhere_the_way_the_specifications_show_are_read() {
    let json = assertion_json();
    // The OB 2.0 specification's example: indented, the CDATA section surrounded by blanks.
    let ob2 = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"\n     \
         xmlns:openbadges=\"http://openbadges.org\"\n     viewBox=\"0 0 512 512\">\n  \
         <openbadges:assertion verify=\"https://ecusson.example/ob2/assertions/0193a1b2\">\n    \
         <![CDATA[\n{json}\n    ]]>\n  </openbadges:assertion>\n  <circle r=\"1\"/>\n</svg>\n"
    );
    assert_eq!(
        extract(ob2.as_bytes()).unwrap(),
        Baked::Ob2(Ob2Assertion::Json(json))
    );
    // A signed 2.0 badge: the signature in `verify`, a self-closing tag.
    let signed = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"{SVG_NAMESPACE_OB2}\">\
         <openbadges:assertion verify=\"{JWT}\"/></svg>"
    );
    assert_eq!(
        extract(signed.as_bytes()).unwrap(),
        Baked::Ob2(Ob2Assertion::Jws(JWT.to_owned()))
    );
    // A legacy PNG: the hosted assertion's URL in a `tEXt` chunk.
    let mut png = Png::from_bytes(Bytes::from(png_image())).unwrap();
    let end = png.chunks().len() - 1;
    png.chunks_mut().insert(
        end,
        PngChunk::new(
            *b"tEXt",
            Bytes::from_static(b"openbadges\0https://ecusson.example/ob2/assertions/9"),
        ),
    );
    let legacy = png.encoder().bytes().to_vec();
    assert_eq!(
        extract(&legacy).unwrap(),
        Baked::Ob2(Ob2Assertion::Url(
            "https://ecusson.example/ob2/assertions/9".to_owned()
        ))
    );
}

#[test]
fn damaged_and_foreign_inputs_are_refused_for_what_they_are() {
    let badge = Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()));
    let image = png_image();
    let baked = bake(&image, &badge).unwrap();

    // Truncated PNGs: in the image data, and just before the end.
    for truncated in [&image[..image.len() / 2], &baked[..baked.len() - 6]] {
        assert!(
            matches!(extract(truncated), Err(BakeError::MalformedPng { .. })),
            "{:?}",
            extract(truncated)
        );
        assert!(matches!(
            bake(truncated, &badge),
            Err(BakeError::MalformedPng { .. })
        ));
    }
    // A flipped bit in the image data fails its chunk's CRC.
    let mut corrupt = image.clone();
    let idat = corrupt
        .windows(4)
        .position(|window| window == b"IDAT")
        .unwrap();
    corrupt[idat + 8] ^= 0x01;
    assert!(matches!(
        extract(&corrupt),
        Err(BakeError::MalformedPng { .. })
    ));
    assert!(matches!(
        bake(&corrupt, &badge),
        Err(BakeError::MalformedPng { .. })
    ));

    // Not an image at all; an image of another format.
    for foreign in [
        &b"hello"[..],
        b"",
        b"GIF89a\x01\x00\x01\x00",
        b"\xff\xd8\xff\xe0",
    ] {
        assert!(matches!(
            extract(foreign),
            Err(BakeError::UnsupportedFormat)
        ));
        assert!(matches!(
            bake(foreign, &badge),
            Err(BakeError::UnsupportedFormat)
        ));
    }
    // XML that is not an SVG, or not well-formed.
    for bad in [
        "<html><body/></html>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><g></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><g>",
        "<svg/><svg/>",
        "<svg a=\"1\" a=\"2\"/>",
    ] {
        assert!(
            matches!(
                bake(bad.as_bytes(), &badge),
                Err(BakeError::MalformedSvg { .. })
            ),
            "{bad}: {:?}",
            bake(bad.as_bytes(), &badge)
        );
    }
    assert!(matches!(
        extract(b"<html><body/></html>"),
        Err(BakeError::MalformedSvg { .. })
    ));
    assert!(matches!(
        extract(b"\xff\xfe<\x00s\x00"),
        Err(BakeError::UnsupportedFormat | BakeError::MalformedSvg { .. })
    ));

    // Images with no badge.
    assert!(matches!(extract(&image), Err(BakeError::NotBaked)));
    assert!(matches!(extract(&svg_image()), Err(BakeError::NotBaked)));

    // The `openbadges` prefix already names something else.
    let taken = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"urn:other\"/>";
    assert!(matches!(
        bake(taken.as_bytes(), &badge),
        Err(BakeError::PrefixInUse { namespace }) if namespace == "urn:other"
    ));
}

#[test]
fn badge_texts_that_are_not_what_they_claim_are_refused() {
    for badge in [
        Baked::Ob2(Ob2Assertion::Json("{\"id\": ".to_owned())),
        Baked::Ob2(Ob2Assertion::Url("ftp://example.org/a".to_owned())),
        Baked::Ob2(Ob2Assertion::Url(" https://example.org/a".to_owned())),
        Baked::Ob2(Ob2Assertion::Jws("not.a jws.at all".to_owned())),
        Baked::Ob3(Ob3Credential::Jwt("only.two".to_owned())),
        Baked::Ob3(Ob3Credential::Json("[1, 2]".to_owned())),
    ] {
        for image in [png_image(), svg_image()] {
            assert!(
                matches!(
                    bake(&image, &badge),
                    Err(BakeError::InvalidBadgeText { .. })
                ),
                "{badge:?}"
            );
        }
    }
    // An SVG carries a hosted assertion's URL in `verify`: JSON without one cannot be baked.
    let no_url = Baked::Ob2(Ob2Assertion::Json(r#"{"type":"Assertion"}"#.to_owned()));
    assert!(matches!(
        bake(&svg_image(), &no_url),
        Err(BakeError::InvalidBadgeText { .. })
    ));
    assert!(bake(&png_image(), &no_url).is_ok());
    // XML cannot carry U+FFFF, even in CDATA; a PNG's UTF-8 text can.
    let nonchar = Baked::Ob3(Ob3Credential::Json("{\"name\":\"\u{ffff}\"}".to_owned()));
    assert!(matches!(
        bake(&svg_image(), &nonchar),
        Err(BakeError::InvalidBadgeText { .. })
    ));
    assert_eq!(
        extract(&bake(&png_image(), &nonchar).unwrap()).unwrap(),
        nonchar
    );
}

#[test]
fn oversized_inputs_are_refused_before_any_work() {
    let badge = Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()));
    // An image over the bound, whatever it holds.
    let mut huge = png_image();
    huge.resize(MAX_IMAGE_BYTES + 1, 0);
    assert!(matches!(
        extract(&huge),
        Err(BakeError::ImageTooLarge { size }) if size == MAX_IMAGE_BYTES + 1
    ));
    assert!(matches!(
        bake(&huge, &badge),
        Err(BakeError::ImageTooLarge { .. })
    ));
    // A badge text over the bound.
    let long = format!(
        "{{\"narrative\":\"{}\"}}",
        "é".repeat(MAX_BADGE_TEXT_BYTES / 2)
    );
    assert!(matches!(
        bake(&png_image(), &Baked::Ob3(Ob3Credential::Json(long))),
        Err(BakeError::BadgeTextTooLarge { .. })
    ));
    // A small PNG whose header claims 30,000 × 30,000 pixels: refused before inflating.
    let mut png = Png::from_bytes(Bytes::from(png_image())).unwrap();
    let header = png.chunks()[0].contents().to_vec();
    let mut claimed = header.clone();
    claimed[0..4].copy_from_slice(&30_000u32.to_be_bytes());
    claimed[4..8].copy_from_slice(&30_000u32.to_be_bytes());
    png.chunks_mut()[0] = PngChunk::new(*b"IHDR", Bytes::from(claimed));
    let bomb = png.encoder().bytes().to_vec();
    assert!(matches!(extract(&bomb), Err(BakeError::PngTooLarge)));
    assert!(matches!(bake(&bomb, &badge), Err(BakeError::PngTooLarge)));
}

#[test]
fn a_compressed_badge_text_is_refused() {
    // Both specifications forbid compressing the chunk; `png` writes one compressed for us.
    use png::text_metadata::{EncodableTextChunk, ITXtChunk};
    let mut chunk = ITXtChunk::new(PNG_KEYWORD_OB3, JWT);
    chunk.compressed = true;
    let mut encoded = Vec::new();
    chunk.encode(&mut encoded).unwrap();
    let chunk = PngChunk::from_bytes(&mut Bytes::from(encoded)).unwrap();
    let mut png = Png::from_bytes(Bytes::from(png_image())).unwrap();
    let end = png.chunks().len() - 1;
    png.chunks_mut().insert(end, chunk);
    let compressed = png.encoder().bytes().to_vec();
    assert!(badge_chunks(&compressed)[0].compressed);
    assert!(matches!(
        extract(&compressed),
        Err(BakeError::InvalidBadgeText { .. })
    ));
    // Baking over it replaces it with an uncompressed chunk.
    let badge = Baked::Ob3(Ob3Credential::Jwt(JWT.to_owned()));
    let rebaked = bake(&compressed, &badge).unwrap();
    assert_eq!(extract(&rebaked).unwrap(), badge);
    assert_eq!(rebaked, bake(&png_image(), &badge).unwrap());
}
