//! How a value prints: micrograd's `repr`.

use std::fmt;

use crate::{Scalar, Value};

impl<T: Scalar> fmt::Display for Value<T> {
    /// micrograd's repr, `Value(data=0.7071067811865476, grad=0.0)`: the data
    /// and gradient as Rust prints the float (shortest text that reads back
    /// exactly; `{:.4}` rounds both). `{:?}` adds the label when one is set.
    ///
    /// ```
    /// use ferrograd_scalar::Value;
    /// let a = Value::new(2.0f64).with_label("a");
    /// let b = &a * 3.0;
    /// b.backward();
    /// assert_eq!(b.to_string(), "Value(data=6.0, grad=1.0)");
    /// assert_eq!(format!("{a:.4}"), "Value(data=2.0000, grad=3.0000)");
    /// assert_eq!(format!("{a:?}"), "Value(data=2.0, grad=3.0, label=\"a\")");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(
                f,
                "Value(data={:.p$}, grad={:.p$})",
                self.data(),
                self.grad()
            ),
            None => write!(f, "Value(data={:?}, grad={:?})", self.data(), self.grad()),
        }
    }
}

impl<T: Scalar> Value<T> {
    /// evcxr's display hook (Jupyter's Rust kernel): a cell ending in a value
    /// shows micrograd's repr, `Value(data=..., grad=...)`, as plain text.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self}\nEVCXR_END_CONTENT");
    }
}
