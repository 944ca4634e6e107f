//! One description of a computation, run by every backend (being written).
