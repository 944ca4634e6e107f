//! ferrograd-torch (being written).
