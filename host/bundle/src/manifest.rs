//! The manifest a component carries: written once by `plugboard build` as a top-level custom
//! section (before signing, so the signature covers it), and read by hosts without compiling or
//! running anything. Also the contract check: which `plugboard:integration` version the
//! component was built for.

use std::ops::Range;

use plugboard_manifest::Manifest;
use plugboard_manifest::section::{self, ManifestSection, SECTION_NAME};
use wasmparser::{BinaryReader, ComponentExportSectionReader, ComponentImportSectionReader};

use crate::sections::{
    COMPONENT_EXPORT, COMPONENT_IMPORT, CUSTOM, Section, broken, custom, custom_section,
    is_component, sections,
};
use crate::{Error, Result};

/// The package of the WIT contract.
pub const CONTRACT_PACKAGE: &str = "plugboard:integration";
/// The contract version this build makes and runs (`major.minor`; any patch level fits).
pub const CONTRACT_VERSION: &str = "0.2";

/// How to rebuild a component that lacks what this host needs.
const REBUILD: &str = "rebuild it with `plugboard build`: from its definition \
     (`plugboard build definition.json -o bundle.wasm`) or, for custom code, from the component \
     built with the current guest SDK (`plugboard build component.wasm -o bundle.wasm`), then sign \
     it again";

/// Where a component's parts are, read from its top level without compiling anything: its
/// manifest section, and the sections that make its code.
#[derive(Debug, Clone)]
pub struct Layout {
    manifest: Option<Range<usize>>,
    code: Vec<Range<usize>>,
}

impl Layout {
    /// Where the manifest section's bytes are; a component without one is refused with how to
    /// rebuild it.
    pub fn manifest(&self) -> Result<Range<usize>> {
        self.manifest.clone().ok_or_else(|| {
            Error::NoManifest(format!(
                "the component has no `{SECTION_NAME}` section, so nothing says what it may do; \
                 {REBUILD}"
            ))
        })
    }

    /// What compiles: the preamble and every top-level section but the custom ones (which
    /// carry no code: the manifest, the signature, names). Two components with the same code
    /// compile to the same artifact.
    pub fn code<'a>(&'a self, component: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.code
            .iter()
            .filter_map(|range| component.get(range.clone()))
    }
}

/// Reads a component's top level: checks that it was built for this contract and finds its
/// manifest section (at most one).
pub fn layout(component: &[u8]) -> Result<Layout> {
    if !is_component(component) {
        return Err(broken(
            "not a WebAssembly component (`plugboard build` makes one)",
        ));
    }
    let sections = sections(component)?;
    contract_of(component, &sections)?;
    let mut manifest = None;
    let mut code: Vec<Range<usize>> = Vec::with_capacity(sections.len() + 1);
    code.push(0..8);
    for section in &sections {
        if section.id != CUSTOM {
            code.push(section.range());
            continue;
        }
        let (name, data) = custom(component, section)?;
        if name == SECTION_NAME {
            if manifest.is_some() {
                return Err(Error::Manifest(plugboard_manifest::Error::Format(
                    "the component has more than one manifest section".into(),
                )));
            }
            let start = section.content.end - data.len();
            manifest = Some(start..section.content.end);
        }
    }
    Ok(Layout { manifest, code })
}

/// Reads a component's manifest: checks that it was built for this contract, then parses and
/// checks its manifest section (header and action index; actions are parsed on demand).
pub fn read_manifest(component: &[u8]) -> Result<ManifestSection> {
    let range = layout(component)?.manifest()?;
    ManifestSection::parse(component[range].to_vec()).map_err(Error::Manifest)
}

/// The digest (SHA-256, hex) of a manifest section's bytes: what a platform pins when it reviews
/// a bundle, and compares whenever it loads the bundle again.
pub fn manifest_digest(section: &ManifestSection) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(section.bytes()))
}

/// Returns `component` with `manifest` as its manifest section (replacing an earlier one). A
/// signed component is refused: its signature would no longer match.
pub fn embed_manifest(component: &[u8], manifest: &Manifest) -> Result<Vec<u8>> {
    manifest.check().map_err(Error::Manifest)?;
    embed_section(
        component,
        &section::encode(manifest).map_err(Error::Manifest)?,
    )
}

/// [`embed_manifest`] with the section's bytes already encoded (finalize streams them from a
/// definition that was validated).
pub(crate) fn embed_section(component: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    if !is_component(component) {
        return Err(broken("not a WebAssembly component"));
    }
    if crate::sign::is_signed(component)? {
        return Err(Error::Signature(
            "the component is signed: record its manifest first, then sign it".into(),
        ));
    }
    let mut out = Vec::with_capacity(component.len() + data.len() + 32);
    out.extend_from_slice(&component[..8]);
    for section in sections(component)? {
        let is_manifest = section.id == CUSTOM && custom(component, &section)?.0 == SECTION_NAME;
        if !is_manifest {
            out.extend_from_slice(&component[section.range()]);
        }
    }
    out.extend_from_slice(&custom_section(SECTION_NAME, data));
    Ok(out)
}

/// Refuses a component whose imports or exports name another version of the contract, with a
/// message that says what to do.
fn contract_of(component: &[u8], sections: &[Section]) -> Result<()> {
    let mut names = Vec::new();
    for section in sections {
        let reader = BinaryReader::new(&component[section.content.clone()], section.content.start);
        let read = |e: wasmparser::BinaryReaderError| broken(format!("imports or exports: {e}"));
        match section.id {
            COMPONENT_IMPORT => {
                for import in ComponentImportSectionReader::new(reader).map_err(read)? {
                    names.push(import.map_err(read)?.name.name);
                }
            }
            COMPONENT_EXPORT => {
                for export in ComponentExportSectionReader::new(reader).map_err(read)? {
                    names.push(export.map_err(read)?.name.name);
                }
            }
            _ => {}
        }
    }
    for name in names {
        let Some(rest) = name.strip_prefix(CONTRACT_PACKAGE) else {
            continue;
        };
        let version = rest.rsplit_once('@').map_or("", |(_, v)| v);
        if !fits(version) {
            let advice = if newer(version) {
                "update Plugboard to run it".to_string()
            } else {
                REBUILD.to_string()
            };
            return Err(Error::Contract(format!(
                "the component was built for {CONTRACT_PACKAGE}@{version} (it uses `{name}`); \
                 this host runs {CONTRACT_PACKAGE}@{CONTRACT_VERSION}.x components: {advice}"
            )));
        }
    }
    Ok(())
}

/// Whether `version` is `CONTRACT_VERSION` at any patch level.
fn fits(version: &str) -> bool {
    version
        .strip_prefix(CONTRACT_VERSION)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `version` is later than this build's contract (by major, then minor).
fn newer(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(version), parse(CONTRACT_VERSION)) {
        (Some(found), Some(ours)) => found > ours,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::push_section;

    /// A component that only imports an (empty) instance named `name`.
    fn importing(name: &str) -> Vec<u8> {
        let mut out = b"\0asm\x0d\0\x01\0".to_vec();
        // One type: an instance type without declarations.
        push_section(&mut out, 7, &[1, 0x42, 0]);
        // One import of that instance type under `name`.
        let mut import = vec![1, 0, u8::try_from(name.len()).unwrap()];
        import.extend_from_slice(name.as_bytes());
        import.extend_from_slice(&[0x05, 0]);
        push_section(&mut out, COMPONENT_IMPORT, &import);
        out
    }

    #[test]
    fn older_and_newer_contracts_are_refused_with_advice() {
        let old = importing("plugboard:integration/http@0.1.0");
        let err = read_manifest(&old).unwrap_err().to_string();
        assert!(
            err.contains("built for plugboard:integration@0.1.0")
                && err.contains("plugboard build"),
            "{err}"
        );
        let new = importing("plugboard:integration/http@0.3.1");
        let err = read_manifest(&new).unwrap_err().to_string();
        assert!(err.contains("update Plugboard"), "{err}");
        // The right contract but no manifest: refused with the rebuild hint.
        let bare = importing("plugboard:integration/http@0.2.0");
        let err = read_manifest(&bare).unwrap_err();
        assert!(
            matches!(&err, Error::NoManifest(m) if m.contains("plugboard build")),
            "{err}"
        );
        assert!(read_manifest(b"\0asm\x01\0\0\0").is_err());
    }

    #[test]
    fn contract_versions() {
        assert!(fits("0.2.0") && fits("0.2.17"));
        assert!(!fits("0.1.0") && !fits("0.3.0") && !fits("0.2") && !fits("0.20.1"));
        assert!(newer("0.3.0") && newer("1.0.0") && !newer("0.1.0") && !newer("x"));
    }

    #[cfg(feature = "finalize")]
    #[test]
    fn finalize_records_the_manifest_and_the_signature_covers_it() {
        use crate::sign;
        let definition = plugboard_definition::Definition::from_json(
            r#"{"definition_version": 1, "name": "Demo", "description": "d",
                "hostname": "api.example.com", "auth": {"type": "api_key"},
                "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/items"}]}"#,
        )
        .unwrap();
        let bundle = crate::finalize(&definition).unwrap();
        let manifest = read_manifest(&bundle.component).unwrap();
        assert_eq!(manifest.header(), &definition.resolve().header);
        assert!(manifest.contains("list"));
        // Recording again replaces the section; recording into a signed component is refused.
        let again = embed_manifest(&bundle.component, &definition.resolve()).unwrap();
        assert_eq!(again, bundle.component);
        let (private, public) = sign::generate_key().unwrap();
        let signed = sign::sign(&bundle.component, &private).unwrap();
        assert!(embed_manifest(&signed, &definition.resolve()).is_err());
        // One changed byte in the manifest section after signing: refused as altered.
        let at = signed
            .windows(b"api.example.com".len())
            .position(|w| w == b"api.example.com")
            .unwrap();
        let mut altered = signed.clone();
        altered[at] = b'e';
        assert!(
            read_manifest(&altered).is_ok(),
            "still a well-formed manifest"
        );
        let err = sign::verify(&altered, &[public]).unwrap_err().to_string();
        assert!(err.contains("altered"), "{err}");
        // Without its section: refused with the rebuild hint.
        let bare = crate::patch_engine(
            crate::ENGINE_COMPONENT,
            &crate::compile_table(&definition).unwrap(),
        )
        .unwrap();
        assert!(matches!(read_manifest(&bare), Err(Error::NoManifest(_))));
    }
}
