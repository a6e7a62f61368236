//! A small Nelder-Mead simplex minimiser. Holt-Winters' in-sample error has no gradient worth
//! deriving by hand and only four or five parameters, where the simplex method converges in a few
//! hundred evaluations of a linear-time filter.

/// Minimises `f` from `start` (unconstrained; callers map their bounded parameters onto the real
/// line). `step` is the initial simplex size per coordinate; stops after `max_evals` evaluations
/// or when the simplex's values agree within `tolerance`. Returns the best point and its value.
pub fn minimise(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evals: usize,
    tolerance: f64,
) -> (Vec<f64>, f64) {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let value = |f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64]| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    simplex.push((start.to_vec(), value(f, start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step;
        let v = value(f, &x);
        simplex.push((x, v));
    }
    let mut evals = n + 1;
    while evals < max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= tolerance * (best.abs() + tolerance) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64, worst: &[f64]| -> Vec<f64> {
            centroid
                .iter()
                .zip(worst)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = towards(-1.0, &simplex[n].0);
        let fr = value(f, &reflected);
        evals += 1;
        if fr < simplex[0].1 {
            let expanded = towards(-2.0, &simplex[n].0);
            let fe = value(f, &expanded);
            evals += 1;
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let outside = fr < simplex[n].1;
            let contracted = towards(if outside { -0.5 } else { 0.5 }, &simplex[n].0);
            let fc = value(f, &contracted);
            evals += 1;
            if fc < fr.min(simplex[n].1) {
                simplex[n] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for (x, v) in simplex.iter_mut().skip(1) {
                    for (xi, bi) in x.iter_mut().zip(&best) {
                        *xi = bi + 0.5 * (*xi - bi);
                    }
                    *v = value(f, x);
                    evals += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_quadratic_bowl() {
        let mut f = |x: &[f64]| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2);
        let (x, v) = minimise(&mut f, &[0.0, 0.0], 0.5, 1000, 1e-14);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4,
            "{x:?}"
        );
        assert!(v < 1e-8);
    }
}
