//! The per-thread tape: nodes stored in fixed-size chunks, addressed by index.
//!
//! A node is 40 bytes for `f64` (value, gradient, operation, visit stamp) and
//! costs no allocation of its own: nodes are appended to the open chunk, and
//! creation order is a topological order, so `backward` is one reverse sweep
//! with no sort and no hash set.
//!
//! Memory is reclaimed a chunk at a time by a small tracing collector. A
//! node counts only the handles to it; pushing a node or dropping a handle
//! touches nothing else. When the tape has needed a new chunk with none free
//! (and has grown by twice what was live after the last collection), the
//! next public operation starts with a collection: one
//! reverse sweep marks every node reachable from a held node (operands are
//! older, so one pass in tape order suffices) and frees every chunk with no
//! marked node. Dropping a graph of any depth is O(1) and never recurses, a
//! training loop runs in flat memory whatever the caller keeps between
//! steps, and the collector's cost is proportional to the nodes allocated.

use std::collections::BTreeMap;

use crate::op::{Id, Kind, Op, NO_ID};
use crate::Scalar;

/// log2 of the nodes per chunk.
const CHUNK_BITS: u32 = 12;
/// Nodes per chunk.
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
/// Empty chunks kept with their memory for reuse; beyond that, free chunks
/// at the end of the tape are returned to the allocator.
const SPARE_CHUNKS: usize = 64;
/// Chunks the tape may grow by before its first collection.
const MIN_GROWTH: usize = 8;
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

/// Where a dot node's operand list sits in its chunk's list store.
#[inline(always)]
fn dot_span<T>(node: &Node<T>) -> (usize, usize) {
    let lo = node.a as usize;
    (lo, lo + 1 + 2 * node.b as usize)
}

/// One recorded value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<T> {
    pub(crate) data: T,
    pub(crate) grad: T,
    /// Operand slots; how many hold nodes is `kind.arity()`.
    pub(crate) a: Id,
    pub(crate) b: Id,
    /// Epoch of the last sweep that reached this node.
    stamp: u32,
    /// Handles to this node (operand uses are found by the collector).
    refs: u32,
    pub(crate) kind: Kind,
}

impl<T: Scalar> Node<T> {
    fn empty() -> Self {
        Node {
            data: T::zero(),
            grad: T::zero(),
            a: NO_ID,
            b: NO_ID,
            stamp: 0,
            refs: 0,
            kind: Kind::Leaf,
        }
    }

    /// The operand slots, the first `n` holding nodes.
    #[inline(always)]
    pub(crate) fn operands(&self) -> ([Id; 2], usize) {
        ([self.a, self.b], self.kind.arity())
    }

    /// `Powi`'s exponent (the second slot's bits).
    #[inline(always)]
    pub(crate) fn n(&self) -> i32 {
        self.b as i32
    }

    #[inline(always)]
    pub(crate) fn is_leaf(&self) -> bool {
        self.kind == Kind::Leaf
    }
}

/// Bookkeeping of one chunk; its nodes live in `Tape::nodes`.
#[derive(Debug, Default)]
struct Chunk {
    /// Nodes written so far (the open chunk grows; others are full or dead).
    len: u32,
    /// Operand lists of this chunk's dot nodes.
    lists: Vec<Id>,
    live: bool,
    has_labels: bool,
}

/// Occupancy of a thread's tape, for memory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeStats {
    /// Nodes stored in live chunks, after a collection: reachable ones and
    /// the dead ones that share a chunk with them.
    pub nodes: usize,
    /// Chunks holding at least one reachable node.
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
    /// Where the next node goes, and the end of the open chunk (equal when
    /// a chunk must be opened; `Chunk::len` of the open chunk lags until
    /// [`Tape::sync_len`]).
    cursor: usize,
    cursor_end: usize,
    /// A collection is due at the next safe point.
    gc_wanted: bool,
    epoch: u32,
    labels: BTreeMap<Id, String>,
    reached: Vec<Id>,
    /// Chunks opened since the last collection, and live just after it.
    opened_since_gc: usize,
    live_after_gc: usize,
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
            cursor: 0,
            cursor_end: 0,
            gc_wanted: false,
            epoch: 0,
            labels: BTreeMap::new(),
            reached: Vec::new(),
            opened_since_gc: 0,
            live_after_gc: 0,
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
        self.push_node(data, Kind::Leaf, NO_ID, NO_ID, 1)
    }

    #[inline(always)]
    fn push_with_refs(&mut self, op: Op<T>, refs: u32) -> Id {
        let (kind, a, mut b, constant) = op.lower();
        if let Some(e) = constant {
            // Held by the node pushed next, like any operand.
            b = self.push_node(e, Kind::Leaf, NO_ID, NO_ID, 0);
        }
        let arity = kind.arity();
        let av = if arity > 0 {
            self.nodes[a as usize].data
        } else {
            T::zero()
        };
        let bv = if arity > 1 {
            self.nodes[b as usize].data
        } else {
            T::zero()
        };
        let data = kind.eval(av, bv, b as i32);
        self.push_node(data, kind, a, b, refs)
    }

    #[inline(always)]
    fn push_node(&mut self, data: T, kind: Kind, a: Id, b: Id, refs: u32) -> Id {
        if self.cursor == self.cursor_end {
            self.open_chunk();
        }
        let id = self.cursor;
        self.cursor += 1;
        self.nodes[id] = Node {
            data,
            grad: T::zero(),
            a,
            b,
            stamp: 0,
            refs,
            kind,
        };
        id as Id
    }

    /// Records `b + w0 x0 + w1 x1 + ...` as one node (summed in that order,
    /// as micrograd's neuron does), held by one handle.
    pub(crate) fn push_dot(&mut self, bias: Id, pairs: impl Iterator<Item = (Id, Id)>) -> Id {
        if self.cursor == self.cursor_end {
            self.open_chunk();
        }
        let lists = &mut self.chunks[self.current as usize].lists;
        let start = lists.len();
        lists.push(bias);
        let mut acc = self.nodes[bias as usize].data;
        for (w, x) in pairs {
            lists.push(w);
            lists.push(x);
            acc = acc + self.nodes[w as usize].data * self.nodes[x as usize].data;
        }
        let inputs = (lists.len() - start - 1) / 2;
        self.push_node(acc, Kind::Dot, start as Id, inputs as Id, 1)
    }

    /// The operands of dot node `id`: `[b, w0, x0, w1, x1, ...]`.
    pub(crate) fn dot_operands(&self, id: Id) -> &[Id] {
        let (lo, hi) = dot_span(&self.nodes[id as usize]);
        &self.chunks[chunk_of(id) as usize].lists[lo..hi]
    }

    /// Dot node `id`'s value from its operands' current values.
    fn dot_value(&self, id: Id) -> T {
        let ops = self.dot_operands(id);
        let mut acc = self.nodes[ops[0] as usize].data;
        for pair in ops[1..].chunks_exact(2) {
            acc = acc + self.nodes[pair[0] as usize].data * self.nodes[pair[1] as usize].data;
        }
        acc
    }

    /// Dot node `id`'s chain rule: `d/db = g`, `d/dw_i = g x_i`,
    /// `d/dx_i = g w_i`. Within a `backward` sweep (`epoch` given) the
    /// contributions go through `accumulate` and the count of operation
    /// nodes newly reached is returned; otherwise they are plain additions.
    fn dot_grads(&mut self, id: Id, epoch: Option<u32>) -> usize {
        let slot = chunk_of(id) as usize;
        let (lo, hi) = dot_span(&self.nodes[id as usize]);
        let g = self.nodes[id as usize].grad;
        // Taken out for the loop, which writes gradients (never lists).
        let lists = std::mem::take(&mut self.chunks[slot].lists);
        let ops = &lists[lo..hi];
        let mut reached = 0;
        let mut add = |t: &mut Self, c: Id, v: T| match epoch {
            Some(e) => reached += t.accumulate(c, v, e),
            None => {
                let n = &mut t.nodes[c as usize];
                n.grad = n.grad + v;
            }
        };
        add(self, ops[0], g);
        for pair in ops[1..].chunks_exact(2) {
            let (w, x) = (pair[0], pair[1]);
            let wd = self.nodes[w as usize].data;
            let xd = self.nodes[x as usize].data;
            add(self, w, g * xd);
            add(self, x, g * wd);
        }
        self.chunks[slot].lists = lists;
        reached
    }

    /// Opens a chunk for the next node. Never collects (the caller may hold
    /// nodes no handle holds yet); it asks for a collection at the next
    /// safe point instead.
    #[cold]
    fn open_chunk(&mut self) {
        self.sync_len();
        // Growing by twice the live size between collections keeps their
        // cost (one pass over the live chunks) a small constant per node.
        if self.free.is_empty() && self.opened_since_gc >= (2 * self.live_after_gc).max(MIN_GROWTH)
        {
            self.gc_wanted = true;
        }
        self.opened_since_gc += 1;
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                assert!(
                    self.chunks.len() < (1usize << (32 - CHUNK_BITS)),
                    "ferrograd: more than 2^32 nodes on one thread's {} tape",
                    T::NAME
                );
                self.nodes
                    .resize(self.nodes.len() + CHUNK_LEN, Node::empty());
                self.chunks.push(Chunk::default());
                (self.chunks.len() - 1) as u32
            }
        };
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.len = 0;
        self.order.push(slot);
        self.current = slot;
        self.cursor = base_of(slot);
        self.cursor_end = self.cursor + CHUNK_LEN;
    }

    /// Brings the open chunk's `len` up to date.
    #[inline]
    fn sync_len(&mut self) {
        if self.current != NONE {
            self.chunks[self.current as usize].len = (self.cursor - base_of(self.current)) as u32;
        }
    }

    /// Called where every node that will be used again is held by a handle
    /// (the start of a public operation): runs a collection if one is due.
    #[inline(always)]
    pub(crate) fn safe_point(&mut self) {
        if self.gc_wanted {
            self.collect();
        }
    }

    /// A handle to `id` was cloned.
    #[inline(always)]
    pub(crate) fn retain(&mut self, id: Id) {
        self.nodes[id as usize].refs += 1;
    }

    /// A handle to `id` was dropped. Nothing else happens now: what became
    /// unreachable is found by the next collection.
    #[inline(always)]
    pub(crate) fn release(&mut self, id: Id) {
        self.nodes[id as usize].refs -= 1;
    }

    /// Frees every chunk holding no node reachable from a held node.
    ///
    /// One sweep, newest node first: a node is live when a handle holds it or
    /// a live node uses it, and every user of a node is newer than it.
    pub(crate) fn collect(&mut self) {
        self.gc_wanted = false;
        self.sync_len();
        let epoch = self.next_epoch();
        for k in (0..self.order.len()).rev() {
            let slot = self.order[k];
            let base = base_of(slot);
            let len = self.chunks[slot as usize].len as usize;
            let mut any = false;
            for i in (base..base + len).rev() {
                let node = self.nodes[i];
                if node.refs > 0 || node.stamp == epoch {
                    any = true;
                    if node.kind == Kind::Dot {
                        let (lo, hi) = dot_span(&node);
                        for j in lo..hi {
                            let c = self.chunks[slot as usize].lists[j];
                            self.nodes[c as usize].stamp = epoch;
                        }
                    }
                    let n = node.kind.arity();
                    if n > 0 {
                        self.nodes[node.a as usize].stamp = epoch;
                    }
                    if n > 1 {
                        self.nodes[node.b as usize].stamp = epoch;
                    }
                }
            }
            if !any {
                self.free_chunk(slot);
            }
        }
        let chunks = &self.chunks;
        self.order.retain(|&s| chunks[s as usize].live);
        self.live_after_gc = self.order.len();
        self.opened_since_gc = 0;
        if self.free.len() > SPARE_CHUNKS {
            self.trim();
        }
    }

    fn free_chunk(&mut self, slot: u32) {
        let chunk = &mut self.chunks[slot as usize];
        if chunk.has_labels {
            let lo = base_of(slot) as Id;
            let hi = lo + chunk.len;
            let doomed: Vec<Id> = self.labels.range(lo..hi).map(|(&k, _)| k).collect();
            for k in doomed {
                self.labels.remove(&k);
            }
        }
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = false;
        chunk.len = 0;
        chunk.lists.clear();
        chunk.has_labels = false;
        self.free.push(slot);
        if self.current == slot {
            self.current = NONE;
            self.cursor = 0;
            self.cursor_end = 0;
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
    fn ranges_below(&mut self, root: Id) -> Vec<std::ops::Range<usize>> {
        self.sync_len();
        let root_pos = self.order_pos(root);
        self.order[..=root_pos]
            .iter()
            .rev()
            .filter(|&&s| self.chunks[s as usize].live)
            .map(|&slot| {
                let base = base_of(slot);
                if slot == chunk_of(root) {
                    base..root as usize + 1
                } else {
                    base..base + self.chunks[slot as usize].len as usize
                }
            })
            .collect()
    }

    /// Visits, newest first, every node that `root` depends on (itself included).
    /// `visit` sees each node once, after every node that uses it.
    fn sweep(&mut self, root: Id, mut visit: impl FnMut(&mut Self, Id)) {
        let epoch = self.next_epoch();
        self.nodes[root as usize].stamp = epoch;
        let mut pending = 1usize;
        for range in self.ranges_below(root) {
            for i in range.rev() {
                if pending == 0 {
                    return;
                }
                if self.nodes[i].stamp != epoch {
                    continue;
                }
                pending -= 1;
                visit(self, i as Id);
                let node = self.nodes[i];
                let (ids, n) = node.operands();
                let mut reach = |t: &mut Self, c: Id| {
                    let child = &mut t.nodes[c as usize];
                    if child.stamp != epoch {
                        child.stamp = epoch;
                        pending += 1;
                    }
                };
                for &c in &ids[..n] {
                    reach(self, c);
                }
                if node.kind == Kind::Dot {
                    let slot = chunk_of(i as Id) as usize;
                    let (lo, hi) = dot_span(&node);
                    for j in lo..hi {
                        let c = self.chunks[slot].lists[j];
                        reach(self, c);
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
            if r.is_leaf() {
                r.grad = r.grad + T::one();
                return;
            }
            r.grad = T::one();
        }
        // Operation nodes reached but not yet applied; at zero only leaves remain.
        let mut pending = 1usize;
        for range in self.ranges_below(root) {
            for i in range.rev() {
                let node = &self.nodes[i];
                if node.stamp != epoch || node.kind == Kind::Leaf {
                    continue;
                }
                let (kind, a, b, out, g) = (node.kind, node.a, node.b, node.data, node.grad);
                pending -= 1;
                if kind == Kind::Dot {
                    pending += self.dot_grads(i as Id, Some(epoch));
                } else {
                    // Both operand values, the exponent, the output and the
                    // upstream gradient: whatever the local rule needs.
                    let av = self.nodes[a as usize].data;
                    let bv = if kind.arity() > 1 {
                        self.nodes[b as usize].data
                    } else {
                        T::zero()
                    };
                    let (da, db) = kind.grads(av, bv, b as i32, out, g);
                    pending += Self::reach(&mut self.nodes[a as usize], da, epoch);
                    if kind.inputs() > 1 {
                        pending += Self::reach(&mut self.nodes[b as usize], db, epoch);
                    }
                }
                if pending == 0 {
                    return;
                }
            }
        }
    }

    /// Adds `g` to `node`'s gradient within sweep `epoch`; returns 1 when
    /// this reaches an operation node for the first time in the sweep (its
    /// stale gradient is replaced). Leaves always accumulate.
    #[inline(always)]
    fn reach(node: &mut Node<T>, g: T, epoch: u32) -> usize {
        if node.kind == Kind::Leaf {
            node.grad = node.grad + g;
            0
        } else if node.stamp == epoch {
            node.grad = node.grad + g;
            0
        } else {
            node.stamp = epoch;
            node.grad = g;
            1
        }
    }

    /// Adds `g` to a node's gradient within sweep `epoch` (see [`Tape::reach`]).
    #[inline(always)]
    fn accumulate(&mut self, id: Id, g: T, epoch: u32) -> usize {
        Self::reach(&mut self.nodes[id as usize], g, epoch)
    }

    /// One node's local rule only: adds its contributions to its operands.
    pub(crate) fn backward_step(&mut self, id: Id) {
        let node = self.nodes[id as usize];
        if node.kind == Kind::Dot {
            self.dot_grads(id, None);
            return;
        }
        if node.kind.inputs() == 0 {
            return;
        }
        let (da, db) = self.local_grads(&node);
        let first = &mut self.nodes[node.a as usize];
        first.grad = first.grad + da;
        if node.kind.inputs() > 1 {
            let second = &mut self.nodes[node.b as usize];
            second.grad = second.grad + db;
        }
    }

    /// The values in a node's two operand slots (zero where a slot holds no node).
    #[inline(always)]
    fn operand_values(&self, node: &Node<T>) -> (T, T) {
        let arity = node.kind.arity();
        let a = if arity > 0 {
            self.nodes[node.a as usize].data
        } else {
            T::zero()
        };
        let b = if arity > 1 {
            self.nodes[node.b as usize].data
        } else {
            T::zero()
        };
        (a, b)
    }

    /// A slot node's contributions `(d/da, d/db)` to its operands' gradients.
    #[inline(always)]
    fn local_grads(&self, node: &Node<T>) -> (T, T) {
        let (a, b) = self.operand_values(node);
        node.kind.grads(a, b, node.n(), node.data, node.grad)
    }

    /// Node `id`'s value recomputed from its operands' current values.
    #[inline(always)]
    fn eval(&self, id: Id) -> T {
        let node = &self.nodes[id as usize];
        if node.kind == Kind::Dot {
            self.dot_value(id)
        } else {
            let (a, b) = self.operand_values(node);
            node.kind.eval(a, b, node.n())
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
            if !self.nodes[id as usize].is_leaf() {
                self.nodes[id as usize].data = self.eval(id);
            }
        }
        self.recycle(ids);
    }

    /// The operation nodes `root` depends on (itself included), oldest
    /// first: a replay plan.
    pub(crate) fn plan(&mut self, root: Id) -> Vec<Id> {
        let mut ids = self.reachable(root);
        ids.retain(|&id| !self.nodes[id as usize].is_leaf());
        ids.reverse();
        let plan = ids.clone();
        self.recycle(ids);
        plan
    }

    /// Recomputes the nodes of a plan, in order, from their operands.
    pub(crate) fn replay_forward(&mut self, plan: &[Id]) {
        for &id in plan {
            self.nodes[id as usize].data = self.eval(id);
        }
    }

    /// `backward()` over a plan whose last node is the root: the same
    /// gradients, without discovering the graph again.
    pub(crate) fn replay_backward(&mut self, plan: &[Id]) {
        let Some((&root, rest)) = plan.split_last() else {
            return;
        };
        for &id in rest {
            self.nodes[id as usize].grad = T::zero();
        }
        self.nodes[root as usize].grad = T::one();
        // Leaves accumulate; the plan holds no leaf, so none was zeroed.
        for &id in plan.iter().rev() {
            self.backward_step(id);
        }
    }

    pub(crate) fn label(&self, id: Id) -> &str {
        self.labels.get(&id).map_or("", String::as_str)
    }

    pub(crate) fn set_label(&mut self, id: Id, label: String) {
        self.chunks[chunk_of(id) as usize].has_labels = true;
        self.labels.insert(id, label);
    }

    pub(crate) fn stats(&mut self) -> TapeStats {
        self.collect();
        TapeStats {
            nodes: self
                .chunks
                .iter()
                .filter(|c| c.live)
                .map(|c| c.len as usize)
                .sum(),
            live_chunks: self.chunks.iter().filter(|c| c.live).count(),
            capacity: self.nodes.len(),
            node_bytes: std::mem::size_of::<Node<T>>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Value;

    /// Graphs kept and dropped in a shuffled order survive any number of
    /// collections with their numbers intact, and what was dropped is freed.
    #[test]
    fn collections_keep_exactly_what_is_reachable() {
        let base = Value::<f64>::tape_stats().nodes;
        let x = Value::new(1.5f64);
        let mut kept: Vec<(Value<f64>, f64)> = Vec::new();
        let mut state = 12345u64;
        for round in 0..200 {
            // A chain long enough to span chunks and trigger collections.
            let mut acc = &x * 1.0;
            let mut expect = 1.5;
            for k in 0..(500 + round * 7) {
                let c = ((k % 7) as f64 - 3.0) * 0.01;
                acc = &acc + c;
                expect += c;
            }
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if state >> 62 == 0 {
                kept.push((acc, expect));
            }
            if kept.len() > 8 {
                let drop_at = (state >> 33) as usize % kept.len();
                kept.swap_remove(drop_at);
            }
            for (v, want) in &kept {
                assert!(
                    (v.data() - want).abs() < 1e-9,
                    "round {round}: {} vs {want}",
                    v.data()
                );
            }
        }
        for (v, _) in &kept {
            x.set_grad(0.0);
            v.backward();
            assert_eq!(x.grad(), 1.0);
        }
        drop(kept);
        let stats = Value::<f64>::tape_stats();
        // Only the chunk holding `x` (and what shares it) may stay.
        assert!(stats.nodes <= base + 4096, "{} nodes stay", stats.nodes);
        assert!(stats.live_chunks <= 1);
    }
}
