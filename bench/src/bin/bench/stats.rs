//! Order statistics of a sample.

/// A sample, sorted once.
#[derive(Clone, Default)]
pub(crate) struct Sample {
    sorted: Vec<f64>,
}

impl Sample {
    pub(crate) fn new(mut values: Vec<f64>) -> Sample {
        values.sort_by(f64::total_cmp);
        Sample { sorted: values }
    }

    pub(crate) fn values(&self) -> &[f64] {
        &self.sorted
    }

    pub(crate) fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The `q`-quantile by the nearest-rank method: the smallest value with
    /// at least `q` of the sample at or below it. NaN for an empty sample.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    pub(crate) fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    pub(crate) fn p90(&self) -> f64 {
        self.quantile(0.9)
    }

    pub(crate) fn p99(&self) -> f64 {
        self.quantile(0.99)
    }

    pub(crate) fn max(&self) -> f64 {
        self.quantile(1.0)
    }

    /// A distribution-free 95 % confidence interval of the median: the
    /// order statistics of ranks k and n + 1 − k with k = ⌊(n − 1.96 √n) / 2⌋
    /// (the sign test, by its normal approximation). It assumes nothing of
    /// the distribution's shape, which for process wall times is skewed and
    /// often has two modes. Up to 10 values it is the whole range (which
    /// covers less than 95 % below 6). NaNs for an empty sample.
    pub(crate) fn median_ci95(&self) -> (f64, f64) {
        let n = self.sorted.len();
        if n == 0 {
            return (f64::NAN, f64::NAN);
        }
        let k = ((n as f64 - 1.96 * (n as f64).sqrt()) / 2.0)
            .floor()
            .max(1.0) as usize;
        (self.sorted[k - 1], self.sorted[n - k])
    }
}

/// Collects samples per variant while the variants run interleaved.
pub(crate) struct Collector {
    samples: Vec<Vec<f64>>,
}

impl Collector {
    pub(crate) fn new(variants: usize) -> Collector {
        Collector {
            samples: vec![Vec::new(); variants],
        }
    }

    pub(crate) fn push(&mut self, variant: usize, value: f64) {
        self.samples[variant].push(value);
    }

    /// The values of `variant` in the order they were pushed: the i-th value
    /// of every variant comes from the same round.
    pub(crate) fn raw(&self, variant: usize) -> &[f64] {
        &self.samples[variant]
    }

    pub(crate) fn finish(self) -> Vec<Sample> {
        self.samples.into_iter().map(Sample::new).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let sample = Sample::new((1..=100).rev().map(f64::from).collect());
        assert_eq!(sample.median(), 50.0);
        assert_eq!(sample.p90(), 90.0);
        assert_eq!(sample.p99(), 99.0);
        assert_eq!(sample.max(), 100.0);
        assert_eq!(Sample::new(vec![7.0]).p99(), 7.0);
        assert!(Sample::default().median().is_nan());
    }

    #[test]
    fn median_confidence_interval_by_ranks() {
        // n = 100: k = ⌊(100 − 19.6) / 2⌋ = 40, so ranks 40 and 61.
        let sample = Sample::new((1..=100).map(f64::from).collect());
        assert_eq!(sample.median_ci95(), (40.0, 61.0));
        assert_eq!(Sample::new(vec![3.0, 1.0, 2.0]).median_ci95(), (1.0, 3.0));
        assert!(Sample::default().median_ci95().0.is_nan());
    }
}
