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
}
