//! The per-thread tape: nodes stored in fixed-size chunks, addressed by index.
//!
//! A node is 40 bytes for `f64` (value, gradient, operation, visit stamp) and
//! costs no allocation of its own: nodes are appended to the open chunk, and
//! creation order is a topological order, so `backward` is one reverse sweep
//! with no sort and no hash set.
//!
//! Memory is reclaimed a chunk at a time. A chunk counts the handles that
//! point into it plus the nodes of other chunks that use one of its nodes as
//! an operand; when that count reaches zero every node in it is unreachable,
//! so the chunk is emptied (and the chunks it pointed into lose a reference,
//! iteratively, so dropping a graph of any depth never recurses). A training
//! step's nodes therefore vanish when its last handle does, and a loop runs
//! in flat memory.

use std::collections::HashMap;

use crate::op::{Id, Op};
use crate::Scalar;

/// log2 of the nodes per chunk.
const CHUNK_BITS: u32 = 12;
/// Nodes per chunk.
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
/// Empty chunks kept with their memory for reuse; more are freed.
const SPARE_CHUNKS: usize = 16;
/// Marks "no open chunk".
const NONE: u32 = u32::MAX;

#[inline]
fn chunk_of(id: Id) -> u32 {
    id >> CHUNK_BITS
}

#[inline]
fn offset_of(id: Id) -> usize {
    (id as usize) & (CHUNK_LEN - 1)
}

/// One recorded value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<T> {
    pub(crate) data: T,
    pub(crate) grad: T,
    pub(crate) op: Op<T>,
    /// Epoch of the last sweep that reached this node.
    stamp: u32,
    labeled: bool,
}

#[derive(Debug, Default)]
struct Chunk<T> {
    nodes: Vec<Node<T>>,
    /// Handles into this chunk plus operand references from other chunks.
    refs: u32,
    live: bool,
}

/// Occupancy of a thread's tape, for memory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeStats {
    /// Nodes stored in live chunks (reachable or sharing a chunk with a reachable one).
    pub nodes: usize,
    /// Chunks holding nodes.
    pub live_chunks: usize,
    /// Node slots allocated, live or spare.
    pub capacity: usize,
    /// Bytes of one node (labels are kept aside and not counted).
    pub node_bytes: usize,
}

/// All nodes of one float type on one thread.
#[derive(Debug)]
pub struct Tape<T> {
    chunks: Vec<Chunk<T>>,
    /// Live chunk slots, oldest first: the topological order of chunks.
    order: Vec<u32>,
    /// Dead chunk slots ready for reuse.
    free: Vec<u32>,
    current: u32,
    epoch: u32,
    labels: HashMap<Id, String>,
    worklist: Vec<u32>,
    reached: Vec<Id>,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Tape<T> {
    pub(crate) fn new() -> Self {
        Tape {
            chunks: Vec::new(),
            order: Vec::new(),
            free: Vec::new(),
            current: NONE,
            epoch: 0,
            labels: HashMap::new(),
            worklist: Vec::new(),
            reached: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn node(&self, id: Id) -> &Node<T> {
        &self.chunks[chunk_of(id) as usize].nodes[offset_of(id)]
    }

    #[inline]
    pub(crate) fn node_mut(&mut self, id: Id) -> &mut Node<T> {
        &mut self.chunks[chunk_of(id) as usize].nodes[offset_of(id)]
    }

    /// Records a node computed by `op` from existing nodes and returns its id,
    /// holding one handle reference for the caller.
    #[inline]
    pub(crate) fn push(&mut self, op: Op<T>) -> Id {
        let (ids, n) = op.operands();
        let a = if n > 0 { self.node(ids[0]).data } else { T::zero() };
        let b = if n > 1 { self.node(ids[1]).data } else { T::zero() };
        let data = op.eval(a, b);
        self.push_node(data, op)
    }

    /// Records a leaf holding `data`.
    #[inline]
    pub(crate) fn leaf(&mut self, data: T) -> Id {
        self.push_node(data, Op::Leaf)
    }

    #[inline]
    fn push_node(&mut self, data: T, op: Op<T>) -> Id {
        if self.current == NONE || self.chunks[self.current as usize].nodes.len() == CHUNK_LEN {
            self.open_chunk();
        }
        let cur = self.current;
        let (ids, n) = op.operands();
        for &c in &ids[..n] {
            let slot = chunk_of(c);
            if slot != cur {
                self.chunks[slot as usize].refs += 1;
            }
        }
        let chunk = &mut self.chunks[cur as usize];
        let off = chunk.nodes.len();
        chunk.nodes.push(Node {
            data,
            grad: T::zero(),
            op,
            stamp: 0,
            labeled: false,
        });
        chunk.refs += 1;
        (cur << CHUNK_BITS) | off as u32
    }

    fn open_chunk(&mut self) {
        assert!(
            self.chunks.len() < (1usize << (32 - CHUNK_BITS)) || !self.free.is_empty(),
            "ferrograd: more than 2^32 live nodes on one thread's {} tape",
            T::NAME
        );
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.chunks.push(Chunk::default());
                (self.chunks.len() - 1) as u32
            }
        };
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.refs = 0;
        if chunk.nodes.capacity() == 0 {
            chunk.nodes.reserve_exact(CHUNK_LEN);
        }
        self.order.push(slot);
        self.current = slot;
    }

    /// A handle to `id` was cloned.
    #[inline]
    pub(crate) fn retain(&mut self, id: Id) {
        self.chunks[chunk_of(id) as usize].refs += 1;
    }

    /// A handle to `id` was dropped.
    #[inline]
    pub(crate) fn release(&mut self, id: Id) {
        let slot = chunk_of(id);
        let refs = &mut self.chunks[slot as usize].refs;
        *refs -= 1;
        if *refs == 0 {
            self.free_chunks(slot);
        }
    }

    /// Empties `slot` and every chunk that only it kept alive, without recursion.
    #[cold]
    fn free_chunks(&mut self, slot: u32) {
        self.worklist.push(slot);
        while let Some(s) = self.worklist.pop() {
            let mut nodes = std::mem::take(&mut self.chunks[s as usize].nodes);
            for (off, node) in nodes.iter().enumerate() {
                let (ids, n) = node.op.operands();
                for &c in &ids[..n] {
                    let cs = chunk_of(c);
                    if cs != s {
                        let refs = &mut self.chunks[cs as usize].refs;
                        *refs -= 1;
                        if *refs == 0 {
                            self.worklist.push(cs);
                        }
                    }
                }
                if node.labeled {
                    self.labels.remove(&((s << CHUNK_BITS) | off as u32));
                }
            }
            nodes.clear();
            if self.free.len() >= SPARE_CHUNKS {
                nodes = Vec::new();
            }
            let chunk = &mut self.chunks[s as usize];
            chunk.nodes = nodes;
            chunk.live = false;
            self.free.push(s);
            if self.current == s {
                self.current = NONE;
            }
        }
        let chunks = &self.chunks;
        self.order.retain(|&s| chunks[s as usize].live);
    }

    fn next_epoch(&mut self) -> u32 {
        if self.epoch == u32::MAX {
            for chunk in &mut self.chunks {
                for node in &mut chunk.nodes {
                    node.stamp = 0;
                }
            }
            self.epoch = 0;
        }
        self.epoch += 1;
        self.epoch
    }

    /// Position in `order` of the chunk holding `id`.
    fn order_pos(&self, id: Id) -> usize {
        let slot = chunk_of(id);
        self.order
            .iter()
            .rposition(|&s| s == slot)
            .expect("ferrograd: a live handle points into a dead chunk (tape invariant broken)")
    }

    /// Visits, newest first, every node that `root` depends on (itself included).
    /// `visit` sees each node once, after every node that uses it.
    fn sweep(&mut self, root: Id, mut visit: impl FnMut(&mut Self, Id, u32)) {
        let epoch = self.next_epoch();
        self.node_mut(root).stamp = epoch;
        let mut pending = 1usize;
        let root_pos = self.order_pos(root);
        for k in (0..=root_pos).rev() {
            let slot = self.order[k];
            let end = if k == root_pos {
                offset_of(root) + 1
            } else {
                self.chunks[slot as usize].nodes.len()
            };
            for off in (0..end).rev() {
                if pending == 0 {
                    return;
                }
                let id = (slot << CHUNK_BITS) | off as u32;
                if self.chunks[slot as usize].nodes[off].stamp != epoch {
                    continue;
                }
                pending -= 1;
                visit(self, id, epoch);
                let (ids, n) = self.node(id).op.operands();
                for &c in &ids[..n] {
                    let child = self.node_mut(c);
                    if child.stamp != epoch {
                        child.stamp = epoch;
                        pending += 1;
                    }
                }
            }
        }
    }

    /// Reverse-mode sweep from `root`: seeds `d root / d root = 1` and applies
    /// every node's local rule once, newest first.
    ///
    /// Gradients of operation nodes are this call's gradients; leaves
    /// accumulate across calls, as PyTorch's `.grad` does.
    pub(crate) fn backward(&mut self, root: Id) {
        let epoch = self.next_epoch();
        {
            let r = self.node_mut(root);
            r.stamp = epoch;
            if matches!(r.op, Op::Leaf) {
                r.grad = r.grad + T::one();
                return;
            }
            r.grad = T::one();
        }
        // Operation nodes reached but not yet applied; at zero only leaves remain.
        let mut pending = 1usize;
        let root_pos = self.order_pos(root);
        for k in (0..=root_pos).rev() {
            let slot = self.order[k] as usize;
            let end = if k == root_pos {
                offset_of(root) + 1
            } else {
                self.chunks[slot].nodes.len()
            };
            for off in (0..end).rev() {
                if pending == 0 {
                    return;
                }
                let node = self.chunks[slot].nodes[off];
                if node.stamp != epoch || matches!(node.op, Op::Leaf) {
                    continue;
                }
                pending -= 1;
                let (ids, n) = node.op.operands();
                let a = self.node(ids[0]).data;
                let b = if n > 1 { self.node(ids[1]).data } else { T::zero() };
                let (da, db) = node.op.grads(a, b, node.data, node.grad);
                pending += self.accumulate(ids[0], da, epoch);
                if n > 1 {
                    pending += self.accumulate(ids[1], db, epoch);
                }
            }
        }
    }

    /// Adds `g` to a node's gradient; returns 1 when this reaches an operation
    /// node for the first time in this sweep (its stale gradient is reset).
    #[inline]
    fn accumulate(&mut self, id: Id, g: T, epoch: u32) -> usize {
        let node = self.node_mut(id);
        if node.stamp == epoch {
            node.grad = node.grad + g;
            0
        } else {
            node.stamp = epoch;
            if matches!(node.op, Op::Leaf) {
                node.grad = node.grad + g;
                0
            } else {
                node.grad = g;
                1
            }
        }
    }

    /// One node's local rule only: adds its contributions to its operands.
    pub(crate) fn backward_step(&mut self, id: Id) {
        let node = *self.node(id);
        let (ids, n) = node.op.operands();
        if n == 0 {
            return;
        }
        let a = self.node(ids[0]).data;
        let b = if n > 1 { self.node(ids[1]).data } else { T::zero() };
        let (da, db) = node.op.grads(a, b, node.data, node.grad);
        let first = self.node_mut(ids[0]);
        first.grad = first.grad + da;
        if n > 1 {
            let second = self.node_mut(ids[1]);
            second.grad = second.grad + db;
        }
    }

    /// Every node `root` depends on, newest first.
    pub(crate) fn reachable(&mut self, root: Id) -> Vec<Id> {
        let mut out = std::mem::take(&mut self.reached);
        out.clear();
        self.sweep(root, |_, id, _| out.push(id));
        out
    }

    /// Gives a buffer from [`Tape::reachable`] back for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<Id>) {
        self.reached = buf;
    }

    /// Sets the gradient of every node below `root` to zero.
    pub(crate) fn zero_grad(&mut self, root: Id) {
        self.sweep(root, |t, id, _| t.node_mut(id).grad = T::zero());
    }

    /// Recomputes every node below `root` from the current leaf values.
    pub(crate) fn recompute(&mut self, root: Id) {
        let ids = self.reachable(root);
        for &id in ids.iter().rev() {
            let op = self.node(id).op;
            if !matches!(op, Op::Leaf) {
                let (ops, n) = op.operands();
                let a = self.node(ops[0]).data;
                let b = if n > 1 { self.node(ops[1]).data } else { T::zero() };
                self.node_mut(id).data = op.eval(a, b);
            }
        }
        self.recycle(ids);
    }

    pub(crate) fn label(&self, id: Id) -> &str {
        self.labels.get(&id).map_or("", String::as_str)
    }

    pub(crate) fn set_label(&mut self, id: Id, label: String) {
        self.node_mut(id).labeled = true;
        self.labels.insert(id, label);
    }

    pub(crate) fn stats(&self) -> TapeStats {
        TapeStats {
            nodes: self.order.iter().map(|&s| self.chunks[s as usize].nodes.len()).sum(),
            live_chunks: self.order.len(),
            capacity: self.chunks.iter().map(|c| c.nodes.capacity()).sum(),
            node_bytes: std::mem::size_of::<Node<T>>(),
        }
    }
}
