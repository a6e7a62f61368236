//! JSON Schema (draft 2020-12) documents of the wire format, generated from the field registry.
//!
//! The files under `schemas/json/` are what producers in other languages validate against. A test
//! regenerates them from the registry and fails when the committed files differ, so the Rust types and
//! the published schemas cannot drift apart (`COHORT_BLESS=1 cargo test -p cohort-schemas` rewrites them).

use serde_json::{Map, Value, json};

use crate::event::decode::MAX_ID_BYTES;
use crate::event::{FieldSpec, FieldType, Kind, fields_of};

/// The JSON Schema of events of `kind`.
pub fn schema_for(kind: Kind) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "v".into(),
        json!({"const": 1, "description": "Wire format version; 1 when absent."}),
    );
    properties.insert(
        "kind".into(),
        json!({"const": kind.name(), "description": "The event kind."}),
    );
    let mut required = vec![Value::from("kind")];
    for spec in fields_of(kind) {
        properties.insert(spec.name.into(), property(spec));
        if spec.required {
            required.push(spec.name.into());
        }
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://cohort.dev/schemas/v1/{}.schema.json", kind.name()),
        "title": format!("cohort {} event, version 1", kind.name()),
        "description": "Fields not listed are allowed and kept in the lake's `extra` column; null counts as absent. ID lengths are limited to 128 bytes (maxLength here counts characters).",
        "type": "object",
        "properties": Value::Object(properties),
        "required": required,
    });
    if kind == Kind::Payment {
        schema["anyOf"] = json!([{"required": ["item_id"]}, {"required": ["plan_id"]}]);
    }
    schema
}

fn property(spec: &FieldSpec) -> Value {
    let mut p = match spec.ty {
        FieldType::Id => json!({"type": "string", "minLength": 1, "maxLength": MAX_ID_BYTES}),
        FieldType::Label => json!({"type": "string", "maxLength": MAX_ID_BYTES}),
        FieldType::Text => json!({"type": "string"}),
        FieldType::Currency => json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
        FieldType::Amount | FieldType::Count => json!({"type": "integer", "minimum": 0}),
        FieldType::Flag => json!({"type": "boolean", "default": false}),
        FieldType::IdList => json!({
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_ID_BYTES}
        }),
        FieldType::LabelList => json!({
            "type": "array",
            "items": {"type": "string", "maxLength": MAX_ID_BYTES}
        }),
        FieldType::Timestamp => json!({
            "oneOf": [
                {"type": "string", "format": "date-time"},
                {"type": "integer", "description": "Epoch milliseconds."}
            ]
        }),
        FieldType::Enum(names) => json!({"type": "string", "enum": names}),
    };
    p["description"] = spec.doc.into();
    p
}

/// The file name of `kind`'s schema under `schemas/json/`.
pub fn file_name(kind: Kind) -> String {
    format!("{}.schema.json", kind.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn committed_json_schemas_match_the_registry() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("json");
        let bless = std::env::var_os("COHORT_BLESS").is_some();
        for kind in Kind::ALL {
            let path = dir.join(file_name(kind));
            let generated = serde_json::to_string_pretty(&schema_for(kind)).unwrap() + "\n";
            if bless {
                std::fs::write(&path, &generated).unwrap();
            }
            let committed = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}; run with COHORT_BLESS=1", path.display()));
            assert_eq!(
                committed,
                generated,
                "{} is out of date; run COHORT_BLESS=1 cargo test -p cohort-schemas",
                path.display()
            );
        }
    }
}
