//! The manifest as it travels inside a component: the bytes of the top-level custom section
//! [`SECTION_NAME`], which a bundle's signature covers. A host reads the header and the action
//! index in place, and parses one action only when it needs that action.
//!
//! The bytes are a [`packed`](crate::packed) layout with magic `PBMANIF1`: two fixed blobs (the
//! header as JSON, the shared schemas as a JSON object) and one entry per action, keyed by id,
//! whose value is the action's JSON without its id.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::packed::{self, Packed};
use crate::{Action, Error, Header, Manifest};

/// Name of the component's custom section that carries the manifest.
pub const SECTION_NAME: &str = "plugboard-manifest";

const MAGIC_STEM: &[u8; 7] = b"PBMANIF";
const MAGIC: &[u8; 8] = b"PBMANIF1";
const HEADER: usize = 0;
const SCHEMAS: usize = 1;
const FIXED: usize = 2;

/// An action's entry in the section, without its id (the id is the key). The schemas are
/// anything that serializes as JSON, so that a writer can stream them without building them.
#[derive(Serialize)]
pub struct ActionBody<'a, I: Serialize, O: Serialize> {
    /// Display name.
    pub name: &'a str,
    /// What the action does.
    pub description: &'a str,
    /// JSON Schema of the input object.
    pub input_schema: I,
    /// JSON Schema of the output.
    pub output_schema: O,
}

/// [`ActionBody`] as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRecord {
    name: String,
    description: String,
    input_schema: Value,
    output_schema: Value,
}

/// The section bytes of a manifest. Ids must be unique.
pub fn encode(manifest: &Manifest) -> Result<Vec<u8>, Error> {
    let actions = manifest.actions.iter().map(|action| {
        let body = ActionBody {
            name: &action.name,
            description: &action.description,
            input_schema: &action.input_schema,
            output_schema: &action.output_schema,
        };
        (action.id.as_str(), body)
    });
    encode_parts(&manifest.header, &manifest.schemas, actions)
}

/// The section bytes of a manifest given in parts: its header, its shared schemas (a JSON
/// object by name) and its actions as `(id, body)`. Ids must be unique. [`encode`] is this over
/// a [`Manifest`]; a writer with the actions in another form streams them without building one.
pub fn encode_parts<'a, S, I, O>(
    header: &Header,
    schemas: &S,
    actions: impl IntoIterator<Item = (&'a str, ActionBody<'a, I, O>)>,
) -> Result<Vec<u8>, Error>
where
    S: Serialize,
    I: Serialize,
    O: Serialize,
{
    let json = |what: &'static str, result: serde_json::Result<Vec<u8>>| {
        result.map_err(|e| Error::Json {
            what,
            message: e.to_string(),
        })
    };
    let header = json("header", serde_json::to_vec(header))?;
    let schemas = json("schemas", serde_json::to_vec(schemas))?;
    let entries = actions
        .into_iter()
        .map(|(id, body)| {
            Ok([
                id.as_bytes().to_vec(),
                json("action", serde_json::to_vec(&body))?,
            ])
        })
        .collect::<Result<Vec<_>, Error>>()?;
    packed::write::<2>(MAGIC, &[&header, &schemas], entries)
}

/// Bytes shared between a section and whoever read them (the whole component, say), so that a
/// host keeps a section without copying it out.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A manifest section read in place: the header parsed and checked, the action index checked,
/// the actions parsed on demand. Cheap to clone.
#[derive(Clone)]
pub struct ManifestSection {
    owner: SharedBytes,
    range: std::ops::Range<usize>,
    header: Header,
    count: usize,
}

impl std::fmt::Debug for ManifestSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestSection")
            .field("bytes", &self.range.len())
            .field("header", &self.header)
            .field("actions", &self.count)
            .finish()
    }
}

impl ManifestSection {
    /// Reads the section: its format version, the header (checked by the host's rules) and the
    /// action index (in bounds, ids unique, sorted and UTF-8). Actions are not parsed here.
    pub fn parse(
        bytes: impl AsRef<[u8]> + Send + Sync + 'static,
    ) -> Result<ManifestSection, Error> {
        let len = bytes.as_ref().len();
        ManifestSection::parse_in(Arc::new(bytes), 0..len)
    }

    /// [`ManifestSection::parse`] of the bytes at `range` of `owner`, kept without a copy.
    pub fn parse_in(
        owner: SharedBytes,
        range: std::ops::Range<usize>,
    ) -> Result<ManifestSection, Error> {
        let Some(bytes) = (*owner).as_ref().get(range.clone()) else {
            return Err(Error::Format("the section lies outside its bytes".into()));
        };
        if bytes.len() >= 8 && bytes[..7] == MAGIC_STEM[..] && bytes[7] != MAGIC[7] {
            return Err(Error::Version {
                found: String::from_utf8_lossy(&bytes[7..8]).into_owned(),
            });
        }
        let packed = Packed::<2>::new(bytes, MAGIC, FIXED)?;
        packed.check()?;
        for i in 0..packed.len() {
            let id = packed.text(i, 0)?;
            if let Some(problem) = crate::rules::action_id_problem(id) {
                return Err(Error::Format(format!("action id `{id}`: {problem}")));
            }
        }
        if packed.is_empty() {
            return Err(Error::Format("the manifest has no actions".into()));
        }
        let header: Header =
            serde_json::from_slice(packed.fixed(HEADER)?).map_err(|e| Error::Json {
                what: "manifest header",
                message: e.to_string(),
            })?;
        header.check()?;
        let count = packed.len();
        Ok(ManifestSection {
            owner,
            range,
            header,
            count,
        })
    }

    fn packed(&self) -> Packed<'_, 2> {
        // `parse_in` checked these bytes, which never change.
        Packed::checked(self.bytes(), FIXED, self.count)
    }

    /// Identity and capabilities.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The section's bytes, as signed.
    pub fn bytes(&self) -> &[u8] {
        // In range: `parse_in` checked it.
        (*self.owner)
            .as_ref()
            .get(self.range.clone())
            .unwrap_or_default()
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no actions (never true for a parsed section).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether an action has this id (a binary search; nothing is parsed).
    pub fn contains(&self, id: &str) -> bool {
        matches!(self.packed().find(id.as_bytes()), Ok(Some(_)))
    }

    /// Action ids in byte order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let packed = self.packed();
        (0..self.count).filter_map(move |i| packed.text(i, 0).ok())
    }

    /// One action, parsed; `None` when no action has this id.
    pub fn action(&self, id: &str) -> Result<Option<Action>, Error> {
        let packed = self.packed();
        match packed.find(id.as_bytes())? {
            Some(i) => action_at(&packed, i).map(Some),
            None => Ok(None),
        }
    }

    /// The shared schemas.
    pub fn schemas(&self) -> Result<BTreeMap<String, Value>, Error> {
        serde_json::from_slice(self.packed().fixed(SCHEMAS)?).map_err(|e| Error::Json {
            what: "shared schemas",
            message: e.to_string(),
        })
    }

    /// The whole manifest, every action parsed, checked by the host's rules.
    pub fn to_manifest(&self) -> Result<Manifest, Error> {
        let packed = self.packed();
        let actions = (0..self.count)
            .map(|i| action_at(&packed, i))
            .collect::<Result<Vec<_>, Error>>()?;
        let manifest = Manifest::new(self.header.clone(), self.schemas()?, actions);
        manifest.check()?;
        Ok(manifest)
    }
}

fn action_at(packed: &Packed<'_, 2>, i: usize) -> Result<Action, Error> {
    let id = packed.text(i, 0)?;
    let body: ActionRecord =
        serde_json::from_slice(packed.field(i, 1)?).map_err(|e| Error::Json {
            what: "action",
            message: format!("`{id}`: {e}"),
        })?;
    Ok(Action {
        id: id.to_string(),
        name: body.name,
        description: body.description,
        input_schema: body.input_schema,
        output_schema: body.output_schema,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiKey, ApiKeyLocation, Auth, Scheme};
    use serde_json::json;

    pub(crate) fn sample() -> Manifest {
        Manifest::new(
            Header {
                name: "Items".into(),
                description: "Reads items".into(),
                icon: None,
                hostname: "api.example.com".into(),
                scheme: Scheme::Https,
                allowed_hosts: vec!["cdn.example.com".into()],
                auth: Auth::ApiKey(ApiKey {
                    header_name: "X-Api-Key".into(),
                    preamble: String::new(),
                    location: ApiKeyLocation::Header,
                }),
                config: vec![],
                secrets: vec![],
                anonymous_actions: vec![],
            },
            [("Item".to_string(), json!({"type": "object"}))].into(),
            ["list", "get", "delete"]
                .iter()
                .map(|id| Action {
                    id: id.to_string(),
                    name: format!("{id} items"),
                    description: String::new(),
                    input_schema: json!({"type": "object"}),
                    output_schema: json!({"$ref": "#/schemas/Item"}),
                })
                .collect(),
        )
    }

    #[test]
    fn round_trip_in_place() {
        let manifest = sample();
        manifest.check().unwrap();
        let section = ManifestSection::parse(encode(&manifest).unwrap()).unwrap();
        assert_eq!(section.header(), &manifest.header);
        assert_eq!(section.len(), 3);
        assert!(section.contains("get") && !section.contains("put"));
        assert_eq!(section.ids().collect::<Vec<_>>(), ["delete", "get", "list"]);
        assert_eq!(
            section.action("list").unwrap().unwrap(),
            manifest.actions[0]
        );
        let mut back = section.to_manifest().unwrap();
        back.actions.sort_by(|a, b| a.id.cmp(&b.id));
        let mut expected = manifest;
        expected.actions.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(back, expected);
    }

    #[test]
    fn hostile_sections_are_refused() {
        let bytes = encode(&sample()).unwrap();
        let mut newer = bytes.clone();
        newer[7] = b'2';
        assert!(matches!(
            ManifestSection::parse(newer),
            Err(Error::Version { .. })
        ));
        for cut in 0..bytes.len() {
            let _ = ManifestSection::parse(bytes[..cut].to_vec());
        }
        // A header that names an unknown auth type is an error, not a fallback.
        let mut manifest = sample();
        manifest.header.hostname = "evil.example.com/x".into();
        let bad = encode(&manifest).unwrap();
        assert!(matches!(
            ManifestSection::parse(bad),
            Err(Error::Invalid(_))
        ));
        let text = serde_json::to_string(&sample().header)
            .unwrap()
            .replace("\"api_key\"", "\"api_keyy\"");
        assert!(serde_json::from_str::<Header>(&text).is_err());
        let text = serde_json::to_string(&sample().header)
            .unwrap()
            .replace("\"header\"", "\"body\"");
        assert!(serde_json::from_str::<Header>(&text).is_err());
    }
}
