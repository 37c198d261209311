//! SVG icon sanitizing by allow-list: the markup must parse as XML with an `svg` root, and only
//! known drawing elements and presentation attributes are kept. Other elements are removed:
//! those whose content is code, another language or something fetched (`script`, `style`,
//! `foreignObject`, `iframe`, `image`, animation, ...) with everything inside them, the others
//! (`a`, unknown ones) keeping their cleaned content. Other attributes (`on*` handlers among
//! them), links other than to a fragment of the icon itself, `url(...)` other than `url(#id)`,
//! DOCTYPEs (entity definitions), processing instructions, comments and CDATA are removed.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesStart, Event};

use super::edit_error;
use crate::Result;

/// Elements kept (compared in lower case): shapes, text, grouping, paint servers, clipping,
/// masking and filter primitives.
#[rustfmt::skip]
const ALLOWED_ELEMENTS: &[&str] = &[
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse",
    "line", "polyline", "polygon", "text", "tspan", "lineargradient", "radialgradient", "stop",
    "pattern", "clippath", "mask", "marker", "filter", "feblend", "fecolormatrix",
    "fecomponenttransfer", "fecomposite", "fedropshadow", "feflood", "fegaussianblur",
    "femerge", "femergenode", "femorphology", "feoffset", "fefunca", "fefuncr", "fefuncg",
    "fefuncb",
];

/// Elements removed with everything inside them: their content is code, markup of another
/// language, or something fetched.
#[rustfmt::skip]
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "foreignobject", "iframe", "object", "embed", "image", "audio", "video",
    "canvas", "animate", "animatemotion", "animatetransform", "set", "discard", "noscript",
    "template", "handler", "listener",
];

/// Attributes kept (local names, lower case): geometry, paint, text and filter parameters.
#[rustfmt::skip]
const ALLOWED_ATTRIBUTES: &[&str] = &[
    "xmlns", "version", "id", "class", "viewbox", "preserveaspectratio", "x", "y", "width",
    "height", "d", "points", "cx", "cy", "r", "rx", "ry", "x1", "y1", "x2", "y2", "fx", "fy",
    "fr", "dx", "dy", "transform", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity", "color", "display",
    "visibility", "offset", "stop-color", "stop-opacity", "gradientunits", "gradienttransform",
    "spreadmethod", "patternunits", "patterncontentunits", "patterntransform", "clip-path",
    "clip-rule", "clippathunits", "mask", "maskunits", "maskcontentunits", "marker-start",
    "marker-mid", "marker-end", "markerwidth", "markerheight", "markerunits", "refx", "refy",
    "orient", "filter", "filterunits", "primitiveunits", "stddeviation", "in", "in2", "result",
    "mode", "values", "type", "operator", "k1", "k2", "k3", "k4", "radius", "flood-color",
    "flood-opacity", "tablevalues", "slope", "intercept", "amplitude", "exponent",
    "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "alignment-baseline", "letter-spacing", "word-spacing",
    "text-decoration", "textlength", "lengthadjust", "shape-rendering", "vector-effect",
    "style", "href",
];

/// Returns the icon with only allowed elements and attributes, or an error when the text is not
/// SVG (not XML, or a root element other than `svg`).
pub fn sanitize_svg(text: &str) -> Result<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::new());
    let mut root_seen = false;
    // For each open element: whether its tags are written (false: removed, content kept).
    let mut open: Vec<bool> = Vec::new();
    // Depth inside an element removed with its content (0: not inside one).
    let mut dropping = 0usize;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            edit_error(
                "icon",
                format!("not an SVG file: the XML does not parse near byte {position}: {e}"),
            )
        })?;
        let event = match event {
            Event::Eof => break,
            Event::Start(start) => {
                let name = local_name(&start);
                if !root_seen {
                    check_root(&name)?;
                    root_seen = true;
                }
                if dropping > 0 || DROPPED_WITH_CONTENT.contains(&name.as_str()) {
                    dropping += 1;
                    continue;
                }
                let kept = ALLOWED_ELEMENTS.contains(&name.as_str());
                open.push(kept);
                if !kept {
                    continue;
                }
                Event::Start(clean_element(&start)?)
            }
            Event::Empty(start) => {
                let name = local_name(&start);
                if !root_seen {
                    check_root(&name)?;
                    root_seen = true;
                }
                if dropping > 0 || !ALLOWED_ELEMENTS.contains(&name.as_str()) {
                    continue;
                }
                Event::Empty(clean_element(&start)?)
            }
            Event::End(end) => {
                if dropping > 0 {
                    dropping -= 1;
                    continue;
                }
                match open.pop() {
                    Some(true) => Event::End(end),
                    Some(false) => continue,
                    None => {
                        return Err(edit_error(
                            "icon",
                            "not an SVG file: an element closes that was not open",
                        ));
                    }
                }
            }
            Event::GeneralRef(reference) => {
                let predefined =
                    matches!(reference.as_ref(), "amp" | "lt" | "gt" | "quot" | "apos");
                if !predefined && !reference.is_char_ref() {
                    return Err(edit_error(
                        "icon",
                        "the SVG uses an entity reference other than &amp; &lt; &gt; &quot; &apos; (entity definitions are not allowed)",
                    ));
                }
                if dropping > 0 {
                    continue;
                }
                Event::GeneralRef(reference)
            }
            // Entity definitions, processing instructions, comments and CDATA have no place in
            // an icon.
            Event::DocType(_) | Event::PI(_) | Event::Comment(_) | Event::CData(_) => continue,
            other => {
                if dropping > 0 {
                    continue;
                }
                other
            }
        };
        writer
            .write_event(event)
            .map_err(|e| edit_error("icon", format!("cannot write the cleaned SVG: {e}")))?;
    }
    if !root_seen {
        return Err(edit_error(
            "icon",
            "not an SVG file: there is no `<svg>` element",
        ));
    }
    if !open.is_empty() || dropping != 0 {
        return Err(edit_error(
            "icon",
            "not an SVG file: an element is not closed",
        ));
    }
    String::from_utf8(writer.into_inner())
        .map_err(|_| edit_error("icon", "the cleaned SVG is not UTF-8"))
}

fn local_name(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_ascii_lowercase()
}

fn check_root(name: &str) -> Result<()> {
    if name == "svg" {
        Ok(())
    } else {
        Err(edit_error(
            "icon",
            format!("not an SVG file: the root element is `<{name}>`, an icon needs `<svg>`"),
        ))
    }
}

/// A copy of the element with only allowed attributes, and only safe values for them.
fn clean_element(start: &BytesStart<'_>) -> Result<BytesStart<'static>> {
    let name = start.name().as_ref().to_string();
    let mut clean = BytesStart::new(name.clone());
    for attribute in start.attributes() {
        let attribute = attribute
            .map_err(|e| edit_error("icon", format!("bad attribute in `<{name}>`: {e}")))?;
        let key = attribute.key.as_ref().to_string();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| edit_error("icon", format!("bad attribute `{key}` in `<{name}>`: {e}")))?
            .into_owned();
        let local = key.rsplit(':').next().unwrap_or(&key).to_ascii_lowercase();
        let namespace_declaration = key == "xmlns" || key.starts_with("xmlns:");
        if (namespace_declaration || ALLOWED_ATTRIBUTES.contains(&local.as_str()))
            && safe_value(&local, &value)
        {
            clean.push_attribute((key.as_str(), value.as_str()));
        }
    }
    Ok(clean)
}

/// Whether an allowed attribute's value is safe: links only to a fragment of the icon itself,
/// `url(...)` only as `url(#id)`, no script or style escapes.
fn safe_value(local: &str, value: &str) -> bool {
    // URL parsers and CSS drop control characters and whitespace in places: compare without.
    let compact: String = value
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if local == "href" {
        return compact.starts_with('#');
    }
    if compact.contains("javascript:")
        || compact.contains("expression(")
        || compact.contains('\\')
        || compact.contains('@')
    {
        return false;
    }
    compact.match_indices("url(").all(|(at, _)| {
        compact[at + 4..]
            .trim_start_matches(['"', '\''])
            .starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_scripts_handlers_and_javascript_urls() {
        let svg = r#"<?xml version="1.0"?><!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" onload="x()"><script>alert(1)</script><a href=" java&#x9;script:alert(1)"><rect width="1" onClick='y'/></a><foreignObject><div/></foreignObject><circle r="2"/></svg>"#;
        let clean = sanitize_svg(svg).unwrap();
        assert!(!clean.to_lowercase().contains("script"), "{clean}");
        assert!(
            !clean.contains("onload") && !clean.contains("onClick"),
            "{clean}"
        );
        assert!(!clean.contains("div"), "{clean}");
        assert!(clean.contains(r#"<circle r="2"/>"#), "{clean}");
        // A link is not drawing: the `<a>` goes, what it holds stays (cleaned).
        assert!(!clean.contains("<a"), "{clean}");
        assert!(clean.contains(r#"<rect width="1"/>"#), "{clean}");
    }

    #[test]
    fn keeps_only_what_an_icon_needs() {
        let svg = concat!(
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" "#,
            r#"xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">"#,
            r#"<!-- note --><a xlink:href="&#106;avascript:alert(1)"><rect width="1"/></a>"#,
            r#"<iframe src="https://evil.example"/><image href="https://evil.example/x.png"/>"#,
            r#"<style>@import url(https://evil.example/x.css);</style>"#,
            r#"<animate attributeName="href" to="javascript:alert(1)"/>"#,
            r##"<use href="https://evil.example/s.svg#x"/><use href="#dot"/>"##,
            r##"<circle id="dot" r="2" fill="url(#g)" stroke="url(https://evil.example/)" "##,
            r#"style="fill:red" data-x="1"/><g style="background:url(https://evil.example)"/>"#,
            r#"<linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></svg>"#,
        );
        let clean = sanitize_svg(svg).unwrap();
        for gone in [
            "evil",
            "javascript",
            "iframe",
            "image",
            "style>",
            "animate",
            "<a",
            "note",
            "ENTITY",
            "data-x",
        ] {
            assert!(!clean.contains(gone), "{gone} in {clean}");
        }
        for kept in [
            r##"<use href="#dot"/>"##,
            r##"fill="url(#g)""##,
            r#"style="fill:red""#,
            "<linearGradient",
            r#"viewBox="0 0 10 10""#,
            r#"<rect width="1"/>"#,
        ] {
            assert!(clean.contains(kept), "{kept} not in {clean}");
        }
        assert_eq!(
            sanitize_svg(&clean).unwrap(),
            clean,
            "sanitizing is idempotent"
        );
    }

    #[test]
    fn refuses_non_svg() {
        assert!(sanitize_svg("\u{89}PNG\r\n").is_err());
        assert!(sanitize_svg("<html><body/></html>").is_err());
        assert!(sanitize_svg("<svg><g></svg>").is_err());
        assert!(sanitize_svg("just text").is_err());
    }
}
