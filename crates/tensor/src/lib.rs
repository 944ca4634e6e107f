//! ferrograd-tensor (being written).
