//! The per-thread tape: nodes stored in fixed-size chunks, addressed by index.
//!
//! A node is 40 bytes for `f64` (value, gradient, operation, visit stamp) and
//! costs no allocation of its own: nodes are appended to the open chunk, and
//! creation order is a topological order, so `backward` is one reverse sweep
//! with no sort and no hash set.
//!
//! Memory is reclaimed node by node, as `Rc` would, without an allocation
//! per node: a node counts the handles to it plus the nodes that use it as an
//! operand. When the count reaches zero the node dies and its operands lose a
//! use, iteratively (dropping a graph of any depth never recurses). A chunk
//! whose nodes are all dead goes back to a free list and is reused, so a
//! training loop runs in flat memory whatever the caller keeps between steps.

use std::collections::BTreeMap;

use crate::op::{Id, Op};
use crate::Scalar;

/// log2 of the nodes per chunk.
const CHUNK_BITS: u32 = 12;
/// Nodes per chunk.
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
/// Empty chunks kept with their memory for reuse; beyond that, free chunks
/// at the end of the tape are returned to the allocator.
const SPARE_CHUNKS: usize = 64;
/// Marks "no open chunk".
const NONE: u32 = u32::MAX;

#[inline(always)]
fn chunk_of(id: Id) -> u32 {
    id >> CHUNK_BITS
}

#[inline(always)]
fn base_of(slot: u32) -> usize {
    (slot as usize) << CHUNK_BITS
}

/// One recorded value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<T> {
    pub(crate) data: T,
    pub(crate) grad: T,
    pub(crate) op: Op<T>,
    /// Epoch of the last sweep that reached this node.
    stamp: u32,
    /// Handles to this node plus uses as an operand by live nodes.
    refs: u32,
}

/// Bookkeeping of one chunk; its nodes live in `Tape::nodes`.
#[derive(Debug, Default)]
struct Chunk {
    /// Nodes written so far (the open chunk grows; others are full or dead).
    len: u32,
    /// Nodes of this chunk still alive.
    alive: u32,
    live: bool,
    has_labels: bool,
}

/// Occupancy of a thread's tape, for memory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeStats {
    /// Nodes alive (some handle reaches them).
    pub nodes: usize,
    /// Chunks holding at least one live node.
    pub live_chunks: usize,
    /// Node slots allocated, live or spare.
    pub capacity: usize,
    /// Bytes of one node (labels are kept aside and not counted).
    pub node_bytes: usize,
}

/// All nodes of one float type on one thread.
#[derive(Debug)]
pub struct Tape<T> {
    /// Every chunk's nodes, chunk `s` at `s * CHUNK_LEN ..`: a node id is its index.
    nodes: Vec<Node<T>>,
    chunks: Vec<Chunk>,
    /// Chunk slots, oldest first: the topological order of chunks. May hold
    /// dead slots until the next chunk opens.
    order: Vec<u32>,
    /// Dead chunk slots ready for reuse.
    free: Vec<u32>,
    current: u32,
    epoch: u32,
    labels: BTreeMap<Id, String>,
    dying: Vec<Id>,
    reached: Vec<Id>,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Tape<T> {
    pub(crate) const fn new() -> Self {
        Tape {
            nodes: Vec::new(),
            chunks: Vec::new(),
            order: Vec::new(),
            free: Vec::new(),
            current: NONE,
            epoch: 0,
            labels: BTreeMap::new(),
            dying: Vec::new(),
            reached: Vec::new(),
        }
    }

    #[inline(always)]
    pub(crate) fn node(&self, id: Id) -> &Node<T> {
        &self.nodes[id as usize]
    }

    #[inline(always)]
    pub(crate) fn node_mut(&mut self, id: Id) -> &mut Node<T> {
        &mut self.nodes[id as usize]
    }

    /// Records a node computed by `op` from existing nodes and returns its id,
    /// holding one handle reference for the caller.
    #[inline(always)]
    pub(crate) fn push(&mut self, op: Op<T>) -> Id {
        self.push_with_refs(op, 1)
    }

    /// Records a leaf holding `data`, held by one handle.
    #[inline]
    pub(crate) fn leaf(&mut self, data: T) -> Id {
        self.push_node(data, Op::Leaf, 1)
    }

    /// Records a node that no handle holds: an intermediate built inside one
    /// borrow of the tape. The caller must use it as an operand of a later
    /// node (whose count keeps it alive) before the tape is used again, or
    /// it is never reclaimed.
    #[inline(always)]
    pub(crate) fn push_unheld(&mut self, op: Op<T>) -> Id {
        self.push_with_refs(op, 0)
    }

    #[inline(always)]
    fn push_with_refs(&mut self, op: Op<T>, refs: u32) -> Id {
        let (ids, n) = op.operands();
        let a = if n > 0 {
            self.nodes[ids[0] as usize].data
        } else {
            T::zero()
        };
        let b = if n > 1 {
            self.nodes[ids[1] as usize].data
        } else {
            T::zero()
        };
        let data = op.eval(a, b);
        self.push_node(data, op, refs)
    }

    #[inline(always)]
    fn push_node(&mut self, data: T, op: Op<T>, refs: u32) -> Id {
        if self.current == NONE || self.chunks[self.current as usize].len as usize == CHUNK_LEN {
            self.open_chunk();
        }
        let (ids, n) = op.operands();
        for &c in &ids[..n] {
            self.nodes[c as usize].refs += 1;
        }
        let cur = self.current;
        let chunk = &mut self.chunks[cur as usize];
        let id = base_of(cur) + chunk.len as usize;
        chunk.len += 1;
        chunk.alive += 1;
        self.nodes[id] = Node {
            data,
            grad: T::zero(),
            op,
            stamp: 0,
            refs,
        };
        id as Id
    }

    #[cold]
    fn open_chunk(&mut self) {
        let chunks = &self.chunks;
        self.order.retain(|&s| chunks[s as usize].live);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                assert!(
                    self.chunks.len() < (1usize << (32 - CHUNK_BITS)),
                    "ferrograd: more than 2^32 nodes on one thread's {} tape",
                    T::NAME
                );
                let empty = Node {
                    data: T::zero(),
                    grad: T::zero(),
                    op: Op::Leaf,
                    stamp: 0,
                    refs: 0,
                };
                self.nodes.resize(self.nodes.len() + CHUNK_LEN, empty);
                self.chunks.push(Chunk::default());
                (self.chunks.len() - 1) as u32
            }
        };
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.len = 0;
        chunk.alive = 0;
        self.order.push(slot);
        self.current = slot;
    }

    /// A handle to `id` was cloned.
    #[inline(always)]
    pub(crate) fn retain(&mut self, id: Id) {
        self.nodes[id as usize].refs += 1;
    }

    /// A handle to `id` was dropped.
    #[inline(always)]
    pub(crate) fn release(&mut self, id: Id) {
        let refs = &mut self.nodes[id as usize].refs;
        *refs -= 1;
        if *refs == 0 {
            self.kill(id);
        }
    }

    /// `id` is unreachable: reclaim it and every operand only it kept alive,
    /// with a worklist instead of recursion.
    fn kill(&mut self, id: Id) {
        self.dying.push(id);
        while let Some(d) = self.dying.pop() {
            let (ids, n) = self.nodes[d as usize].op.operands();
            for &c in &ids[..n] {
                let refs = &mut self.nodes[c as usize].refs;
                *refs -= 1;
                if *refs == 0 {
                    self.dying.push(c);
                }
            }
            let slot = chunk_of(d);
            let chunk = &mut self.chunks[slot as usize];
            if chunk.has_labels {
                self.labels.remove(&d);
            }
            chunk.alive -= 1;
            if chunk.alive == 0 {
                self.free_chunk(slot);
            }
        }
    }

    #[cold]
    fn free_chunk(&mut self, slot: u32) {
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = false;
        chunk.len = 0;
        chunk.has_labels = false;
        self.free.push(slot);
        if self.current == slot {
            self.current = NONE;
        }
        if self.free.len() > SPARE_CHUNKS {
            self.trim();
        }
    }

    /// Returns free chunks at the end of the tape to the allocator, keeping
    /// `SPARE_CHUNKS` for reuse, so a huge graph's memory does not stay.
    fn trim(&mut self) {
        let mut end = self.chunks.len();
        while end > 0 && !self.chunks[end - 1].live && self.free.len() > SPARE_CHUNKS {
            end -= 1;
            let last = end as u32;
            self.free.retain(|&s| s != last);
        }
        if end < self.chunks.len() {
            self.chunks.truncate(end);
            self.order.retain(|&s| (s as usize) < end);
            self.nodes.truncate(end << CHUNK_BITS);
            self.nodes.shrink_to_fit();
        }
    }

    fn next_epoch(&mut self) -> u32 {
        if self.epoch == u32::MAX {
            for node in &mut self.nodes {
                node.stamp = 0;
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

    /// The id ranges to scan, newest first, from `root` down: `root`'s chunk
    /// up to `root`, then every older live chunk whole.
    fn ranges_below(&self, root: Id) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let root_pos = self.order_pos(root);
        let chunks = &self.chunks;
        self.order[..=root_pos]
            .iter()
            .rev()
            .filter(move |&&s| chunks[s as usize].live)
            .map(move |&slot| {
                let base = base_of(slot);
                if slot == chunk_of(root) {
                    base..root as usize + 1
                } else {
                    base..base + self.chunks[slot as usize].len as usize
                }
            })
    }

    /// Visits, newest first, every node that `root` depends on (itself included).
    /// `visit` sees each node once, after every node that uses it.
    fn sweep(&mut self, root: Id, mut visit: impl FnMut(&mut Self, Id)) {
        let epoch = self.next_epoch();
        self.nodes[root as usize].stamp = epoch;
        let mut pending = 1usize;
        let ranges: Vec<_> = self.ranges_below(root).collect();
        for range in ranges {
            for i in range.rev() {
                if pending == 0 {
                    return;
                }
                if self.nodes[i].stamp != epoch {
                    continue;
                }
                pending -= 1;
                visit(self, i as Id);
                let (ids, n) = self.nodes[i].op.operands();
                for &c in &ids[..n] {
                    let child = &mut self.nodes[c as usize];
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
            let r = &mut self.nodes[root as usize];
            r.stamp = epoch;
            if matches!(r.op, Op::Leaf) {
                r.grad = r.grad + T::one();
                return;
            }
            r.grad = T::one();
        }
        // Operation nodes reached but not yet applied; at zero only leaves remain.
        let mut pending = 1usize;
        let ranges: Vec<_> = self.ranges_below(root).collect();
        for range in ranges {
            for i in range.rev() {
                if pending == 0 {
                    return;
                }
                let node = self.nodes[i];
                if node.stamp != epoch || matches!(node.op, Op::Leaf) {
                    continue;
                }
                pending -= 1;
                let (ids, n) = node.op.operands();
                let a = self.nodes[ids[0] as usize].data;
                let b = if n > 1 {
                    self.nodes[ids[1] as usize].data
                } else {
                    T::zero()
                };
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
    #[inline(always)]
    fn accumulate(&mut self, id: Id, g: T, epoch: u32) -> usize {
        let node = &mut self.nodes[id as usize];
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
        let b = if n > 1 {
            self.node(ids[1]).data
        } else {
            T::zero()
        };
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
        self.sweep(root, |_, id| out.push(id));
        out
    }

    /// Gives a buffer from [`Tape::reachable`] back for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<Id>) {
        self.reached = buf;
    }

    /// Sets the gradient of every node below `root` to zero.
    pub(crate) fn zero_grad(&mut self, root: Id) {
        self.sweep(root, |t, id| t.node_mut(id).grad = T::zero());
    }

    /// Recomputes every node below `root` from the current leaf values.
    pub(crate) fn recompute(&mut self, root: Id) {
        let ids = self.reachable(root);
        for &id in ids.iter().rev() {
            let op = self.node(id).op;
            if !matches!(op, Op::Leaf) {
                let (ops, n) = op.operands();
                let a = self.node(ops[0]).data;
                let b = if n > 1 {
                    self.node(ops[1]).data
                } else {
                    T::zero()
                };
                self.node_mut(id).data = op.eval(a, b);
            }
        }
        self.recycle(ids);
    }

    pub(crate) fn label(&self, id: Id) -> &str {
        self.labels.get(&id).map_or("", String::as_str)
    }

    pub(crate) fn set_label(&mut self, id: Id, label: String) {
        self.chunks[chunk_of(id) as usize].has_labels = true;
        self.labels.insert(id, label);
    }

    pub(crate) fn stats(&self) -> TapeStats {
        TapeStats {
            nodes: self
                .order
                .iter()
                .filter(|&&s| self.chunks[s as usize].live)
                .map(|&s| self.chunks[s as usize].alive as usize)
                .sum(),
            live_chunks: self.chunks.iter().filter(|c| c.live).count(),
            capacity: self.nodes.len(),
            node_bytes: std::mem::size_of::<Node<T>>(),
        }
    }
}
