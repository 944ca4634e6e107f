//! Weights as safetensors, with PyTorch `nn.Sequential` state-dict names.
//!
//! An MLP here corresponds to `nn.Sequential(Linear, act, Linear, act, ...)`:
//! every activation is a module of its own, so the linear layers sit at the
//! even indices and their tensors are named `0.weight`, `0.bias`,
//! `2.weight`, `2.bias`, `4.weight`, ... (layer `l` is `{2l}`), with weights
//! `(out, in)` and biases `(out)`, dtype `F32` or `F64`. This is the naming
//! for every network, even one whose last layer has no activation module (the
//! index of layer `l` never depends on later layers). Such a file loads in
//! PyTorch with `model.load_state_dict(safetensors.torch.load_file(path))`.
//!
//! The header's `__metadata__` also records `format = pt`, the layer sizes and
//! the activations, so [`Mlp::from_safetensors`] can rebuild the network.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use ferrograd_scalar::nn::check_sizes;

use crate::error::rule;
use crate::mlp::parameter_bytes;
use crate::{Activation, Float, Linear, Mlp, TensorError};

/// The state-dict name of layer `layer`'s weight (`"weight"`) or bias (`"bias"`).
pub fn state_dict_name(layer: usize, which: &str) -> String {
    format!("{}.{which}", 2 * layer)
}

/// One layer's weight and bias, read and checked but not yet installed.
type Staged<T> = (Array2<T>, Array1<T>);

struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn raw<'a, T: Float>(shape: &[usize], values: impl Iterator<Item = &'a T>) -> Raw {
    let mut bytes = Vec::with_capacity(shape.iter().product::<usize>() * std::mem::size_of::<T>());
    values.for_each(|&v| v.write_le(&mut bytes));
    Raw {
        dtype: T::DTYPE,
        shape: shape.to_vec(),
        bytes,
    }
}

impl<T: Float> Mlp<T> {
    /// The network's parameters as a safetensors file (see the module docs for names).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, TensorError> {
        let mut tensors = Vec::with_capacity(2 * self.layers().len());
        for (l, layer) in self.layers().iter().enumerate() {
            tensors.push((
                state_dict_name(l, "weight"),
                raw(layer.weight().shape(), layer.weight().iter()),
            ));
            tensors.push((
                state_dict_name(l, "bias"),
                raw(layer.bias().shape(), layer.bias().iter()),
            ));
        }
        let sizes: Vec<String> = std::iter::once(self.nin())
            .chain(self.sizes())
            .map(|s| s.to_string())
            .collect();
        let acts: Vec<&str> = self.activations().iter().map(|a| a.name()).collect();
        let meta = HashMap::from([
            ("format".to_string(), "pt".to_string()),
            ("ferrograd.sizes".to_string(), sizes.join(",")),
            ("ferrograd.activations".to_string(), acts.join(",")),
        ]);
        safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), Some(meta))
            .map_err(|e| TensorError::Corrupt(e.to_string()))
    }

    /// Writes [`Mlp::to_safetensors`] to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TensorError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_safetensors()?).map_err(|source| TensorError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Loads parameters from a safetensors file in memory. Every tensor is
    /// checked (present, dtype, shape, bytes complete, no extra tensors)
    /// before any is copied, so on error the network is unchanged. The file
    /// needs no metadata: one written by PyTorch with the same names loads.
    pub fn load_safetensors(&mut self, bytes: &[u8]) -> Result<(), TensorError> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| decode_error(bytes, e))?;
        let shapes: Vec<[usize; 2]> = self.layers().iter().map(|l| [l.nout(), l.nin()]).collect();
        let staged = stage::<T>(&st, &shapes, Expected::Model)?;
        for (layer, (w, b)) in self.layers_mut().iter_mut().zip(staged) {
            layer.set_parameters(
                w.view(),
                b.as_slice().expect("freshly built bias is contiguous"),
            )?;
        }
        Ok(())
    }

    /// Reads `path` and [`Mlp::load_safetensors`] it.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), TensorError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| TensorError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.load_safetensors(&bytes)
    }

    /// Builds a network from a file written by [`Mlp::to_safetensors`], using
    /// the sizes and activations recorded in its metadata.
    ///
    /// The metadata is only a claim: every size in it is checked against the
    /// shape of the tensor actually in the file (whose bytes the file holds)
    /// before anything is allocated, so a file of a few hundred bytes cannot
    /// ask for gigabytes.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, TensorError> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| decode_error(bytes, e))?;
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| decode_error(bytes, e))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        let get = |key: &'static str| {
            meta.get(key)
                .ok_or(TensorError::MissingMetadata { key })
                .map(|v| (key, v))
        };
        let (key, sizes) = get(SIZES)?;
        let sizes: Vec<usize> = sizes
            .split(',')
            .map(|s| {
                s.trim().parse().map_err(|_| TensorError::BadMetadata {
                    key,
                    why: format!("{s:?} is not a layer size (a whole number >= 0)"),
                })
            })
            .collect::<Result<_, _>>()?;
        let (key, acts) = get(ACTIVATIONS)?;
        let acts: Vec<Activation> = acts
            .split(',')
            .map(|s| {
                Activation::from_name(s.trim()).ok_or_else(|| TensorError::BadMetadata {
                    key,
                    why: format!("{s:?} is not an activation"),
                })
            })
            .collect::<Result<_, _>>()?;
        if sizes.len() < 2 {
            return Err(TensorError::BadMetadata {
                key: SIZES,
                why: format!(
                    "it lists {} size(s); it needs the input width and at least one layer size",
                    sizes.len()
                ),
            });
        }
        let shapes: Vec<[usize; 2]> = sizes.windows(2).map(|w| [w[1], w[0]]).collect();
        if acts.len() != shapes.len() {
            return Err(TensorError::ActivationCount {
                layers: shapes.len(),
                activations: acts.len(),
            });
        }
        // Each shape now matches a tensor in the file, so these sizes are
        // bounded by the file's length; the shared check adds zero widths
        // and the parameter limit.
        let staged = stage::<T>(&st, &shapes, Expected::Metadata)?;
        check_sizes(sizes[0], &sizes[1..], parameter_bytes::<T>()).map_err(rule)?;
        let layers = staged
            .into_iter()
            .map(|(w, b)| Linear::from_parts(w, b))
            .collect::<Result<Vec<_>, _>>()?;
        Mlp::from_layers(layers, acts)
    }
}

/// The metadata key holding the input width and the layer sizes.
const SIZES: &str = "ferrograd.sizes";
/// The metadata key holding one activation name per layer.
const ACTIVATIONS: &str = "ferrograd.activations";

/// Where the shapes a file must match come from, for the error's wording.
#[derive(Clone, Copy)]
enum Expected {
    /// The network being loaded into.
    Model,
    /// The file's own `ferrograd.sizes`.
    Metadata,
}

/// Reads and checks every layer's weight `(out, in)` and bias `(out)` from
/// `st` against `shapes`, and refuses tensors with other names, without
/// allocating for a shape that is not the file's own.
fn stage<T: Float>(
    st: &SafeTensors<'_>,
    shapes: &[[usize; 2]],
    expected: Expected,
) -> Result<Vec<Staged<T>>, TensorError> {
    let mut names = BTreeSet::new();
    for (l, &[nout, nin]) in shapes.iter().enumerate() {
        check::<T>(st, &state_dict_name(l, "weight"), &[nout, nin], expected)?;
        check::<T>(st, &state_dict_name(l, "bias"), &[nout], expected)?;
        names.insert(state_dict_name(l, "weight"));
        names.insert(state_dict_name(l, "bias"));
    }
    let mut present = st.names();
    present.sort();
    if let Some(extra) = present.into_iter().find(|n| !names.contains(*n)) {
        return Err(TensorError::UnexpectedTensor {
            name: extra.to_string(),
            expected: names.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    shapes
        .iter()
        .enumerate()
        .map(|(l, &[nout, nin])| {
            let w = read::<T>(st, &state_dict_name(l, "weight"))?;
            let b = read::<T>(st, &state_dict_name(l, "bias"))?;
            let w =
                Array2::from_shape_vec((nout, nin), w).expect("length checked against the shape");
            Ok((w, Array1::from(b)))
        })
        .collect()
}

/// Checks that tensor `name` is in `st` with our dtype and `shape`.
fn check<T: Float>(
    st: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
    expected: Expected,
) -> Result<(), TensorError> {
    let view = st.tensor(name).map_err(|_| TensorError::MissingTensor {
        name: name.to_string(),
        expected: format!("{:?} {shape:?}", T::DTYPE),
    })?;
    if view.dtype() != T::DTYPE {
        return Err(TensorError::TensorDtype {
            name: name.to_string(),
            expected: format!("{:?}", T::DTYPE),
            got: format!("{:?}", view.dtype()),
        });
    }
    if view.shape() != shape {
        let (name, file) = (name.to_string(), view.shape().to_vec());
        return Err(match expected {
            Expected::Model => TensorError::TensorShape {
                name,
                expected: shape.to_vec(),
                got: file,
            },
            Expected::Metadata => TensorError::MetadataShape {
                name,
                metadata: shape.to_vec(),
                file,
            },
        });
    }
    Ok(())
}

/// The values of tensor `name`, already [`check`]ed.
fn read<T: Float>(st: &SafeTensors<'_>, name: &str) -> Result<Vec<T>, TensorError> {
    let view = st
        .tensor(name)
        .map_err(|e| TensorError::Corrupt(e.to_string()))?;
    let size = std::mem::size_of::<T>();
    Ok(view.data().chunks_exact(size).map(T::read_le).collect())
}

/// Turns a safetensors decoding error into ours, naming the first tensor whose
/// bytes lie past the end of a truncated file when the header says which.
fn decode_error(bytes: &[u8], err: SafeTensorError) -> TensorError {
    if let Some(t) = find_truncated(bytes) {
        return t;
    }
    TensorError::Corrupt(plain_words(bytes, err))
}

/// What a safetensors decoding error means for this file, with its numbers.
fn plain_words(bytes: &[u8], err: SafeTensorError) -> String {
    use SafeTensorError as E;
    let n = bytes.len();
    let header = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes);
    let header_len = header.map_or_else(|| "?".to_string(), |h| h.to_string());
    match err {
        E::HeaderTooSmall => format!(
            "the file has {n} bytes, fewer than the 8 that give a safetensors header's length"
        ),
        E::InvalidHeaderLength => format!(
            "its first 8 bytes give a header of {header_len} bytes but only {} bytes follow them",
            n.saturating_sub(8)
        ),
        E::HeaderTooLarge => format!(
            "its first 8 bytes give a header of {header_len} bytes, over the 100000000 that safetensors reads"
        ),
        E::InvalidHeader(e) => format!("its header is not UTF-8 text ({e})"),
        E::InvalidHeaderDeserialization(e) | E::JsonError(e) => {
            format!("its header is not the JSON safetensors expects ({e})")
        }
        E::MetadataIncompleteBuffer => format!(
            "the tensors' data offsets do not cover the {} bytes after the header exactly",
            header.map_or(0, |h| n.saturating_sub(8).saturating_sub(h as usize))
        ),
        E::InvalidOffset(name) => {
            format!("tensor {name:?} has data offsets that overlap another tensor or leave a gap")
        }
        E::TensorInvalidInfo | E::ValidationOverflow => {
            "a tensor's shape and dtype do not match the bytes its data offsets give it".into()
        }
        E::InvalidTensorView(dtype, shape, bytes) => {
            format!("a {dtype:?} tensor of shape {shape:?} cannot be read from {bytes} bytes")
        }
        E::MisalignedSlice => "a tensor's data does not end on a byte boundary".into(),
        E::TensorNotFound(name) => format!("it has no tensor {name:?}"),
        E::IoError(e) => format!("it could not be read ({e})"),
    }
}

fn find_truncated(bytes: &[u8]) -> Option<TensorError> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header = bytes.get(8..8usize.checked_add(n)?)?;
    let json: serde_json::Value = serde_json::from_slice(header).ok()?;
    let available = bytes.len() - 8 - n;
    let mut entries: Vec<(usize, String)> = json
        .as_object()?
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .filter_map(|(k, v)| {
            let end = v.get("data_offsets")?.get(1)?.as_u64()? as usize;
            Some((end, k.clone()))
        })
        .collect();
    entries.sort();
    entries
        .into_iter()
        .find(|(end, _)| *end > available)
        .map(|(needed, name)| TensorError::Truncated {
            name,
            needed,
            available,
        })
}
