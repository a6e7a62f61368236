//! `cohort plot forecast` end to end: generated traffic into a lake, a chart of one community's
//! messages, and the plotted numbers checked against an independent SQL count over the lake.

#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed assertion

mod common;

use std::collections::HashMap;

use common::{cohort, ok, query, run_generate};

/// The comma-separated numbers of attribute `name` on the element with `class="<class>"`.
fn attr(svg: &str, class: &str, name: &str) -> Vec<f64> {
    let start = svg.find(&format!("class=\"{class}\"")).unwrap();
    let element = &svg[start..start + svg[start..].find("/>").unwrap()];
    let from = element.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let text = &element[from..from + element[from..].find('"').unwrap()];
    text.split(',').map(|v| v.parse().unwrap()).collect()
}

#[test]
fn forecast_plot_matches_the_lake_and_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_generate(60_000, 7, &data);
    let community = query(
        &data,
        "SELECT community_id, count(*) FROM events_chat GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )[0][0]
        .clone();
    let out = dir.path().join("x.svg");
    let mut cmd = cohort();
    cmd.args([
        "plot",
        "forecast",
        "--community",
        &community,
        "--metric",
        "messages",
    ])
    .arg("--data-dir")
    .arg(&data)
    .arg("--out")
    .arg(&out);
    ok(cmd);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for class in ["history", "forecast", "band80", "band95"] {
        assert!(svg.contains(&format!("class=\"{class}\"")), "no {class}");
    }
    assert!(svg.contains("<polyline class=\"history\""));
    assert!(svg.contains("<polyline class=\"forecast\""));
    assert_eq!(svg.matches("<polygon class=\"band").count(), 2);

    // The plotted history equals an hourly count computed separately over the lake.
    let hours = attr(&svg, "history", "data-hours");
    let values = attr(&svg, "history", "data-values");
    assert_eq!(hours.len(), values.len());
    assert!(!values.is_empty() && values.len() <= 14 * 24);
    let counted: HashMap<i64, f64> = query(
        &data,
        &format!(
            "SELECT CAST(to_unixtime(date_trunc('hour', ts)) AS BIGINT) AS h, count(*) \
             FROM events_chat WHERE community_id = '{community}' GROUP BY 1"
        ),
    )
    .into_iter()
    .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
    .collect();
    for (h, v) in hours.iter().zip(&values) {
        let expected = counted.get(&(*h as i64)).copied().unwrap_or(0.0);
        assert_eq!(*v, expected, "hour {h}");
    }
    // The plot ends at the lake's last message hour, so the window holds its latest counts.
    let last = counted.keys().max().copied().unwrap();
    assert_eq!(*hours.last().unwrap() as i64, last);
    assert!(values.iter().sum::<f64>() > 0.0);
    let yhat = attr(&svg, "forecast", "data-values");
    assert_eq!(yhat.len(), 48);
    let (lo95, hi95) = (
        attr(&svg, "band95", "data-lo"),
        attr(&svg, "band95", "data-hi"),
    );
    let (lo80, hi80) = (
        attr(&svg, "band80", "data-lo"),
        attr(&svg, "band80", "data-hi"),
    );
    for i in 0..48 {
        assert!(lo95[i] <= lo80[i] && lo80[i] <= yhat[i] + 1e-9, "hour {i}");
        assert!(yhat[i] <= hi80[i] + 1e-9 && hi80[i] <= hi95[i], "hour {i}");
    }

    // Unknown community and unknown metric: non-zero exit, the message names what is missing.
    for (c, m, needle) in [
        ("no-such-community", "messages", "no-such-community"),
        (community.as_str(), "bogus_metric", "bogus_metric"),
    ] {
        let out = cohort()
            .args(["plot", "forecast", "--community", c, "--metric", m])
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
}
