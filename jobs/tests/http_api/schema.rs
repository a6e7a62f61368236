//! A small OpenAPI 3.1 checker: finds the documented operation of a live answer (path template,
//! method GET, status) and validates its JSON body against the documented schema — types
//! (including `[t, "null"]`), `required`, `additionalProperties: false`, `enum`, `items`,
//! `minimum`/`maximum`, `format: date-time` — following `$ref`s into `components`.

use serde_json::Value;

/// The documented path template `path` (no query) falls under, if any.
pub fn template_of<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"].as_object()?.keys().find_map(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s);
        fits.then_some(template.as_str())
    })
}

/// Checks a live answer of `GET path` against the document: the status must be documented for
/// the route, and a JSON body must fit the documented schema. A path under no template must be a
/// 404 (or 405) with an `Error` body.
pub fn check_answer(
    doc: &Value,
    path: &str,
    status: u16,
    content_type: &str,
    body: &str,
) -> Result<(), String> {
    let Some(template) = template_of(doc, path) else {
        if status != 404 && status != 405 {
            return Err(format!("{path} is not documented yet answered {status}"));
        }
        let value = parse(body)?;
        return validate(doc, &doc["components"]["schemas"]["Error"], &value, "$");
    };
    let responses = &doc["paths"][template]["get"]["responses"];
    let response = resolve(doc, &responses[status.to_string()]);
    if response.is_null() {
        // 405 (a method the route does not have) is common to every route and answered with Error.
        if status == 405 {
            return validate(
                doc,
                &doc["components"]["schemas"]["Error"],
                &parse(body)?,
                "$",
            );
        }
        return Err(format!("{template}: status {status} is not documented"));
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    let Some(schema) = response["content"].get(media).map(|m| &m["schema"]) else {
        return Err(format!(
            "{template} {status}: content type {content_type:?} is not documented"
        ));
    };
    if media == "application/json" {
        validate(doc, schema, &parse(body)?, "$")
    } else {
        validate(doc, schema, &Value::String(body.to_string()), "$")
    }
}

fn parse(body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body:.200}"))
}

/// Follows `$ref` (a local JSON pointer) until a non-reference.
fn resolve<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
    }
    node
}

fn type_fits(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// An RFC 3339 date-time, as far as this API writes them: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
fn is_date_time(text: &str) -> bool {
    cohort_schemas::time::parse_rfc3339_ms(text).is_some() && text.len() >= 20
}

/// Validates `value` at `at` against `schema`.
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if schema.is_null() {
        return Err(format!("{at}: no schema (a dangling $ref?)"));
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: malformed type {types}")),
        };
        if !names.iter().any(|t| type_fits(t, value)) {
            return Err(format!("{at}: {value:.100} is not of type {names:?}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(format!("{at}: {n} < minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(format!("{at}: {n} > maximum {max}"));
        }
    }
    if let (Some("date-time"), Some(text)) =
        (schema.get("format").and_then(Value::as_str), value.as_str())
        && !is_date_time(text)
    {
        return Err(format!("{at}: {text:?} is not an RFC 3339 date-time"));
    }
    if let Value::Object(map) = value {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(name) {
                return Err(format!("{at}: required property {name} is missing"));
            }
        }
        let properties = schema.get("properties");
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (key, v) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => validate(doc, s, v, &format!("{at}.{key}"))?,
                None if closed => {
                    return Err(format!("{at}: property {key} is not documented"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(doc, item_schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The checker itself must reject what it is there to catch.
    #[test]
    fn the_checker_rejects_wrong_types_missing_and_extra_properties() {
        let doc = json!({"components": {"schemas": {"Row": {
            "type": "object", "additionalProperties": false, "required": ["a", "b"],
            "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]},
                           "t": {"type": "string", "format": "date-time"}}
        }}}});
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Row"}});
        let ok = json!([{"a": 1, "b": null}, {"a": 2, "b": "x", "t": "2026-11-01T00:00:00.000Z"}]);
        assert_eq!(validate(&doc, &schema, &ok, "$"), Ok(()));
        for bad in [
            json!([{"a": 1.5, "b": null}]),
            json!([{"a": 1}]),
            json!([{"a": 1, "b": null, "c": 0}]),
            json!([{"a": 1, "b": 2}]),
            json!([{"a": 1, "b": null, "t": "yesterday"}]),
            json!({"a": 1, "b": null}),
        ] {
            assert!(validate(&doc, &schema, &bad, "$").is_err(), "{bad}");
        }
    }
}
