//! One line of CSV split into fields: the ratings and M4 files the evaluation commands read are
//! plain enough that a line-at-a-time splitter (with quoting) serves both, and it reports the line
//! an error is on.

/// Splits one CSV line into fields (double quotes group, `""` inside quotes is a quote).
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".to_string());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_group_and_double_quotes_escape() {
        assert_eq!(
            csv_fields(r#"a,"b,c","say ""hi""",,"#),
            Ok(vec![
                "a".to_string(),
                "b,c".into(),
                r#"say "hi""#.into(),
                String::new(),
                String::new()
            ])
        );
        assert!(csv_fields(r#"a,"b"#).is_err());
    }
}
