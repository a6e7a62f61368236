//! The rows of one dump file, streamed: every `<row …/>` element with its attributes unescaped.
//!
//! Dump files are one root element holding millions of self-closing `row` elements, all data in
//! attributes. They are read with quick-xml one element at a time, so memory does not grow with the
//! file. The byte-order mark the dumps start with is dropped by quick-xml; the XML declaration, a
//! `<!DOCTYPE …>` line (some copies carry one) and the root element are passed over.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One row: its attributes, names and values as the dump spells them (values unescaped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    attrs: Vec<(String, String)>,
}

impl Row {
    /// A row with these attributes (for tests and callers that build rows by hand).
    pub fn new<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Row {
        Row {
            attrs: attrs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value of attribute `name`, `None` when absent or blank (dumps write absent values both
    /// ways over the years).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

/// The file's XML broke off: quick-xml cannot resynchronise after a syntax error, so the rest of
/// the file is lost (the import counts it and goes on with the next file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML syntax error at byte {position}: {message}")]
pub struct XmlBroken {
    /// Byte offset of the error.
    pub position: u64,
    /// quick-xml's description.
    pub message: String,
}

/// Calls `each` with every row of `input` in file order: `Ok` with its attributes, or `Err` with a
/// description when one of its attributes could not be read (the row is unusable, the file goes on).
/// Returns how many rows were seen, or where the XML broke.
pub fn read_rows<R: BufRead>(
    input: R,
    mut each: impl FnMut(Result<Row, String>),
) -> Result<u64, XmlBroken> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(4096);
    let mut rows = 0;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Empty(e) | Event::Start(e)) if e.name().as_ref() == b"row" => {
                rows += 1;
                each(attributes(&reader, &e));
            }
            Ok(Event::Eof) => return Ok(rows),
            Ok(_) => {}
            Err(e) => {
                return Err(XmlBroken {
                    position: reader.error_position(),
                    message: e.to_string(),
                });
            }
        }
    }
}

/// The attributes of one element, unescaped.
fn attributes<R>(reader: &Reader<R>, element: &BytesStart<'_>) -> Result<Row, String> {
    let mut attrs = Vec::new();
    for attr in element.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let name = std::str::from_utf8(attr.key.as_ref())
            .map_err(|e| format!("attribute name: {e}"))?
            .to_string();
        let value = attr
            .decode_and_unescape_value(reader.decoder())
            .map_err(|e| format!("attribute {name}: {e}"))?
            .into_owned();
        attrs.push((name, value));
    }
    Ok(Row { attrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(xml: &str) -> (Vec<Result<Row, String>>, Result<u64, XmlBroken>) {
        let mut rows = Vec::new();
        let result = read_rows(xml.as_bytes(), |r| rows.push(r));
        (rows, result)
    }

    #[test]
    fn reads_rows_past_the_bom_declaration_and_doctype_and_unescapes_values() {
        let xml = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
                   <!DOCTYPE posts SYSTEM 'posts.dtd'>\n<posts>\n\
                   <row Id=\"1\" Title=\"Q &amp; A&#xA;\" Tags=\"&lt;a&gt;\" />\n\
                   <row Id=\"2\" Empty=\"\" />\n</posts>\n";
        let (rows, result) = rows_of(xml);
        assert_eq!(result, Ok(2));
        let rows: Vec<Row> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows[0].get("Id"), Some("1"));
        assert_eq!(rows[0].get("Title"), Some("Q & A\n"));
        assert_eq!(rows[0].get("Tags"), Some("<a>"));
        assert_eq!(rows[1].get("Empty"), None, "blank counts as absent");
        assert_eq!(rows[1].get("Nope"), None);
    }

    #[test]
    fn a_row_with_an_unreadable_attribute_is_reported_and_reading_goes_on() {
        let xml = "<users><row Id=\"1\" Bad=\"&nosuch;\" /><row Id=\"2\" Id=\"3\" />\
                   <row Id=\"4\" /></users>";
        let (rows, result) = rows_of(xml);
        assert_eq!(result, Ok(3));
        assert!(rows[0].is_err(), "unknown entity");
        assert!(rows[1].is_err(), "duplicate attribute");
        assert_eq!(rows[2].as_ref().unwrap().get("Id"), Some("4"));
    }

    #[test]
    fn broken_xml_ends_the_file_with_its_position() {
        let xml = "<users><row Id=\"1\" /></posts><row Id=\"2\" /></users>";
        let (rows, result) = rows_of(xml);
        assert_eq!(rows.len(), 1);
        let broken = result.unwrap_err();
        assert!(broken.position > 0, "{broken}");
    }
}
