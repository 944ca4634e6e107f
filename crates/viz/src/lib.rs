//! ferrograd-viz (being written).
