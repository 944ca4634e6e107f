//! The per-thread tape: nodes stored in fixed-size chunks, addressed by index.
//!
//! A node is 40 bytes for `f64` (value, gradient, operation, visit stamp) and
//! costs no allocation of its own: nodes are appended to the open chunk, and
//! creation order is a topological order, so `backward` is one reverse sweep
//! with no sort and no hash set.
//!
//! Memory is reclaimed a chunk at a time. A chunk counts the handles that
//! point into it plus the other chunks that use one of its nodes as an
//! operand (each once); when that count reaches zero every node in it is unreachable,
//! so the chunk is emptied (and the chunks it pointed into lose a reference,
//! iteratively, so dropping a graph of any depth never recurses). A training
//! step's nodes therefore vanish when its last handle does, and a loop runs
//! in flat memory.

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
}

/// Bookkeeping of one chunk; its nodes live in `Tape::nodes`.
#[derive(Debug, Default)]
struct Chunk {
    len: u32,
    /// Handles into this chunk plus the other chunks that use one of its
    /// nodes as an operand (each such chunk counted once).
    refs: u32,
    /// The other chunks this one uses, sorted, each counted once in their `refs`.
    uses: Vec<u32>,
    live: bool,
    has_labels: bool,
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
    /// Every chunk's nodes, chunk `s` at `s * CHUNK_LEN ..`: a node id is its index.
    nodes: Vec<Node<T>>,
    chunks: Vec<Chunk>,
    /// Live chunk slots, oldest first: the topological order of chunks.
    order: Vec<u32>,
    /// Dead chunk slots ready for reuse.
    free: Vec<u32>,
    current: u32,
    epoch: u32,
    labels: BTreeMap<Id, String>,
    worklist: Vec<u32>,
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
            worklist: Vec::new(),
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
        let (ids, n) = op.operands();
        let a = if n > 0 { self.nodes[ids[0] as usize].data } else { T::zero() };
        let b = if n > 1 { self.nodes[ids[1] as usize].data } else { T::zero() };
        let data = op.eval(a, b);
        self.push_node(data, op)
    }

    /// Records a leaf holding `data`.
    #[inline]
    pub(crate) fn leaf(&mut self, data: T) -> Id {
        self.push_node(data, Op::Leaf)
    }

    /// Records a node that no handle holds yet: for building a chain of
    /// intermediate nodes inside one borrow of the tape. The caller must end
    /// the chain with [`Tape::push`] (whose handle keeps them all alive)
    /// before the tape is used again.
    #[inline(always)]
    pub(crate) fn push_unheld(&mut self, op: Op<T>) -> Id {
        let id = self.push(op);
        // The count may touch zero here. That is harmless: chunks are freed
        // only from `release`, and no handle can be dropped before the
        // caller's closing `push` (or a later node in another chunk) counts
        // this chunk again.
        self.chunks[chunk_of(id) as usize].refs -= 1;
        id
    }

    #[inline(always)]
    fn push_node(&mut self, data: T, op: Op<T>) -> Id {
        if self.current == NONE || self.chunks[self.current as usize].len as usize == CHUNK_LEN {
            self.open_chunk();
        }
        let cur = self.current;
        let (ids, n) = op.operands();
        for &c in &ids[..n] {
            let slot = chunk_of(c);
            if slot != cur {
                self.note_use(cur, slot);
            }
        }
        let chunk = &mut self.chunks[cur as usize];
        let id = base_of(cur) + chunk.len as usize;
        chunk.len += 1;
        chunk.refs += 1;
        self.nodes[id] = Node {
            data,
            grad: T::zero(),
            op,
            stamp: 0,
        };
        id as Id
    }

    /// Chunk `cur` now uses a node of chunk `slot`: count it once.
    #[inline]
    fn note_use(&mut self, cur: u32, slot: u32) {
        let uses = &mut self.chunks[cur as usize].uses;
        if let Err(pos) = uses.binary_search(&slot) {
            uses.insert(pos, slot);
            self.chunks[slot as usize].refs += 1;
        }
    }

    #[cold]
    fn open_chunk(&mut self) {
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
                };
                self.nodes.resize(self.nodes.len() + CHUNK_LEN, empty);
                self.chunks.push(Chunk::default());
                (self.chunks.len() - 1) as u32
            }
        };
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.refs = 0;
        chunk.len = 0;
        self.order.push(slot);
        self.current = slot;
    }

    /// A handle to `id` was cloned.
    #[inline(always)]
    pub(crate) fn retain(&mut self, id: Id) {
        self.chunks[chunk_of(id) as usize].refs += 1;
    }

    /// A handle to `id` was dropped.
    #[inline(always)]
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
            let uses = std::mem::take(&mut self.chunks[s as usize].uses);
            for &u in &uses {
                let refs = &mut self.chunks[u as usize].refs;
                *refs -= 1;
                if *refs == 0 {
                    self.worklist.push(u);
                }
            }
            let chunk = &mut self.chunks[s as usize];
            chunk.uses = uses;
            chunk.uses.clear();
            if chunk.has_labels {
                let lo = base_of(s) as Id;
                let hi = lo + chunk.len;
                let doomed: Vec<Id> = self.labels.range(lo..hi).map(|(&k, _)| k).collect();
                for k in doomed {
                    self.labels.remove(&k);
                }
            }
            let chunk = &mut self.chunks[s as usize];
            chunk.has_labels = false;
            chunk.live = false;
            chunk.len = 0;
            self.free.push(s);
            if self.current == s {
                self.current = NONE;
            }
        }
        let chunks = &self.chunks;
        self.order.retain(|&s| chunks[s as usize].live);
        self.trim();
    }

    /// Returns trailing free chunks to the allocator once more than
    /// `SPARE_CHUNKS` are free, so a huge graph's memory does not stay.
    fn trim(&mut self) {
        if self.free.len() <= SPARE_CHUNKS {
            return;
        }
        let mut end = self.chunks.len();
        while end > 0 && !self.chunks[end - 1].live && self.free.len() > SPARE_CHUNKS {
            end -= 1;
            let last = end as u32;
            self.free.retain(|&s| s != last);
        }
        self.chunks.truncate(end);
        self.nodes.truncate(end << CHUNK_BITS);
        self.nodes.shrink_to_fit();
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
        self.order[..=root_pos].iter().rev().map(move |&slot| {
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
                let b = if n > 1 { self.nodes[ids[1] as usize].data } else { T::zero() };
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
                .map(|&s| self.chunks[s as usize].len as usize)
                .sum(),
            live_chunks: self.order.len(),
            capacity: self.nodes.len(),
            node_bytes: std::mem::size_of::<Node<T>>(),
        }
    }
}
