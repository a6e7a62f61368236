//! `cohort eval forecast`'s measures reproduce M4's benchmarks on a small hand-made M4-format file.
//!
//! The expected figures were computed once, independently of this crate, by a plain-Python
//! re-implementation of the M4 R code (`SeasonalityTest`, `decompose(type = "multiplicative")`,
//! `naive`, `snaive`, `smape_cal`, `mase_cal` of "Benchmarks and Evaluation.R"), written from the R
//! sources: acf with the overall mean and denominator n, up to R's default lag.max of
//! floor(10·log10(n)); a centred 2×24 moving average as the trend; per-slot means of x / trend
//! normalised to mean 1; Naive2 = last adjusted value × the last cycle's indices. Its output on the
//! four series below (the last 48 values held out):
//!
//! ```text
//! F1 seasonal     snaive sMAPE 5.220842496611123  MASE 1.4847539847539848 Naive2 sMAPE 3.32227975734307   MASE 0.9603236121134644
//! F2 not seasonal snaive sMAPE 17.080154179568037 MASE 1.0633290543431748 Naive2 sMAPE 17.432410963811183 MASE 1.037655113393239
//! F3 not seasonal snaive sMAPE 8.178962142001561  MASE 0.765625           Naive2 sMAPE 22.771954613025372 MASE 2.248263888888889
//! F4 not seasonal snaive sMAPE 7.050523454414339  MASE 1.5                Naive2 sMAPE 19.758147259698777 MASE 4.081797235023042
//! means: snaive 9.382620568148765 1.2034270097742898, Naive2 15.821198148469602 2.0820099623546584
//! snaive OWA 0.5855266083691583
//! ```
//!
//! F1 (264 values of history) passes the ACF test. F2 fails it (|acf_24| = 0.246 < 0.310). F3 has
//! 52 values of history, under M4's three cycles. F4 is F1's pattern with only 96 values of
//! history: R's default `acf` stops at lag 19, so M4's test finds no lag 24 and says "not
//! seasonal" (the M4 hourly series all have 700 or more values, where this never happens).
//!
//! The script (`python3 check.py`, no packages needed):
//!
//! ```python
//! # Independent re-implementation of M4's benchmarks (R: SeasonalityTest, decompose(type="multiplicative"),
//! # naive, snaive, smape_cal, mase_cal from "Benchmarks and Evaluation.R"), written from the R sources.
//! import math
//! PROFILE=[0,5,12,20,28,35,40,42,40,35,28,20,12,5,0,-5,-12,-20,-28,-35,-40,-42,-40,-35]
//! def series():
//!     s1=[200+PROFILE[t%24]+t//2+(t*37)%11 for t in range(312)]
//!     s2=[50+(t*7919)%23 for t in range(312)]
//!     s3=[30+(t*13)%7+PROFILE[t%24]//4 for t in range(100)]
//!     s4=[200+PROFILE[t%24]+t//2+(t*37)%11 for t in range(144)]
//!     return [("F1",s1),("F2",s2),("F3",s3),("F4",s4)]
//! def acf(x,lagmax):
//!     n=len(x); m=sum(x)/n; c0=sum((v-m)**2 for v in x)/n
//!     return [sum((x[t]-m)*(x[t+k]-m) for t in range(n-k))/n/c0 for k in range(1,lagmax+1)]
//! def seasonal(x,ppy):
//!     if len(x)<3*ppy: return False
//!     # R's acf() computes lags up to floor(10*log10(n)) by default; xacf[ppy] is NA beyond that and
//!     # M4's code then says "not seasonal".
//!     if min(math.floor(10*math.log10(len(x))), len(x)-1) < ppy: return False
//!     a=acf(x,ppy)
//!     clim=1.645/math.sqrt(len(x))*math.sqrt(1+2*sum(v*v for v in a[:ppy-1]))
//!     return abs(a[ppy-1])>clim
//! def decompose_mult(x,f):
//!     l=len(x); filt=[0.5/f]+[1/f]*(f-1)+[0.5/f]; o=len(filt)//2
//!     trend=[None]*l
//!     for i in range(l):
//!         if i-o>=0 and i+o<l: trend[i]=sum(filt[j]*x[i-o+j] for j in range(len(filt)))
//!     season=[x[i]/trend[i] if trend[i] is not None else None for i in range(l)]
//!     fig=[]
//!     for i in range(f):
//!         vals=[season[k] for k in range(i,l,f) if season[k] is not None]
//!         fig.append(sum(vals)/len(vals))
//!     mf=sum(fig)/f; fig=[v/mf for v in fig]
//!     return [fig[i%f] for i in range(l)]
//! def naive2(x,fh,ppy=24):
//!     if seasonal(x,ppy):
//!         si=decompose_mult(x,ppy); des=[x[i]/si[i] for i in range(len(x))]
//!         last=si[-ppy:]; out=[des[-1]*last[h%ppy] for h in range(fh)]
//!         return out, True
//!     return [x[-1]]*fh, False
//! def snaive(x,fh,ppy=24): return [x[len(x)-ppy+(h%ppy)] for h in range(fh)]
//! def smape(y,f): return sum(200*abs(a-b)/(abs(a)+abs(b)) for a,b in zip(y,f))/len(y)
//! def mase(ins,y,f,ppy=24):
//!     scale=sum(abs(ins[i]-ins[i-ppy]) for i in range(ppy,len(ins)))/(len(ins)-ppy)
//!     return sum(abs(a-b) for a,b in zip(y,f))/len(y)/scale
//! res={"sn":[[],[]],"n2":[[],[]]}
//! for name,s in series():
//!     ins,out=s[:-48],s[-48:]
//!     f2,st=naive2(ins,48); fs=snaive(ins,48)
//!     print(name,"seasonal" if st else "not seasonal", smape(out,fs), mase(ins,out,fs), smape(out,f2), mase(ins,out,f2))
//!     for k,f in (("sn",fs),("n2",f2)):
//!         res[k][0].append(smape(out,f)); res[k][1].append(mase(ins,out,f))
//! for k in res: print(k, repr(sum(res[k][0])/len(res["sn"][0])), repr(sum(res[k][1])/len(res["sn"][0])))
//! sm=sum(res["sn"][0])/len(res["sn"][0])/(sum(res["n2"][0])/len(res["sn"][0])); ma=sum(res["sn"][1])/len(res["sn"][0])/(sum(res["n2"][1])/len(res["sn"][0]))
//! print("snaive owa", repr((sm+ma)/2))
//! ```

use std::path::Path;

use cohort_jobs::forecast::m4::benchmarks::{is_seasonal, naive2, seasonal_naive};
use cohort_jobs::forecast::m4::eval::{EvalOptions, evaluate};
use cohort_jobs::forecast::m4::metrics::{mase, mase_scale, smape};

const PROFILE: [i64; 24] = [
    0, 5, 12, 20, 28, 35, 40, 42, 40, 35, 28, 20, 12, 5, 0, -5, -12, -20, -28, -35, -40, -42, -40,
    -35,
];

/// The fixture: a seasonal series with a trend, a non-seasonal one, and a short one.
fn fixture() -> Vec<(&'static str, Vec<f64>)> {
    let seasonal = |t: i64| 200 + PROFILE[t as usize % 24] + t / 2 + (t * 37) % 11;
    let s2 = (0..312).map(|t| 50 + (t * 7919) % 23);
    let s3 = (0..100).map(|t| 30 + (t * 13) % 7 + PROFILE[t as usize % 24].div_euclid(4));
    vec![
        ("F1", (0..312).map(|t| seasonal(t) as f64).collect()),
        ("F2", s2.map(|v| v as f64).collect()),
        ("F3", s3.map(|v| v as f64).collect()),
        ("F4", (0..144).map(|t| seasonal(t) as f64).collect()),
    ]
}

/// Writes series the way the M4 files are written: quoted, header row, NA padding.
fn write_m4(path: &Path, series: &[(&str, Vec<f64>)]) {
    let width = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let mut text = (1..=width + 1)
        .map(|i| format!("\"V{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for (id, values) in series {
        let mut row = vec![format!("\"{id}\"")];
        row.extend(values.iter().map(|v| format!("\"{v}\"")));
        row.extend((values.len()..width).map(|_| "NA".to_string()));
        text.push_str(&row.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).expect("writing the fixture");
}

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[test]
fn per_series_benchmarks_match_the_reference() {
    // Seasonal?, then seasonal naive sMAPE and MASE, Naive2 sMAPE and MASE.
    let want: [(bool, [f64; 4]); 4] = [
        (
            true,
            [
                5.220842496611123,
                1.4847539847539848,
                3.32227975734307,
                0.9603236121134644,
            ],
        ),
        (
            false,
            [
                17.080154179568037,
                1.0633290543431748,
                17.432410963811183,
                1.037655113393239,
            ],
        ),
        (
            false,
            [
                8.178962142001561,
                0.765625,
                22.771954613025372,
                2.248263888888889,
            ],
        ),
        (
            false,
            [
                7.050523454414339,
                1.5,
                19.758147259698777,
                4.081797235023042,
            ],
        ),
    ];
    for ((_, values), (seasonal, [sn_smape, sn_mase, n2_smape, n2_mase])) in
        fixture().iter().zip(want)
    {
        let (history, actual) = values.split_at(values.len() - 48);
        assert_eq!(is_seasonal(history, 24), seasonal);
        let scale = mase_scale(history, 24).unwrap();
        let sn = seasonal_naive(history, 24, 48);
        let n2 = naive2(history, 24, 48);
        close(smape(actual, &sn), sn_smape);
        close(mase(actual, &sn, scale), sn_mase);
        close(smape(actual, &n2), n2_smape);
        close(mase(actual, &n2, scale), n2_mase);
    }
}

#[test]
fn eval_reports_the_reference_means_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    write_m4(&train, &fixture());
    let report = evaluate(&train, &EvalOptions::default()).unwrap();
    assert_eq!(
        (report.series, report.horizon, report.holdout),
        (4, 48, Some(48))
    );
    close(report.baseline_snaive.smape, 9.382620568148765);
    close(report.baseline_snaive.mase, 1.2034270097742898);
    close(report.baseline_snaive.owa, 0.5855266083691583);
    close(report.baseline_naive2.smape, 15.821198148469602);
    close(report.baseline_naive2.mase, 2.0820099623546584);
    close(report.baseline_naive2.owa, 1.0);
    assert!(report.cohort.smape.is_finite() && report.cohort.owa.is_finite());

    // The same split given as history and test files scores the same.
    let (history, test): (Vec<_>, Vec<_>) = fixture()
        .into_iter()
        .map(|(id, v)| {
            let (h, t) = v.split_at(v.len() - 48);
            ((id, h.to_vec()), (id, t.to_vec()))
        })
        .unzip();
    let (history_path, test_path) = (dir.path().join("h.csv"), dir.path().join("t.csv"));
    write_m4(&history_path, &history);
    write_m4(&test_path, &test);
    let options = EvalOptions {
        test: Some(test_path),
        ..EvalOptions::default()
    };
    let with_test = evaluate(&history_path, &options).unwrap();
    assert_eq!(with_test.holdout, None);
    assert_eq!(with_test.cohort.smape, report.cohort.smape);
    assert_eq!(with_test.cohort.mase, report.cohort.mase);
    assert_eq!(
        with_test.baseline_naive2.smape,
        report.baseline_naive2.smape
    );
    assert_eq!(with_test.baseline_snaive.mase, report.baseline_snaive.mase);
}

#[test]
fn json_has_the_issue_keys() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    write_m4(&train, &fixture());
    let report = evaluate(&train, &EvalOptions::default()).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    for key in ["smape", "mase", "owa"] {
        assert!(json[key].is_number(), "{key}");
        assert!(json["baseline_snaive"][key].is_number(), "{key}");
        assert!(json["baseline_naive2"][key].is_number(), "{key}");
    }
}

#[test]
fn unreadable_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.csv");
    write_m4(&short, &[("S", vec![1.0; 48])]);
    assert!(evaluate(&short, &EvalOptions::default()).is_err());
    let missing_test = EvalOptions {
        test: Some(dir.path().join("none.csv")),
        ..EvalOptions::default()
    };
    assert!(evaluate(&short, &missing_test).is_err());
}
