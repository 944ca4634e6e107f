//! Network shapes: the checks both engines run before allocating a layer.
//!
//! Sizes come from callers and from weight files, so every count is
//! computed with checked arithmetic and compared with
//! [`MAX_PARAMETER_BYTES`] before anything is allocated: a width with a few
//! zeros too many is then an error the caller can handle, where the
//! allocation itself would abort the process (Rust aborts on allocation
//! failure, and on Linux an allocation that does succeed may be killed
//! later, when its pages are first written).

use crate::Error;

/// The most bytes a network's parameters (with whatever each engine keeps
/// per parameter: gradients, tape nodes) may take: 8 GiB.
///
/// That is half a billion `f64` parameters in the batched engine, far past
/// what ferrograd is for, and below the memory of the machines it runs on,
/// so a network that passes this check can be allocated.
pub const MAX_PARAMETER_BYTES: usize = 8 << 30;

/// Checks a network of `nin` inputs and layers of `sizes` outputs: at least
/// one layer, no width 0, and parameters (`nout * (nin + 1)` per layer) that
/// fit in [`MAX_PARAMETER_BYTES`] at `bytes_per_parameter` each. Returns the
/// parameter count.
///
/// ```
/// use ferrograd_scalar::{nn::check_sizes, Error};
/// assert_eq!(check_sizes(3, &[4, 4, 1], 16), Ok(41));
/// assert!(matches!(check_sizes(1, &[1_000_000_000], 16), Err(Error::TooLarge { .. })));
/// assert!(matches!(check_sizes(1, &[usize::MAX], 16), Err(Error::TooLarge { .. })));
/// ```
pub fn check_sizes(
    nin: usize,
    sizes: &[usize],
    bytes_per_parameter: usize,
) -> Result<usize, Error> {
    if sizes.is_empty() {
        return Err(Error::EmptySizes);
    }
    if nin == 0 {
        return Err(Error::ZeroWidth {
            what: "the input".into(),
        });
    }
    if let Some(i) = sizes.iter().position(|&s| s == 0) {
        return Err(Error::ZeroWidth {
            what: format!("layer {i}"),
        });
    }
    let inputs = std::iter::once(nin).chain(sizes.iter().copied());
    let count = inputs.zip(sizes).try_fold(0usize, |acc, (i, &o)| {
        layer_parameters(i, o)?.checked_add(acc)
    });
    fit(
        || format!("a network of {nin} inputs and layer sizes {sizes:?}"),
        count,
        bytes_per_parameter,
    )
}

/// [`check_sizes`] for one layer of `nout` neurons with `nin` inputs each.
pub fn check_layer(nin: usize, nout: usize, bytes_per_parameter: usize) -> Result<usize, Error> {
    if nin == 0 {
        return Err(Error::ZeroWidth {
            what: "the layer's input".into(),
        });
    }
    if nout == 0 {
        return Err(Error::ZeroWidth {
            what: "the layer".into(),
        });
    }
    fit(
        || format!("a layer of {nin} inputs and {nout} outputs"),
        layer_parameters(nin, nout),
        bytes_per_parameter,
    )
}

/// Bytes one parameter of the scalar engine takes: its tape node and the
/// handle its neuron keeps.
pub(crate) fn scalar_parameter_bytes<T: crate::Scalar>() -> usize {
    std::mem::size_of::<crate::tape::Node<T>>() + std::mem::size_of::<crate::Value<T>>()
}

fn layer_parameters(nin: usize, nout: usize) -> Option<usize> {
    nin.checked_add(1)?.checked_mul(nout)
}

fn fit(
    what: impl FnOnce() -> String,
    count: Option<usize>,
    bytes_per_parameter: usize,
) -> Result<usize, Error> {
    let Some(count) = count else {
        return Err(Error::TooLarge {
            what: what(),
            why: "its parameter count overflows usize".into(),
        });
    };
    let bytes = count.checked_mul(bytes_per_parameter);
    match bytes {
        Some(b) if b <= MAX_PARAMETER_BYTES => Ok(count),
        _ => Err(Error::TooLarge {
            what: what(),
            why: format!(
                "its {count} parameters need {} bytes ({bytes_per_parameter} each), over the \
                 limit of {MAX_PARAMETER_BYTES} bytes (8 GiB) that makes such a size an error \
                 instead of an allocation failure that aborts the process",
                bytes.map_or_else(|| "more than usize::MAX".to_string(), |b| b.to_string()),
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_limits() {
        assert_eq!(check_layer(2, 3, 8), Ok(9));
        let limit = MAX_PARAMETER_BYTES / 8;
        // Exactly at the limit passes; one parameter more does not.
        assert_eq!(check_sizes(limit - 1, &[1], 8), Ok(limit));
        assert!(matches!(
            check_sizes(limit, &[1], 8),
            Err(Error::TooLarge { .. })
        ));
        let err = check_layer(1, 1_000_000_000, 16).unwrap_err().to_string();
        assert!(
            err.contains("2000000000 parameters need 32000000000 bytes"),
            "{err}"
        );
        assert!(check_layer(usize::MAX, 1, 1)
            .unwrap_err()
            .to_string()
            .contains("overflows"));
        assert_eq!(
            check_sizes(2, &[3, 0], 8),
            Err(Error::ZeroWidth {
                what: "layer 1".into()
            })
        );
    }
}
