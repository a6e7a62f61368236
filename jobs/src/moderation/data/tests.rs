//! Tests of the three labelled-file layouts, on fixtures written here.

use super::*;

fn write(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.txt");
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

#[test]
fn sms_skips_the_header_and_keeps_tabs_in_text() {
    let (_d, path) = write(b"Label\tSMS\nham\tsee you\tlater\r\n\nspam\tWIN cash\n");
    let got = read(&path, DataFormat::Sms).unwrap();
    assert_eq!(
        got,
        vec![
            LabelledText {
                text: "see you\tlater".into(),
                positive: false
            },
            LabelledText {
                text: "WIN cash".into(),
                positive: true
            },
        ]
    );
}

#[test]
fn sms_errors_name_file_and_line() {
    let (_d, path) = write(b"ham\tok\nspam no tab here\n");
    let err = read(&path, DataFormat::Sms).unwrap_err().to_string();
    assert!(
        err.contains("data.txt:2") && err.contains("no tab"),
        "{err}"
    );
    let (_d, path) = write(b"ham\tok\nmaybe\tx\n");
    let err = read(&path, DataFormat::Sms).unwrap_err().to_string();
    assert!(err.contains(":2:") && err.contains("maybe"), "{err}");
    let (_d, path) = write(b"ham\tok\n\xff\xfe\tbad\n");
    assert!(
        read(&path, DataFormat::Sms)
            .unwrap_err()
            .to_string()
            .contains("UTF-8")
    );
}

#[test]
fn cold_reads_named_columns_with_bom_and_quoted_fields() {
    let content = "\u{FEFF},split,topic,label,TEXT\n\
                   1,train,race,1,\"有逗号,的\"\"句子\"\"\n第二行\"\n\
                   2,train,region,0,台湾人这么说\n";
    let (_d, path) = write(content.as_bytes());
    let got = read(&path, DataFormat::Cold).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].text, "有逗号,的\"句子\"\n第二行");
    assert!(got[0].positive);
    assert_eq!(got[1].text, "台湾人这么说");
    assert!(!got[1].positive);
}

#[test]
fn cold_errors_name_the_missing_column_and_bad_line() {
    let (_d, path) = write(b"split,topic,TEXT\ntrain,race,x\n");
    let err = read(&path, DataFormat::Cold).unwrap_err().to_string();
    assert!(err.contains("`label`"), "{err}");
    let (_d, path) = write(b"label,TEXT\n1,a\n\"multi\nline\",b\nx,c\n");
    let err = read(&path, DataFormat::Cold).unwrap_err().to_string();
    assert!(err.contains("data.txt:3") && err.contains("multi"), "{err}");
}

#[test]
fn generic_csv_with_and_without_header() {
    let (_d, path) = write(b"label,text\nspam,buy now, cheap\n0,\"hi, there\"\n");
    let got = read(&path, DataFormat::Csv).unwrap();
    assert_eq!(got[0].text, "buy now, cheap");
    assert!(got[0].positive);
    assert_eq!(got[1].text, "hi, there");
    let (_d, path) = write(b"1,free\n0,lunch\n");
    assert_eq!(read(&path, DataFormat::Csv).unwrap().len(), 2);
    let (_d, path) = write(b"label,text\n");
    assert!(matches!(
        read(&path, DataFormat::Csv),
        Err(DataError::Empty { .. })
    ));
    let (_d, path) = write(b"1,ok\nonly\n");
    assert!(
        read(&path, DataFormat::Csv)
            .unwrap_err()
            .to_string()
            .contains(":2:")
    );
}
