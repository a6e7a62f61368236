//! Reading one attribute of every `<row .../>` of a Stack Exchange data dump file (Comments.xml's
//! `Text`), enough to replay a real community's messages through the detectors without an XML
//! library: the dumps put one row per line, attributes double-quoted, with XML character escapes.
//! Other lines (declaration, DOCTYPE, root element) are skipped.

/// The values of `attribute` on every row line of `xml`, unescaped; `Err` names the 1-based line of
/// a row whose attribute is unterminated or has an unknown escape.
pub fn row_attributes(xml: &str, attribute: &str) -> Result<Vec<String>, (usize, String)> {
    let key = format!(" {attribute}=\"");
    let mut out = Vec::new();
    for (n, line) in xml.lines().enumerate() {
        let line = line.trim_start();
        if !line.starts_with("<row ") {
            continue;
        }
        let Some(at) = line.find(&key) else {
            continue;
        };
        let rest = &line[at + key.len()..];
        let end = rest
            .find('"')
            .ok_or_else(|| (n + 1, format!("unterminated {attribute} attribute")))?;
        out.push(unescape(&rest[..end]).map_err(|m| (n + 1, m))?);
    }
    Ok(out)
}

/// Resolves `&amp; &lt; &gt; &quot; &apos;` and numeric character references.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(';')
            .ok_or_else(|| format!("unterminated escape {tail:.12}"))?;
        let name = &tail[1..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) =
                    name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    name.strip_prefix('#').and_then(|d| d.parse().ok())
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown escape &{name};"))?
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_attributes_and_unescapes() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?>\n<!DOCTYPE comments SYSTEM 'c.dtd'>\n<comments>\n  \
                   <row Id=\"1\" Text=\"a &amp; b &lt;i&gt; &quot;q&quot;&#xA;line 2&#39;\" UserId=\"3\" />\n  \
                   <row Id=\"2\" Score=\"0\" />\n</comments>\n";
        assert_eq!(
            row_attributes(xml, "Text").unwrap(),
            vec!["a & b <i> \"q\"\nline 2'"]
        );
        let bad = "<row Text=\"x &bogus; y\" />";
        assert_eq!(row_attributes(bad, "Text").unwrap_err().0, 1);
    }
}
