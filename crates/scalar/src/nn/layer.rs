//! A layer: `nout` neurons reading the same inputs.

use rand::Rng;

use crate::nn::mlp::Input;
use crate::nn::{check_layer, scalar_parameter_bytes, Activation, Neuron};
use crate::{Error, Scalar, Value};

/// `nout` neurons of `nin` inputs each.
#[derive(Debug, Clone)]
pub struct Layer<T: Scalar> {
    neurons: Vec<Neuron<T>>,
    nin: usize,
    act: Activation,
}

impl<T: Scalar> Layer<T> {
    /// The notebook's `Layer(nin, nout)`: `nout` tanh neurons with
    /// micrograd's uniform [-1, 1] initialisation. Same as
    /// [`Layer::with_activation`] with [`Activation::Tanh`].
    ///
    /// ```
    /// use ferrograd_scalar::nn::Layer;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let layer = Layer::<f64>::new(3, 2, &mut rng).unwrap();
    /// let out = layer.forward(&[2.0, 3.0, -1.0]).unwrap();
    /// assert_eq!(out.len(), 2);
    /// assert!(layer.forward_one(&[2.0, 3.0, -1.0]).is_err()); // two outputs
    /// ```
    pub fn new(nin: usize, nout: usize, rng: &mut impl Rng) -> Result<Self, Error> {
        Self::with_activation(nin, nout, Activation::Tanh, rng)
    }

    /// `nout` neurons with activation `act` and micrograd's uniform [-1, 1]
    /// initialisation. A width of 0 or one too large to allocate is an error.
    pub fn with_activation(
        nin: usize,
        nout: usize,
        act: Activation,
        rng: &mut impl Rng,
    ) -> Result<Self, Error> {
        check_layer(nin, nout, scalar_parameter_bytes::<T>())?;
        let neurons = (0..nout)
            .map(|_| Neuron::with_activation(nin, act, rng))
            .collect::<Result<_, _>>()?;
        Ok(Layer { neurons, nin, act })
    }

    /// A layer from explicit weights: `weights[j]` holds neuron `j`'s `nin`
    /// weights, `biases[j]` its bias.
    pub fn from_weights(weights: &[Vec<T>], biases: &[T], act: Activation) -> Result<Self, Error> {
        let nout = weights.len();
        let nin = weights.first().map_or(0, Vec::len);
        check_layer(nin, nout, scalar_parameter_bytes::<T>())?;
        if biases.len() != nout {
            return Err(Error::InputLength {
                expected: nout,
                got: biases.len(),
            });
        }
        if let Some(bad) = weights.iter().find(|w| w.len() != nin) {
            return Err(Error::InputLength {
                expected: nin,
                got: bad.len(),
            });
        }
        let neurons = weights
            .iter()
            .zip(biases)
            .map(|(w, &b)| Neuron::from_weights(w, b, act))
            .collect();
        Ok(Layer { neurons, nin, act })
    }

    /// The neurons.
    pub fn neurons(&self) -> &[Neuron<T>] {
        &self.neurons
    }

    /// Inputs per neuron.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// Number of neurons (outputs).
    pub fn nout(&self) -> usize {
        self.neurons.len()
    }

    /// The activation of every neuron in the layer.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// One output per neuron, always a `Vec` (also for a single neuron).
    pub fn forward(&self, x: &(impl Input<T> + ?Sized)) -> Result<Vec<Value<T>>, Error> {
        if x.len() != self.nin {
            return Err(Error::InputLength {
                expected: self.nin,
                got: x.len(),
            });
        }
        let x = x.to_values();
        Ok(self.forward_values(x.as_ref()))
    }

    /// The single output of a one-neuron layer (micrograd returns `outs[0]`
    /// when a layer has one output); an error for any other width.
    pub fn forward_one(&self, x: &(impl Input<T> + ?Sized)) -> Result<Value<T>, Error> {
        crate::nn::mlp::only_output(self.forward(x)?)
    }

    pub(crate) fn forward_values(&self, x: &[Value<T>]) -> Vec<Value<T>> {
        self.neurons.iter().map(|n| n.forward_values(x)).collect()
    }

    /// Every neuron's parameters, neuron by neuron.
    pub fn parameters(&self) -> Vec<Value<T>> {
        self.neurons.iter().flat_map(Neuron::parameters).collect()
    }
}
