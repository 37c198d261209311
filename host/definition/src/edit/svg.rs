//! SVG icon sanitizing: the markup must parse as XML with an `svg` root; `<script>` and
//! `<foreignObject>` elements, `on*` event-handler attributes, attributes holding `javascript:`
//! URLs, DOCTYPEs (entity definitions) and processing instructions are removed.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesStart, Event};

use super::edit_error;
use crate::Result;

/// Elements removed with everything inside them.
const STRIPPED_ELEMENTS: [&str; 2] = ["script", "foreignobject"];

/// Returns the icon with scripts and event handlers removed, or an error when the text is not
/// SVG (not XML, or a root element other than `svg`).
pub fn sanitize_svg(text: &str) -> Result<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::new());
    let mut root_seen = false;
    let mut open = 0usize;
    // Depth of the stripped element being skipped (0: not skipping).
    let mut skipping = 0usize;
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
                open += 1;
                if skipping > 0 || STRIPPED_ELEMENTS.contains(&name.as_str()) {
                    skipping += 1;
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
                if skipping > 0 || STRIPPED_ELEMENTS.contains(&name.as_str()) {
                    continue;
                }
                Event::Empty(clean_element(&start)?)
            }
            Event::End(end) => {
                open = open.saturating_sub(1);
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                Event::End(end)
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
                if skipping > 0 {
                    continue;
                }
                Event::GeneralRef(reference)
            }
            // Entity definitions and processing instructions have no place in an icon.
            Event::DocType(_) | Event::PI(_) => continue,
            other if !root_seen && matches!(other, Event::Text(_)) => {
                // Whitespace before the root element.
                other
            }
            other => {
                if skipping > 0 {
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
    if open != 0 {
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

/// A copy of the element without event handlers and `javascript:` URLs.
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
        // URL parsers drop tabs, newlines and other control characters and spaces at the start.
        let compact: String = value
            .chars()
            .filter(|c| !c.is_control() && !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if local.starts_with("on") || compact.contains("javascript:") {
            continue;
        }
        clean.push_attribute((key.as_str(), value.as_str()));
    }
    Ok(clean)
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
        assert!(clean.contains(r#"<rect width="1"/>"#), "{clean}");
    }

    #[test]
    fn refuses_non_svg() {
        assert!(sanitize_svg("\u{89}PNG\r\n").is_err());
        assert!(sanitize_svg("<html><body/></html>").is_err());
        assert!(sanitize_svg("<svg><g></svg>").is_err());
        assert!(sanitize_svg("just text").is_err());
    }
}
