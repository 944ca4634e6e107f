//! ferrograd's batched engine: the scalar engine's MLP, on `(batch, features)`
//! matrices with `ndarray`, generic over `f32` and `f64`.
//!
//! Numerically it is the scalar engine with matrices: same weights give the
//! same outputs and gradients (checked to 1e-12 in f64). Instead of a
//! per-scalar graph, each [`Linear`] layer keeps its input and its
//! [`Activation`]'s output (and, for tanh and sigmoid, whose exact slopes are
//! the scalar engine's rules, its pre-activation) and backpropagates with two
//! matrix products.
//!
//! - [`Linear`], [`Activation`], [`Mlp`], [`Init`]: the network;
//! - [`Loss`], [`Target`]: MSE, micrograd's hinge, BCE with logits, softmax
//!   cross-entropy; [`Mlp::add_l2`] for micrograd's L2 penalty;
//! - [`Sgd`], [`Adam`], [`LrSchedule`], [`Optimizer`]: PyTorch's update rules;
//! - [`Mlp::train_step`]: forward, loss, backward, update, stopping on a
//!   non-finite loss;
//! - [`Mlp::from_scalar`], [`Mlp::to_scalar`]: weights to and from the scalar engine;
//! - [`weights`]: safetensors files with PyTorch `nn.Sequential` names;
//! - [`Shuffler`], [`gather_rows`]: seeded mini-batches; [`make_blobs`]: a
//!   synthetic data set; [`metrics`]: accuracies.
//!
//! [`Tensor`] is the batched engine as an autodiff engine: any model written
//! with tensor operations (broadcasting arithmetic, `matmul`, reductions,
//! `softmax`, ...) records its graph and differentiates itself, as the
//! scalar `Value` does. [`tensor::nn`] (also `autograd_nn`) has `Linear`,
//! `Mlp`, the losses and the optimisers written with it. The notebook's
//! PyTorch cell, in `Tensor` form:
//!
//! ```
//! use ferrograd_tensor::Tensor;
//!
//! let x1 = Tensor::param([2.0f64]);
//! let x2 = Tensor::param([0.0]);
//! let w1 = Tensor::param([-3.0]);
//! let w2 = Tensor::param([1.0]);
//! let b = Tensor::param([6.881373587019543]);
//! let n = &x1 * &w1 + &x2 * &w2 + &b;
//! let o = n.tanh();
//! o.backward()?;
//! assert!((o.item()? - 0.7071067811865476).abs() < 1e-15);
//! let grad = |t: &Tensor<f64>| t.grad().unwrap()[0];
//! assert!((grad(&x2) - 0.5).abs() < 1e-12 && grad(&w2) == 0.0);
//! assert!((grad(&x1) - -1.5).abs() < 1e-12 && (grad(&w1) - 1.0).abs() < 1e-12);
//!
//! // torch.Tensor([[1, 2, 3], [4, 5, 6]]).shape
//! assert_eq!(Tensor::<f64>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).shape(), [2, 3]);
//! # Ok::<(), ferrograd_tensor::AutogradError>(())
//! ```
//!
//! Matrix products use `ndarray`'s `matrixmultiply`; with the default
//! `threading` feature, `MATMUL_NUM_THREADS=1` (or 2, ...) sets its thread count.
//!
//! ```
//! use ferrograd_tensor::{Activation, Loss, LrSchedule, Mlp, Sgd, Target};
//! use ndarray::array;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let mut mlp = Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).unwrap();
//! let x = array![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
//! let y = array![[1.0], [1.0], [-1.0], [-1.0]];
//! let mut sgd = Sgd::new(LrSchedule::Constant(0.05)).unwrap();
//! for _ in 0..200 {
//!     mlp.train_step(x.view(), Target::Values(y.view()), Loss::Hinge, 1e-4, &mut sgd).unwrap();
//! }
//! let scores = mlp.predict(x.view()).unwrap();
//! assert_eq!(ferrograd_tensor::metrics::sign_accuracy(scores.view(), y.view()), 1.0);
//! ```

mod activation;
mod batches;
mod blobs;
mod buffer;
mod error;
mod exchange;
mod float;
mod init;
mod linear;
mod loss;
pub mod metrics;
mod mlp;
mod optim;
pub mod tensor;
mod train;
pub mod weights;

pub use activation::Activation;
pub use batches::{gather_rows, Shuffler};
pub use blobs::{make_blobs, Blobs};
pub use error::TensorError;
pub use float::Float;
pub use init::Init;
pub use linear::Linear;
pub use loss::{Loss, Target};
pub use mlp::Mlp;
pub use ndarray;
pub use optim::{Adam, LrSchedule, Optimizer, Sgd};
pub use tensor::{nn as autograd_nn, no_grad, AutogradError, NoGradGuard, Tensor};
pub use train::StepStats;

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
