//! The nonlinearity a neuron or a layer applies to its weighted sum, for
//! both engines: the scalar engine records it on the tape, the batched engine
//! (`ferrograd-tensor`) evaluates [`Activation::value`] and
//! [`Activation::grad`] over matrices. Both are the [`Unary`] rules.

use crate::{Scalar, Unary, Value};

/// What a neuron applies to `w . x + b`.
///
/// ```
/// use ferrograd_scalar::nn::Activation;
/// let a = Activation::Sigmoid;
/// let y = a.value(0.5f64);
/// assert_eq!(y, 1.0 / (1.0 + (-0.5f64).exp()));
/// assert!((a.grad(0.5, y, 1.0) - y * (1.0 - y)).abs() < 1e-16);
/// assert_eq!(Activation::from_name(a.name()), Some(a));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh`, the seed notebook's choice.
    Tanh,
    /// `max(0, x)`, micrograd's hidden layers. NaN stays NaN and passes
    /// the gradient on, as ATen's `threshold_backward` does.
    Relu,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// No nonlinearity (micrograd's linear output layer).
    Identity,
}

#[allow(non_upper_case_globals)]
impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: [Activation; 4] = [
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Identity,
    ];

    /// The identity's name before both engines shared this enum.
    #[deprecated(note = "use Activation::Identity")]
    pub const Linear: Activation = Activation::Identity;

    /// Lower-case name (`"tanh"`, `"relu"`, `"sigmoid"`, `"identity"`), as
    /// weights files and reports write it.
    pub fn name(self) -> &'static str {
        self.unary().map_or("identity", Unary::name)
    }

    /// Parses [`Activation::name`] back (and `"linear"`, the identity's
    /// former name).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "linear" => Some(Activation::Identity),
            _ => Self::ALL.into_iter().find(|a| a.name() == name),
        }
    }

    /// The elementwise function it is, `None` for the identity.
    pub fn unary(self) -> Option<Unary> {
        match self {
            Activation::Tanh => Some(Unary::Tanh),
            Activation::Relu => Some(Unary::Relu),
            Activation::Sigmoid => Some(Unary::Sigmoid),
            Activation::Identity => None,
        }
    }

    /// Whether [`Activation::grad`] reads the pre-activation `x` besides the
    /// output (tanh and sigmoid, whose slopes from the output alone round to
    /// 0 in saturation); the batched engine keeps `x` only for these.
    #[inline]
    pub fn needs_input(self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
    }

    /// The activation of one number.
    #[inline(always)]
    pub fn value<T: Scalar>(self, x: T) -> T {
        match self.unary() {
            Some(u) => u.value(x),
            None => x,
        }
    }

    /// The upstream gradient `g` times the slope at `x`, given
    /// `y = self.value(x)`. ReLU and the identity read neither `x` nor `y`
    /// beyond `y`'s sign, so a caller that does not keep `x` may pass `y`
    /// for it when ![`Activation::needs_input`].
    #[inline(always)]
    pub fn grad<T: Scalar>(self, x: T, y: T, g: T) -> T {
        match self.unary() {
            Some(u) => u.grad(x, y, g),
            None => g,
        }
    }

    /// Applies the activation, recording it on the tape.
    pub fn apply<T: Scalar>(self, x: Value<T>) -> Value<T> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Identity => x,
        }
    }

    /// The activation of layer `i` of `layers` in a network built with
    /// `self`: micrograd's rule, shared by both engines' `Mlp`s. ReLU and
    /// sigmoid networks end in a linear layer (scores, logits); tanh and
    /// identity networks use `self` everywhere (the seed notebook's tanh
    /// output).
    pub fn for_layer(self, i: usize, layers: usize) -> Activation {
        match self {
            Activation::Relu | Activation::Sigmoid if i + 1 == layers => Activation::Identity,
            a => a,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_linear_is_identity() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_name("linear"), Some(Activation::Identity));
        assert_eq!(Activation::from_name("gelu"), None);
        #[allow(deprecated)]
        let old = Activation::Linear;
        assert_eq!(old, Activation::Identity);
    }

    #[test]
    fn relu_passes_nan_on_whether_or_not_x_is_kept() {
        let r = Activation::Relu;
        assert!(r.value(f64::NAN).is_nan());
        // With x, and with y standing in for it: the same gradient.
        assert_eq!(r.grad(f64::NAN, f64::NAN, 3.0), 3.0);
        assert_eq!(r.grad(-1.0, 0.0f64, 3.0), 0.0);
        assert_eq!(r.grad(0.0, 0.0f64, 3.0), 0.0);
        assert_eq!(Activation::Identity.grad(f64::NAN, f64::NAN, 3.0), 3.0);
    }

    #[test]
    fn micrograd_layer_rule() {
        let acts: Vec<_> = (0..3).map(|i| Activation::Relu.for_layer(i, 3)).collect();
        assert_eq!(
            acts,
            [Activation::Relu, Activation::Relu, Activation::Identity]
        );
        assert_eq!(Activation::Tanh.for_layer(2, 3), Activation::Tanh);
        assert_eq!(Activation::Sigmoid.for_layer(0, 1), Activation::Identity);
    }
}
