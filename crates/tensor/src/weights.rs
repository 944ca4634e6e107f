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
    /// before any is copied, so on error the network is unchanged.
    pub fn load_safetensors(&mut self, bytes: &[u8]) -> Result<(), TensorError> {
        let staged = self.stage(bytes)?;
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
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, TensorError> {
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| decode_error(bytes, e))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        let get = |k: &str| {
            meta.get(k).cloned().ok_or_else(|| {
                TensorError::Corrupt(format!("metadata has no {k:?} (not written by ferrograd)"))
            })
        };
        let sizes: Vec<usize> = get("ferrograd.sizes")?
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| TensorError::Corrupt(format!("bad size {s:?} in metadata")))
            })
            .collect::<Result<_, _>>()?;
        let acts: Vec<Activation> = get("ferrograd.activations")?
            .split(',')
            .map(|s| {
                Activation::from_name(s.trim())
                    .ok_or_else(|| TensorError::Corrupt(format!("unknown activation {s:?}")))
            })
            .collect::<Result<_, _>>()?;
        if sizes.len() < 2 {
            return Err(TensorError::EmptySizes);
        }
        let layers = sizes
            .windows(2)
            .map(|w| Linear::from_parts(Array2::zeros((w[1], w[0])), Array1::zeros(w[1])))
            .collect::<Result<Vec<_>, _>>()?;
        let mut mlp = Mlp::from_layers(layers, acts)?;
        mlp.load_safetensors(bytes)?;
        Ok(mlp)
    }

    fn stage(&self, bytes: &[u8]) -> Result<Vec<Staged<T>>, TensorError> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| decode_error(bytes, e))?;
        let mut expected = BTreeSet::new();
        let mut staged = Vec::with_capacity(self.layers().len());
        for (l, layer) in self.layers().iter().enumerate() {
            let wname = state_dict_name(l, "weight");
            let bname = state_dict_name(l, "bias");
            let w = read::<T>(&st, &wname, layer.weight().shape())?;
            let b = read::<T>(&st, &bname, layer.bias().shape())?;
            expected.insert(wname);
            expected.insert(bname);
            let w = Array2::from_shape_vec(layer.weight().dim(), w)
                .expect("length checked against the shape");
            staged.push((w, Array1::from(b)));
        }
        let mut names = st.names();
        names.sort();
        if let Some(extra) = names.into_iter().find(|n| !expected.contains(*n)) {
            return Err(TensorError::UnexpectedTensor {
                name: extra.to_string(),
                expected: expected.into_iter().collect::<Vec<_>>().join(", "),
            });
        }
        Ok(staged)
    }
}

fn read<T: Float>(
    st: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<T>, TensorError> {
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
        return Err(TensorError::TensorShape {
            name: name.to_string(),
            expected: shape.to_vec(),
            got: view.shape().to_vec(),
        });
    }
    let size = std::mem::size_of::<T>();
    Ok(view.data().chunks_exact(size).map(T::read_le).collect())
}

/// Turns a safetensors decoding error into ours, naming the first tensor whose
/// bytes lie past the end of a truncated file when the header says which.
fn decode_error(bytes: &[u8], err: SafeTensorError) -> TensorError {
    if let Some(t) = find_truncated(bytes) {
        return t;
    }
    TensorError::Corrupt(format!("{err:?}"))
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
