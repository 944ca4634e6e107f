//! Where and in which float type a computation runs, and how closely it must
//! agree.

use tch::{Device, Kind};

use crate::compare::Tolerance;
use crate::TorchError;

/// The float type of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Precision {
    /// `f32` / `torch.float32`.
    F32,
    /// `f64` / `torch.float64`.
    F64,
}

impl Precision {
    /// Both, `f64` first.
    pub const ALL: [Precision; 2] = [Precision::F64, Precision::F32];

    /// libtorch's dtype.
    pub fn kind(self) -> Kind {
        match self {
            Precision::F32 => Kind::Float,
            Precision::F64 => Kind::Double,
        }
    }

    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }

    /// The promised agreement: relative 1e-10 for f64, 1e-4 for f32.
    pub fn tolerance(self) -> Tolerance {
        match self {
            Precision::F32 => Tolerance::F32,
            Precision::F64 => Tolerance::F64,
        }
    }

    /// Rounds an `f64` to this precision (what the engine's `T::from_f64` does).
    pub fn round(self, x: f64) -> f64 {
        match self {
            Precision::F32 => x as f32 as f64,
            Precision::F64 => x,
        }
    }
}

/// A precision on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The float type.
    pub precision: Precision,
    /// CPU or a CUDA device.
    pub device: Device,
}

impl Target {
    /// `precision` on the CPU.
    pub fn cpu(precision: Precision) -> Self {
        Self {
            precision,
            device: Device::Cpu,
        }
    }

    /// `precision` on the first GPU, if libtorch sees one.
    pub fn cuda(precision: Precision) -> Result<Self, TorchError> {
        if !tch::Cuda::is_available() {
            return Err(TorchError::NoCuda);
        }
        Ok(Self {
            precision,
            device: Device::Cuda(0),
        })
    }

    /// `"libtorch f64 cpu"`.
    pub fn name(&self) -> String {
        format!(
            "libtorch {} {}",
            self.precision.name(),
            device_name(self.device)
        )
    }

    /// libtorch's `(dtype, device)` pair for tensor constructors.
    pub fn options(&self) -> (Kind, Device) {
        (self.precision.kind(), self.device)
    }
}

/// `"cpu"` or `"cuda:0"`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}
