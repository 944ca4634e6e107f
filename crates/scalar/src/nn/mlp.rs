//! A multi-layer perceptron: layers applied in turn.

use std::borrow::Cow;

use rand::Rng;

use crate::nn::{check_sizes, scalar_parameter_bytes, Activation, Layer};
use crate::{Error, Scalar, Value};

/// What a network accepts as one input row: plain numbers or values.
pub trait Input<T: Scalar> {
    /// Number of inputs.
    fn len(&self) -> usize;
    /// Whether there are no inputs.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The inputs as values (numbers become new leaves, as in micrograd).
    fn to_values(&self) -> Cow<'_, [Value<T>]>;
}

impl<T: Scalar> Input<T> for [T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn to_values(&self) -> Cow<'_, [Value<T>]> {
        Cow::Owned(self.iter().map(|&x| Value::new(x)).collect())
    }
}

impl<T: Scalar> Input<T> for [Value<T>] {
    fn len(&self) -> usize {
        <[Value<T>]>::len(self)
    }
    fn to_values(&self) -> Cow<'_, [Value<T>]> {
        Cow::Borrowed(self)
    }
}

impl<T: Scalar, const N: usize> Input<T> for [T; N] {
    fn len(&self) -> usize {
        N
    }
    fn to_values(&self) -> Cow<'_, [Value<T>]> {
        self.as_slice().to_values()
    }
}

impl<T: Scalar> Input<T> for Vec<T> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn to_values(&self) -> Cow<'_, [Value<T>]> {
        self.as_slice().to_values()
    }
}

impl<T: Scalar> Input<T> for Vec<Value<T>> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn to_values(&self) -> Cow<'_, [Value<T>]> {
        Cow::Borrowed(self.as_slice())
    }
}

/// Layers of neurons, each reading the previous layer's outputs.
///
/// ```
/// use ferrograd_scalar::nn::Mlp;
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
/// let net = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng).unwrap(); // the seed's network
/// let out = net.forward(&[2.0, 3.0, -1.0]).unwrap();
/// assert_eq!(out.len(), 1);
/// assert!(out[0].data().abs() < 1.0); // tanh output
/// let y = net.forward_one(&[2.0, 3.0, -1.0]).unwrap(); // the notebook's n(x)
/// assert_eq!(y.data(), out[0].data());
/// assert_eq!(net.parameters().len(), 4 * 4 + 4 * 5 + 5);
/// ```
#[derive(Debug, Clone)]
pub struct Mlp<T: Scalar> {
    layers: Vec<Layer<T>>,
}

/// Writes an engine's `Mlp::new`, the seed notebook's network, once for
/// every engine: [`Activation::Tanh`] in every layer through the engine's
/// own `with_activation`, whose error type `$err` is. Extra doc lines say
/// what the engine adds.
#[doc(hidden)]
#[macro_export]
macro_rules! seed_network {
    ($err:ty $(, #[$doc:meta])*) => {
        /// The seed notebook's network: `tanh` in every neuron, output
        /// included, weights and biases uniform in [-1, 1] as micrograd
        /// draws them. `sizes` are the widths of the layers after the input.
        $(#[$doc])*
        pub fn new(nin: usize, sizes: &[usize], rng: &mut impl ::rand::Rng) -> Result<Self, $err> {
            Self::with_activation(nin, sizes, $crate::nn::Activation::Tanh, rng)
        }
    };
}

impl<T: Scalar> Mlp<T> {
    crate::seed_network!(Error);

    /// `Activation::Tanh` gives tanh everywhere ([`Mlp::new`]);
    /// `Activation::Relu` gives micrograd's `MLP`: ReLU hidden layers and a
    /// linear output layer (sigmoid likewise); `Activation::Identity` gives
    /// no nonlinearity ([`Activation::for_layer`]).
    pub fn with_activation(
        nin: usize,
        sizes: &[usize],
        act: Activation,
        rng: &mut impl Rng,
    ) -> Result<Self, Error> {
        check_sizes(nin, sizes, scalar_parameter_bytes::<T>())?;
        let mut layers = Vec::with_capacity(sizes.len());
        let mut width = nin;
        for (i, &nout) in sizes.iter().enumerate() {
            let layer_act = act.for_layer(i, sizes.len());
            layers.push(Layer::with_activation(width, nout, layer_act, rng)?);
            width = nout;
        }
        Ok(Mlp { layers })
    }

    /// A network from ready layers; each layer's input width must be the
    /// previous layer's output width.
    pub fn from_layers(layers: Vec<Layer<T>>) -> Result<Self, Error> {
        if layers.is_empty() {
            return Err(Error::EmptySizes);
        }
        for pair in layers.windows(2) {
            if pair[1].nin() != pair[0].nout() {
                return Err(Error::InputLength {
                    expected: pair[0].nout(),
                    got: pair[1].nin(),
                });
            }
        }
        Ok(Mlp { layers })
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer<T>] {
        &self.layers
    }

    /// Input width.
    pub fn nin(&self) -> usize {
        self.layers[0].nin()
    }

    /// Widths of the layers after the input.
    pub fn sizes(&self) -> Vec<usize> {
        self.layers.iter().map(Layer::nout).collect()
    }

    /// The outputs of the last layer for one input row (`&[T]` or
    /// `&[Value<T>]`); always a `Vec`, even for one output.
    pub fn forward(&self, x: &(impl Input<T> + ?Sized)) -> Result<Vec<Value<T>>, Error> {
        if x.len() != self.nin() {
            return Err(Error::InputLength {
                expected: self.nin(),
                got: x.len(),
            });
        }
        let x = x.to_values();
        let mut h = self.layers[0].forward_values(x.as_ref());
        for layer in &self.layers[1..] {
            h = layer.forward_values(&h);
        }
        Ok(h)
    }

    /// The network's one output for one input row: the notebook's `n(x)`
    /// (micrograd returns `outs[0]` when the last layer has one output). An
    /// error when the input width is wrong or the last layer is wider than 1.
    pub fn forward_one(&self, x: &(impl Input<T> + ?Sized)) -> Result<Value<T>, Error> {
        only_output(self.forward(x)?)
    }

    /// Every parameter: layer by layer, neuron by neuron, weights then bias.
    pub fn parameters(&self) -> Vec<Value<T>> {
        self.layers.iter().flat_map(Layer::parameters).collect()
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(T::zero());
        }
    }
}

/// The one value of a one-output forward pass, else [`Error::NotOneOutput`].
pub(crate) fn only_output<T: Scalar>(mut outputs: Vec<Value<T>>) -> Result<Value<T>, Error> {
    if outputs.len() == 1 {
        Ok(outputs.remove(0))
    } else {
        Err(Error::NotOneOutput {
            outputs: outputs.len(),
        })
    }
}
