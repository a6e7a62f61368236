//! Hand-written JSON output: string escaping, integers and timestamps straight into the line buffer.
//!
//! The generator writes a million lines a second, so it avoids `format!` and `serde_json` on the hot
//! path; correctness of the escaping is checked by the tests parsing every line back with `serde_json`.

/// Milliseconds in one day.
pub(crate) const MS_PER_DAY: i64 = 86_400_000;

/// How an event's `ts` is written: the wire format accepts all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TsStyle {
    /// `"2026-11-02T08:00:00.250Z"`.
    Utc,
    /// `"2026-11-02T16:00:00.250+08:00"` (a client in Beijing).
    Beijing,
    /// `1793520000250` (server-side systems).
    Epoch,
}

/// Appends `s` as a JSON string literal, quotes included.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends the decimal digits of `n`.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends the decimal digits of `n`, with a minus sign when negative.
#[inline]
pub(crate) fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends `n` zero-padded to `width` digits (for dates).
fn push_padded(out: &mut Vec<u8>, n: i64, width: usize) {
    let mut buf = [b'0'; 8];
    let mut v = n.unsigned_abs();
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// Appends the `ts` value of an event at `ms` in the given style (with quotes for the string styles).
pub(crate) fn push_ts(out: &mut Vec<u8>, ms: i64, style: TsStyle) {
    match style {
        TsStyle::Epoch => push_i64(out, ms),
        TsStyle::Utc => {
            out.push(b'"');
            push_civil(out, ms);
            out.extend_from_slice(b"Z\"");
        }
        TsStyle::Beijing => {
            out.push(b'"');
            push_civil(out, ms + 8 * 3_600_000);
            out.extend_from_slice(b"+08:00\"");
        }
    }
}

/// Appends `YYYY-MM-DDTHH:MM:SS.mmm` for `ms` read as a civil time.
fn push_civil(out: &mut Vec<u8>, ms: i64) {
    let (y, mo, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let rem = ms.rem_euclid(MS_PER_DAY);
    push_padded(out, y, 4);
    out.push(b'-');
    push_padded(out, mo, 2);
    out.push(b'-');
    push_padded(out, d, 2);
    out.push(b'T');
    push_padded(out, rem / 3_600_000, 2);
    out.push(b':');
    push_padded(out, rem / 60_000 % 60, 2);
    out.push(b':');
    push_padded(out, rem / 1000 % 60, 2);
    out.push(b'.');
    push_padded(out, rem % 1000, 3);
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_serde() {
        for s in [
            "plain",
            "引号\"和\\反斜杠",
            "line\nbreak\t\u{1}",
            "",
            "emoji 🦀 ok",
        ] {
            let mut out = Vec::new();
            push_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).expect("valid JSON string");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn numbers_and_timestamps() {
        let mut out = Vec::new();
        push_i64(&mut out, -1205);
        out.push(b' ');
        push_u64(&mut out, 0);
        out.push(b' ');
        // 2026-11-02T00:00:00Z
        push_ts(&mut out, 1_793_577_600_250, TsStyle::Utc);
        out.push(b' ');
        push_ts(&mut out, 1_793_577_600_250, TsStyle::Beijing);
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            "-1205 0 \"2026-11-02T00:00:00.250Z\" \"2026-11-02T08:00:00.250+08:00\""
        );
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
