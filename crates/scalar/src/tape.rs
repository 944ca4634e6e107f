//! The per-thread tape: nodes stored in fixed-size chunks, addressed by index.
//!
//! A node is 40 bytes for `f64` (value, gradient, operation, visit stamp) and
//! costs no allocation of its own: nodes are appended to the open chunk, and
//! creation order is a topological order, so `backward` is one reverse sweep
//! with no sort and no hash set.
//!
//! Memory is reclaimed by a small tracing collector. A node counts only
//! the handles to it; pushing a node or dropping a handle touches nothing
//! else. When the tape has opened enough chunks since the last collection,
//! spare ones included (twice the live operation chunks, plus a little per
//! live leaf, and at least `MIN_GROWTH`), or has made its budget of leaves, the next
//! public operation starts with a collection: one reverse sweep marks every
//! node reachable from a held node (operands are older, so one pass in tape
//! order suffices) and frees every operation chunk with no marked node. A
//! chunk that no handle points into and that no newer chunk marked is freed
//! without reading its nodes, which is most of the garbage of a step.
//!
//! Leaves (`Value::new`, constants) live in chunks of their own and are
//! freed one slot at a time, their slots reused by the next leaves: a leaf
//! kept across steps (`history.push(Value::new(loss.data()))`) holds its
//! own 40 bytes, not a chunk of dead operations. Sweeps list a leaf where it
//! was made in creation order (its free operand slots hold that position).
//! Dropping a graph of any depth is O(1) and never recurses, and memory is
//! proportional to what the caller keeps; the collector's cost is
//! proportional to the nodes allocated.

use std::collections::BTreeMap;

use crate::op::rules::powi_grad;
use crate::op::{Binary, Id, Kind, Op, Recipe, NO_ID};
use crate::Scalar;

/// log2 of the nodes per chunk.
const CHUNK_BITS: u32 = 12;
/// Nodes per chunk.
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
/// The fewest empty chunks a trim keeps with their memory for reuse; a
/// collection that finds four times what it keeps free returns the free
/// chunks at the end of the tape to the allocator.
const SPARE_CHUNKS: usize = 16;
/// The fewest chunks opened between two collections (and before the first):
/// fewer, and each collection's fixed cost (a pass over the leaf chunks)
/// weighs on small graphs. Up to this many stay spare (5.4 MB of f64
/// nodes) after a trim, which comes once four times that are free.
const MIN_GROWTH: usize = 32;
/// Marks "no open chunk".
const NONE: u32 = u32::MAX;
/// `Node::refs` of a leaf slot that holds no leaf.
const FREE: u32 = u32::MAX;
/// Handles one node may count; one more aborts (see [`Tape::retain`]).
#[cfg(not(test))]
const MAX_REFS: u32 = FREE - 1;
/// A small limit under test, so that the overflow is reachable.
#[cfg(test)]
const MAX_REFS: u32 = 1000;

#[inline(always)]
fn chunk_of(id: Id) -> u32 {
    id >> CHUNK_BITS
}

#[inline(always)]
fn base_of(slot: u32) -> usize {
    (slot as usize) << CHUNK_BITS
}

#[cold]
#[inline(never)]
fn too_many_handles(refs: u32) -> ! {
    panic!(
        "ferrograd: a value already has {refs} handles, the most one node can count; \
         cloning it again would overflow the count (are clones being leaked with mem::forget?)"
    )
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
            kind: Kind::LEAF,
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
        self.kind == Kind::LEAF
    }
}

/// Which spare chunk [`Tape::chunk_slot`] takes.
#[derive(Debug, Clone, Copy)]
enum Reuse {
    /// The one freed last (likeliest still in cache): operation chunks,
    /// which live for a step.
    Newest,
    /// The lowest in the store: leaf chunks, which a few kept leaves may pin
    /// for long, and which high in the store would keep every spare chunk
    /// below them from being trimmed.
    Lowest,
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
    /// A leaf chunk: every slot is a leaf or free (`refs == FREE`), reused
    /// one slot at a time.
    leaves: bool,
    /// An operation chunk's place in creation order (counts chunks opened).
    born: u64,
    /// Handles to this chunk's nodes (the sum of their `refs`).
    handles: u64,
    /// Epoch of the last collection that marked one of its nodes.
    marked: u32,
}

/// Occupancy of a thread's tape, for memory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeStats {
    /// Nodes stored, after a collection: every live leaf, and in each
    /// operation chunk still in use its reachable nodes and the dead ones
    /// that share the chunk with them.
    pub nodes: usize,
    /// Chunks holding at least one reachable node.
    pub live_chunks: usize,
    /// Node slots allocated, live or spare.
    pub capacity: usize,
    /// Bytes of one node (labels are kept aside and not counted).
    pub node_bytes: usize,
    /// Times the node store has grown or shrunk on this thread. A loop
    /// whose graphs keep their size settles at a store size and then stops
    /// resizing: each resize is memory returned and faulted in again.
    pub resizes: u64,
}

/// Something a handle gives back when it ends: applied at once, or at the
/// next borrow when the tape is borrowed at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// A dropped [`crate::Value`]'s handle on its node.
    Handle(Id),
    /// A dropped [`crate::NoGradGuard`]'s scope.
    NoGradScope,
}

/// All nodes of one float type on one thread.
#[derive(Debug)]
pub(crate) struct Tape<T> {
    /// Every chunk's nodes, chunk `s` at `s * CHUNK_LEN ..`: a node id is its index.
    nodes: Vec<Node<T>>,
    chunks: Vec<Chunk>,
    /// Chunk slots, oldest first: the topological order of chunks. May hold
    /// dead slots until the next chunk opens.
    order: Vec<u32>,
    /// Dead chunk slots ready for reuse.
    free: Vec<u32>,
    current: u32,
    /// Handles into the open chunk: counted here, not in its `Chunk`, so
    /// that recording a node (and dropping a temporary, nearly always in the
    /// open chunk) skips a lookup in `chunks`; [`Tape::sync_len`] copies it
    /// into the chunk before anything reads the chunk's count.
    open_handles: u64,
    /// Times `nodes` grew or shrank ([`TapeStats::resizes`]).
    resizes: u64,
    /// Where the next node goes, and the end of the open chunk (equal when
    /// a chunk must be opened; `Chunk::len` of the open chunk lags until
    /// [`Tape::sync_len`]).
    cursor: usize,
    cursor_end: usize,
    /// Where an operation must take [`Tape::record_slow`]: `cursor_end`
    /// while nothing is pending, 0 while a collection is due or a no-grad
    /// scope is open, so that [`Tape::record_fast`] tests one bound for all
    /// three (see [`Tape::relimit`]).
    limit: usize,
    /// A collection is due at the next safe point.
    gc_wanted: bool,
    /// Open no-grad scopes ([`crate::NoGradGuard`]): while above 0, an
    /// operation keeps only its result, as a leaf.
    no_grad: u32,
    epoch: u32,
    labels: BTreeMap<Id, String>,
    reached: Vec<Id>,
    /// Chunks opened since the last collection, and how many may open
    /// before the next (set by the last collection).
    opened_since_gc: usize,
    growth: usize,
    /// Free leaf slots held back from `leaf_free` until the next
    /// collection is due (see [`Tape::collect_leaves`]).
    leaf_reserve: Vec<Id>,
    /// Leaves live apart from operation nodes, so that a kept leaf holds
    /// one slot, not a chunk of dead operations: the leaf chunks, and
    /// their free slots (the next leaf takes the last).
    leaf_chunks: Vec<u32>,
    leaf_free: Vec<Id>,
    /// `born` of the next operation chunk to open.
    born: u64,
    /// The creation-order key of the node at `cursor` is `key_base + cursor`.
    key_base: u64,
    /// Leaves met by a sweep, with their creation-order keys.
    leaf_hits: Vec<(u64, Id)>,
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
            open_handles: 0,
            resizes: 0,
            cursor: 0,
            cursor_end: 0,
            limit: 0,
            gc_wanted: false,
            no_grad: 0,
            epoch: 0,
            labels: BTreeMap::new(),
            reached: Vec::new(),
            opened_since_gc: 0,
            growth: MIN_GROWTH,
            leaf_reserve: Vec::new(),
            leaf_chunks: Vec::new(),
            leaf_free: Vec::new(),
            born: 0,
            key_base: 0,
            leaf_hits: Vec::new(),
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
        let (kind, a, b, constant) = op.lower();
        self.push_lowered(kind, a, b, constant, 1)
    }

    /// A public operation's fast path (the slow one is
    /// [`Tape::record_slow`]: the safe point, then [`Tape::push`]). While no
    /// collection is due, recording is on and the open chunk has room (one
    /// test, against `limit`), the node is written here with no call and
    /// its id returned; otherwise (and for a constant exponent, which takes
    /// a leaf) `None`. A fresh or freed tape has `limit` 0, so its thread's
    /// slot need not be tested first.
    #[inline(always)]
    pub(crate) fn record_fast(&mut self, op: Op<T>) -> Option<Id> {
        let (kind, a, b, constant) = op.lower();
        if constant.is_some() || self.cursor >= self.limit {
            return None;
        }
        let data = self.eval_op(kind, a, b);
        let id = self.cursor;
        self.cursor += 1;
        self.open_handles += 1;
        debug_assert!(id < self.cursor_end && self.cursor_end <= self.nodes.len());
        // SAFETY: `id < limit` (tested above), and `limit <= cursor_end <=
        // nodes.len()` holds whenever a public operation runs:
        // - `limit` is only ever 0 or `cursor_end` (`relimit`, `want_gc`,
        //   `free_chunk`, `new`);
        // - `cursor_end` is 0 (`new`, and `free_chunk` of the open chunk,
        //   which sets `limit` to 0 too) or `base_of(current) + CHUNK_LEN`
        //   (`open_chunk`, which then calls `relimit`), and `current <
        //   chunks.len()` then, because `chunk_slot` returns an existing slot
        //   or pushes one;
        // - `nodes.len() == chunks.len() * CHUNK_LEN` always (`chunk_slot`
        //   grows both together, `trim` truncates both together), so a chunk
        //   slot below `chunks.len()` has all its nodes in the store;
        // - the store shrinks only in `trim`, which drops trailing chunks that
        //   are not live; the open chunk is live from `open_chunk` until
        //   `free_chunk` (which zeroes `cursor_end`), so it is never dropped
        //   while `cursor_end` points past it.
        // So the write is in bounds. `tests::recording_resumes_after_each_slow_state`
        // and `tests::recording_after_the_store_shrank_writes_in_bounds` run
        // this path across chunk opens, collections and trims.
        #[allow(unsafe_code)]
        let slot = unsafe { self.nodes.get_unchecked_mut(id) };
        *slot = Node {
            data,
            grad: T::zero(),
            a,
            b,
            stamp: 0,
            refs: 1,
            kind,
        };
        Some(id as Id)
    }

    /// A public operation when [`Tape::record_fast`] declined: a due
    /// collection, an open no-grad scope, a full chunk, or a constant to
    /// store.
    #[cold]
    #[inline(never)]
    pub(crate) fn record_slow(&mut self, op: Op<T>) -> Id {
        let (kind, a, b, constant) = op.lower();
        self.safe_point();
        let id = self.push_lowered(kind, a, b, constant, 1);
        self.relimit();
        id
    }

    /// Sets `limit` from the state it stands for.
    #[inline]
    fn relimit(&mut self) {
        self.limit = if self.gc_wanted || self.no_grad > 0 {
            0
        } else {
            self.cursor_end
        };
    }

    /// A collection is due at the next safe point.
    #[inline]
    fn want_gc(&mut self) {
        self.gc_wanted = true;
        self.limit = 0;
    }

    /// Open no-grad scopes on this tape.
    pub(crate) fn no_grad(&self) -> u32 {
        self.no_grad
    }

    /// Opens a no-grad scope ([`crate::NoGradGuard`]).
    pub(crate) fn enter_no_grad(&mut self) {
        self.no_grad += 1;
        self.relimit();
    }

    /// The value of a node of `kind` over operand slots `a` and `b`.
    #[inline(always)]
    fn eval_op(&self, kind: Kind, a: Id, b: Id) -> T {
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
        kind.eval(av, bv, b as i32)
    }

    /// Records a leaf holding `data`, held by one handle.
    #[inline]
    pub(crate) fn leaf(&mut self, data: T) -> Id {
        self.push_leaf(data, 1)
    }

    /// Stores a leaf in a free leaf slot. Its operand slots hold its
    /// creation-order key (see [`Tape::leaf_key`]), which sweeps use to list
    /// it where it was made.
    #[inline(always)]
    fn push_leaf(&mut self, data: T, refs: u32) -> Id {
        let id = match self.leaf_free.pop() {
            Some(id) => id,
            None => self.more_leaf_slots(),
        };
        let key = self.key_base.wrapping_add(self.cursor as u64);
        self.chunks[chunk_of(id) as usize].handles += u64::from(refs);
        self.nodes[id as usize] = Node {
            data,
            grad: T::zero(),
            a: key as u32,
            b: (key >> 32) as u32,
            stamp: 0,
            refs,
            kind: Kind::LEAF,
        };
        id
    }

    /// A leaf's creation-order key: the key of the operation node recorded
    /// next after it.
    #[inline(always)]
    fn leaf_key(node: &Node<T>) -> u64 {
        (u64::from(node.b) << 32) | u64::from(node.a)
    }

    /// An operation node's creation-order key.
    #[inline(always)]
    fn op_key(&self, id: Id) -> u64 {
        (self.chunks[chunk_of(id) as usize].born << CHUNK_BITS)
            | u64::from(id & (CHUNK_LEN as u32 - 1))
    }

    #[inline(always)]
    fn push_lowered(&mut self, kind: Kind, a: Id, mut b: Id, constant: Option<T>, refs: u32) -> Id {
        if let Some(e) = constant {
            // Held by the node pushed next, like any operand.
            b = self.push_leaf(e, 0);
        }
        let data = self.eval_op(kind, a, b);
        if self.no_grad > 0 {
            return self.push_leaf(data, refs);
        }
        self.push_node(data, kind, a, b, refs)
    }

    #[inline(always)]
    fn push_node(&mut self, data: T, kind: Kind, a: Id, b: Id, refs: u32) -> Id {
        if self.cursor == self.cursor_end {
            self.open_chunk();
        }
        let id = self.cursor;
        self.cursor += 1;
        self.open_handles += u64::from(refs);
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
        if self.no_grad > 0 {
            let node = |id: Id| self.nodes[id as usize].data;
            let acc = pairs.fold(node(bias), |acc, (w, x)| acc + node(w) * node(x));
            return self.push_leaf(acc, 1);
        }
        if self.cursor == self.cursor_end {
            self.open_chunk();
        }
        let nodes = &self.nodes;
        let lists = &mut self.chunks[self.current as usize].lists;
        let start = lists.len();
        // One reservation for the whole list (a neuron's inputs are known).
        lists.reserve(1 + 2 * pairs.size_hint().0);
        lists.push(bias);
        let mut acc = nodes[bias as usize].data;
        for (w, x) in pairs {
            lists.extend_from_slice(&[w, x]);
            acc = acc + nodes[w as usize].data * nodes[x as usize].data;
        }
        let inputs = (lists.len() - start - 1) / 2;
        self.push_node(acc, Kind::DOT, start as Id, inputs as Id, 1)
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
    /// contributions go through [`Tape::reach`] and the count of operation
    /// nodes newly reached is returned; otherwise they are plain additions.
    fn dot_grads(&mut self, id: Id, epoch: Option<u32>) -> usize {
        let lists = &self.chunks[chunk_of(id) as usize].lists;
        Self::dot_grads_in(&mut self.nodes, lists, id, epoch)
    }

    /// [`Tape::dot_grads`] on the node store and the list store of `id`'s
    /// chunk, borrowed apart (the sweep holds the node store).
    fn dot_grads_in(nodes: &mut [Node<T>], lists: &[Id], id: Id, epoch: Option<u32>) -> usize {
        let node = &nodes[id as usize];
        let (lo, hi) = dot_span(node);
        let g = node.grad;
        let ops = &lists[lo..hi];
        let mut reached = 0;
        // One loop per mode, so that the sweep's test is not made per operand.
        match epoch {
            Some(e) => {
                reached += Self::reach(&mut nodes[ops[0] as usize], g, e);
                for pair in ops[1..].chunks_exact(2) {
                    let (w, x) = (pair[0] as usize, pair[1] as usize);
                    let (wd, xd) = (nodes[w].data, nodes[x].data);
                    reached += Self::reach(&mut nodes[w], g * xd, e);
                    reached += Self::reach(&mut nodes[x], g * wd, e);
                }
            }
            None => {
                let bias = &mut nodes[ops[0] as usize];
                bias.grad = bias.grad + g;
                for pair in ops[1..].chunks_exact(2) {
                    let (w, x) = (pair[0] as usize, pair[1] as usize);
                    let (wd, xd) = (nodes[w].data, nodes[x].data);
                    nodes[w].grad = nodes[w].grad + g * xd;
                    nodes[x].grad = nodes[x].grad + g * wd;
                }
            }
        }
        reached
    }

    /// Opens a chunk for the next node. Never collects (the caller may hold
    /// nodes no handle holds yet); it asks for a collection at the next
    /// safe point instead.
    #[cold]
    fn open_chunk(&mut self) {
        self.sync_len();
        let slot = self.chunk_slot(Reuse::Newest);
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.leaves = false;
        chunk.len = 0;
        chunk.born = self.born;
        self.born += 1;
        self.order.push(slot);
        self.current = slot;
        self.open_handles = 0;
        self.cursor = base_of(slot);
        self.cursor_end = self.cursor + CHUNK_LEN;
        self.key_base = (chunk.born << CHUNK_BITS).wrapping_sub(self.cursor as u64);
        self.relimit();
    }

    /// The leaf budget until the next collection is spent: asks for one,
    /// and takes a slot from the reserve, or from a new leaf chunk.
    #[cold]
    fn more_leaf_slots(&mut self) -> Id {
        self.want_gc();
        let take = self.leaf_reserve.len().min(CHUNK_LEN);
        if take > 0 {
            let from = self.leaf_reserve.len() - take;
            self.leaf_free.extend(self.leaf_reserve.drain(from..));
        } else {
            self.open_leaf_chunk();
        }
        self.leaf_free.pop().expect("leaf slots were just added")
    }

    /// Opens a leaf chunk, all of its slots free.
    #[cold]
    fn open_leaf_chunk(&mut self) {
        let slot = self.chunk_slot(Reuse::Lowest);
        let chunk = &mut self.chunks[slot as usize];
        chunk.live = true;
        chunk.leaves = true;
        chunk.len = CHUNK_LEN as u32;
        let base = base_of(slot);
        for node in &mut self.nodes[base..base + CHUNK_LEN] {
            node.refs = FREE;
            node.kind = Kind::LEAF;
        }
        self.leaf_chunks.push(slot);
        self.leaf_free
            .extend((base..base + CHUNK_LEN).rev().map(|i| i as Id));
    }

    /// A chunk slot for a new chunk: a free one (which, by `reuse`), or a
    /// new one at the end. Asks for a collection when the tape has grown
    /// enough since the last.
    fn chunk_slot(&mut self, reuse: Reuse) -> u32 {
        // The budget counts reused chunks too. Were spare chunks used up
        // before a collection, each cycle would take them all and then one
        // more from the allocator (the collection only runs at the next
        // safe point), so the store, and the next cycle, would grow by a
        // chunk at every collection whatever the caller keeps.
        if self.opened_since_gc >= self.growth {
            self.want_gc();
        }
        self.opened_since_gc += 1;
        let spare = match reuse {
            Reuse::Newest => self.free.pop(),
            Reuse::Lowest => (0..self.free.len())
                .min_by_key(|&i| self.free[i])
                .map(|i| self.free.swap_remove(i)),
        };
        match spare {
            Some(s) => s,
            None => {
                assert!(
                    self.chunks.len() < (1usize << (32 - CHUNK_BITS)),
                    "ferrograd: more than 2^32 nodes on one thread's {} tape",
                    T::NAME
                );
                self.resizes += 1;
                self.nodes
                    .resize(self.nodes.len() + CHUNK_LEN, Node::empty());
                self.chunks.push(Chunk::default());
                (self.chunks.len() - 1) as u32
            }
        }
    }

    /// Brings the open chunk's `len` and handle count up to date.
    #[inline]
    fn sync_len(&mut self) {
        if self.current != NONE {
            let chunk = &mut self.chunks[self.current as usize];
            chunk.len = (self.cursor - base_of(self.current)) as u32;
            chunk.handles = self.open_handles;
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

    /// A handle to `id` was cloned. Past `MAX_REFS` handles it panics, as
    /// `Rc` aborts: a count that wrapped would free a node still in use.
    #[inline(always)]
    pub(crate) fn retain(&mut self, id: Id) {
        let refs = &mut self.nodes[id as usize].refs;
        if *refs >= MAX_REFS {
            too_many_handles(*refs);
        }
        *refs += 1;
        *self.handles_of(id) += 1;
    }

    /// A handle to `id` was dropped. Nothing else happens now: what became
    /// unreachable is found by the next collection.
    #[inline(always)]
    pub(crate) fn release(&mut self, id: Id) {
        // Every handle's node is in the store, except after thread exit,
        // when the store is empty and a late drop has nothing to release.
        let Some(node) = self.nodes.get_mut(id as usize) else {
            debug_assert!(self.nodes.is_empty(), "a handle past the store");
            return;
        };
        node.refs -= 1;
        *self.handles_of(id) -= 1;
    }

    /// The handle count of the chunk holding `id` (see `open_handles`).
    #[inline(always)]
    fn handles_of(&mut self, id: Id) -> &mut u64 {
        let chunk = chunk_of(id);
        if chunk == self.current {
            &mut self.open_handles
        } else {
            &mut self.chunks[chunk as usize].handles
        }
    }

    #[inline(always)]
    pub(crate) fn apply(&mut self, release: Release) {
        match release {
            Release::Handle(id) => self.release(id),
            // Saturating: a scope opened on one tape ends on both.
            Release::NoGradScope => {
                self.no_grad = self.no_grad.saturating_sub(1);
                self.relimit();
            }
        }
    }

    /// Handles counted on a node.
    #[cfg(test)]
    pub(crate) fn refs(&self, id: Id) -> u32 {
        self.nodes[id as usize].refs
    }

    /// Frees every chunk holding no node reachable from a held node.
    ///
    /// One sweep, newest node first: a node is live when a handle holds it or
    /// a live node uses it, and every user of a node is newer than it.
    pub(crate) fn collect(&mut self) {
        self.gc_wanted = false;
        self.sync_len();
        let epoch = self.next_epoch();
        let spare = self.free.len();
        for k in (0..self.order.len()).rev() {
            let slot = self.order[k];
            let chunk = &self.chunks[slot as usize];
            // No handle into the chunk and no mark from a newer chunk: none
            // of its nodes is live (a node's users are newer, so a live one
            // needs a handle, a mark from a newer chunk, or a live user in
            // this chunk, which needs the same). Freed without reading it.
            if chunk.handles == 0 && chunk.marked != epoch {
                self.free_chunk(slot);
                continue;
            }
            let base = base_of(slot);
            let len = chunk.len as usize;
            let mut any = false;
            // Borrowed apart, so that marking (a write to both) does not
            // make the loop read the stores' addresses again.
            let (nodes, chunks) = (&mut self.nodes[..], &mut self.chunks[..]);
            for i in (base..base + len).rev() {
                let node = nodes[i];
                if node.refs > 0 || node.stamp == epoch {
                    any = true;
                    if node.kind == Kind::DOT {
                        let (lo, hi) = dot_span(&node);
                        let lists = std::mem::take(&mut chunks[slot as usize].lists);
                        for &c in &lists[lo..hi] {
                            Self::mark(nodes, chunks, slot, c, epoch);
                        }
                        chunks[slot as usize].lists = lists;
                    }
                    let n = node.kind.arity();
                    if n > 0 {
                        Self::mark(nodes, chunks, slot, node.a, epoch);
                    }
                    if n > 1 {
                        Self::mark(nodes, chunks, slot, node.b, epoch);
                    }
                }
            }
            if !any {
                self.free_chunk(slot);
            }
        }
        // Freed newest first; reversed, so that the next chunks opened are
        // the ones touched last (the likeliest still in cache).
        self.free[spare..].reverse();
        let chunks = &self.chunks;
        self.order.retain(|&s| chunks[s as usize].live);
        let leaves = self.collect_leaves(epoch);
        // Growing by twice the live operation chunks between collections
        // keeps their cost (one pass over the live chunks) a small constant
        // per node. Live leaves count a quarter: each collection scans them
        // too (about two slots per node allocated), but a kept leaf must
        // not cost much more than its own slot (40 + 2 * 40 / 4 bytes).
        self.growth = (2 * self.order.len() + (2 * leaves).div_ceil(4 * CHUNK_LEN)).max(MIN_GROWTH);
        self.opened_since_gc = 0;
        // The next cycle opens up to `growth` chunks (and one more while the
        // collection waits for a safe point): those stay, so that a store
        // the size of its cycle is not shrunk and regrown every time.
        // Trimmed only past four times that: cycles differ in size (one
        // that starts between two graphs sees few live chunks and asks for
        // little growth, the next one, mid-graph, for three times as much),
        // and a store trimmed to each small cycle is regrown by the next
        // large one, its pages faulted in again. A dropped graph several
        // times its successors' size is still returned at once.
        let keep = SPARE_CHUNKS.max(self.growth + 1);
        if self.free.len() > 4 * keep {
            self.trim(keep);
        }
        self.relimit();
    }

    /// Marks node `id` (and its chunk) live in collection `epoch`, from a
    /// node of chunk `from`: a mark within `from` (being scanned now, and
    /// never again in this collection) needs no chunk mark.
    #[inline(always)]
    fn mark(nodes: &mut [Node<T>], chunks: &mut [Chunk], from: u32, id: Id, epoch: u32) {
        nodes[id as usize].stamp = epoch;
        let chunk = chunk_of(id);
        if chunk != from {
            chunks[chunk as usize].marked = epoch;
        }
    }

    /// The leaf half of [`Tape::collect`], after the operation chunks are
    /// marked with `epoch`: frees every leaf no handle holds and no live
    /// node uses, and every leaf chunk left empty; rebuilds the free list.
    /// Returns how many leaves stay.
    fn collect_leaves(&mut self, epoch: u32) -> usize {
        let mut free = std::mem::take(&mut self.leaf_free);
        free.clear();
        let chunks = std::mem::take(&mut self.leaf_chunks);
        let mut kept = Vec::with_capacity(chunks.len());
        for slot in chunks {
            let base = base_of(slot);
            let first_free = free.len();
            let mut live = 0usize;
            for i in (base..base + CHUNK_LEN).rev() {
                let node = &mut self.nodes[i];
                if node.refs == FREE {
                    free.push(i as Id);
                } else if node.refs == 0 && node.stamp != epoch {
                    node.refs = FREE;
                    free.push(i as Id);
                    if self.chunks[slot as usize].has_labels {
                        self.labels.remove(&(i as Id));
                    }
                } else {
                    live += 1;
                }
            }
            if live == 0 {
                free.truncate(first_free);
                self.free_chunk(slot);
            } else {
                kept.push(slot);
            }
        }
        let live = kept.len() * CHUNK_LEN - free.len();
        // Until the next collection the tape may make only so many leaves
        // (one chunk, or half the live leaves), the rest of the free slots
        // held back. The leaves made between two collections fill the slots
        // handed out; were that every free slot, a few kept ones among them
        // would pin every leaf chunk, and each cycle would open new ones.
        // Slots of the last chunks go first, so kept leaves stay together.
        let budget = CHUNK_LEN.max(live / 2).min(free.len());
        let mut reserve = std::mem::take(&mut self.leaf_reserve);
        reserve.clear();
        reserve.extend(free.drain(..free.len() - budget));
        self.leaf_reserve = reserve;
        self.leaf_chunks = kept;
        self.leaf_free = free;
        live
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
        debug_assert_eq!(chunk.handles, 0, "a chunk with handles was freed");
        chunk.live = false;
        chunk.leaves = false;
        chunk.len = 0;
        chunk.lists.clear();
        chunk.has_labels = false;
        self.free.push(slot);
        if self.current == slot {
            self.current = NONE;
            self.open_handles = 0;
            self.cursor = 0;
            self.cursor_end = 0;
            self.limit = 0;
            // The next operation chunk continues creation order.
            self.key_base = self.born << CHUNK_BITS;
        }
    }

    /// Returns free chunks at the end of the tape to the allocator, keeping
    /// `keep` for reuse, so a huge graph's memory does not stay.
    fn trim(&mut self, keep: usize) {
        let mut end = self.chunks.len();
        while end > 0 && !self.chunks[end - 1].live && self.free.len() > keep {
            end -= 1;
            let last = end as u32;
            self.free.retain(|&s| s != last);
        }
        if end < self.chunks.len() {
            self.resizes += 1;
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
            for chunk in &mut self.chunks {
                chunk.marked = 0;
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

    /// Every node that `root` depends on (itself included), newest first:
    /// each node after every node that uses it, in creation order.
    ///
    /// Operation nodes are scanned in tape order; the leaves they reach are
    /// gathered with their creation-order keys and merged in where they
    /// were made, so the order is the one a single tape would give.
    fn sweep(&mut self, root: Id) -> Vec<Id> {
        let mut out = std::mem::take(&mut self.reached);
        out.clear();
        let epoch = self.next_epoch();
        self.nodes[root as usize].stamp = epoch;
        if self.nodes[root as usize].is_leaf() {
            out.push(root);
            return out;
        }
        let mut leaves = std::mem::take(&mut self.leaf_hits);
        leaves.clear();
        let mut pending = 1usize;
        'scan: for range in self.ranges_below(root) {
            for i in range.rev() {
                if self.nodes[i].stamp != epoch {
                    continue;
                }
                out.push(i as Id);
                let node = self.nodes[i];
                let (ids, n) = node.operands();
                let mut reach = |t: &mut Self, c: Id| {
                    let child = &mut t.nodes[c as usize];
                    if child.stamp != epoch {
                        child.stamp = epoch;
                        if child.kind == Kind::LEAF {
                            leaves.push((Self::leaf_key(child), c));
                        } else {
                            pending += 1;
                        }
                    }
                };
                for &c in &ids[..n] {
                    reach(self, c);
                }
                if node.kind == Kind::DOT {
                    let slot = chunk_of(i as Id) as usize;
                    let (lo, hi) = dot_span(&node);
                    for j in lo..hi {
                        let c = self.chunks[slot].lists[j];
                        reach(self, c);
                    }
                }
                pending -= 1;
                if pending == 0 {
                    break 'scan;
                }
            }
        }
        if leaves.is_empty() {
            self.leaf_hits = leaves;
            return out;
        }
        // Newest first; among leaves made between the same two operations,
        // the later slot first.
        leaves.sort_unstable_by(|x, y| y.cmp(x));
        let mut merged = Vec::with_capacity(out.len() + leaves.len());
        let mut next = leaves.iter().peekable();
        for &id in &out {
            let key = self.op_key(id);
            while let Some(&&(k, leaf)) = next.peek() {
                if k <= key {
                    break;
                }
                merged.push(leaf);
                next.next();
            }
            merged.push(id);
        }
        merged.extend(next.map(|&(_, leaf)| leaf));
        self.leaf_hits = leaves;
        self.reached = out;
        merged
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
        // Operation nodes reached but not yet applied; at zero only leaves
        // remain. Operation chunks hold no leaves (those live apart), so a
        // stamped node here is an operation.
        let mut pending = 1usize;
        let ranges = self.ranges_below(root);
        let nodes: &mut [Node<T>] = &mut self.nodes;
        let chunks: &[Chunk] = &self.chunks;
        for range in ranges {
            // Every range lies in a live chunk, inside the node store; said
            // once here, so that the loop below indexes without a check.
            assert!(range.end <= nodes.len());
            // A plain countdown: `Rev<Range>` costs a few instructions more
            // per node, and this loop visits every node of the graph.
            let mut i = range.end;
            while i > range.start {
                i -= 1;
                // SAFETY: `range.start <= i < range.end` (the loop test and
                // the decrement above), `range.end <= nodes.len()` (asserted
                // above), and `nodes` is not resized inside this loop (it is
                // a slice borrowed for the whole sweep), so `i` is in bounds.
                // (`tests::every_range_of_a_sweep_is_in_bounds` runs the
                // sweep over stores that grew and shrank.)
                #[allow(unsafe_code)]
                let node = unsafe { nodes.get_unchecked(i) };
                if node.stamp != epoch {
                    continue;
                }
                let (kind, a, b, out, g) = (
                    node.kind,
                    node.a as usize,
                    node.b as usize,
                    node.data,
                    node.grad,
                );
                pending -= 1;
                // The binary operations of graphs a user writes (chains of
                // `+` and `*`) get their own arms, matched on the stored
                // byte: with the function known, each arm reads only the
                // operand values its rule uses (none for `+` and `-`). Every
                // other elementwise function (tanh, exp, ...) is found with
                // one test of the byte, not a call; so is an integer power
                // (`x.powi(2)` in every squared loss). The rules themselves
                // stay in `Binary::grads`, `Unary::grad` and `powi_grad`.
                let mut binary = |f: Binary| {
                    let (da, db) = f.grads(nodes[a].data, nodes[b].data, out, g);
                    Self::reach(&mut nodes[a], da, epoch) + Self::reach(&mut nodes[b], db, epoch)
                };
                pending += match kind {
                    Kind::ADD => binary(Binary::Add),
                    Kind::SUB => binary(Binary::Sub),
                    Kind::MUL => binary(Binary::Mul),
                    Kind::POWI => {
                        let da = powi_grad(g, nodes[a].data, b as i32, out);
                        Self::reach(&mut nodes[a], da, epoch)
                    }
                    _ => match kind.unary() {
                        Some(f) => {
                            let da = f.grad(nodes[a].data, out, g);
                            Self::reach(&mut nodes[a], da, epoch)
                        }
                        None => Self::apply_rule(nodes, chunks, i, epoch),
                    },
                };
                if pending == 0 {
                    return;
                }
            }
        }
    }

    /// Node `i`'s local rule within sweep `epoch`, for every kind of
    /// operation node (the sweep inlines the commonest binary ones and the
    /// elementwise unary ones); returns
    /// how many operation nodes it reached for the first time.
    #[inline(never)]
    fn apply_rule(nodes: &mut [Node<T>], chunks: &[Chunk], i: usize, epoch: u32) -> usize {
        let node = &nodes[i];
        let (recipe, a, b, out, g) = (node.kind.recipe(), node.a, node.b, node.data, node.grad);
        // One match on the recipe: each arm reads only the operands its rule
        // uses (whatever the rule needs: operand values, the exponent, the
        // output and the upstream gradient).
        match recipe {
            Recipe::Binary(f) => {
                let (av, bv) = (nodes[a as usize].data, nodes[b as usize].data);
                let (da, db) = f.grads(av, bv, out, g);
                Self::reach(&mut nodes[a as usize], da, epoch)
                    + Self::reach(&mut nodes[b as usize], db, epoch)
            }
            Recipe::Dot => {
                let lists = &chunks[chunk_of(i as Id) as usize].lists;
                Self::dot_grads_in(nodes, lists, i as Id, Some(epoch))
            }
            // One operand takes a gradient; `Powf`'s second slot is its
            // constant exponent, `Powi`'s the exponent's bits.
            Recipe::Unary(_) | Recipe::Powi | Recipe::Powf => {
                let av = nodes[a as usize].data;
                let bv = if recipe == Recipe::Powf {
                    nodes[b as usize].data
                } else {
                    T::zero()
                };
                let (da, _) = recipe.grads(av, bv, b as i32, out, g);
                Self::reach(&mut nodes[a as usize], da, epoch)
            }
            // Operation chunks hold no leaves.
            Recipe::Leaf => 0,
        }
    }

    /// Adds `g` to `node`'s gradient within sweep `epoch`; returns 1 when
    /// this reaches an operation node for the first time in the sweep (its
    /// stale gradient is replaced). Leaves always accumulate.
    #[inline(always)]
    fn reach(node: &mut Node<T>, g: T, epoch: u32) -> usize {
        // Stamp first: a node met again in this sweep (most uses of a
        // shared weight or activation) takes one test.
        if node.stamp == epoch {
            node.grad = node.grad + g;
            0
        } else {
            node.stamp = epoch;
            if node.kind == Kind::LEAF {
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
        let node = self.nodes[id as usize];
        if node.kind == Kind::DOT {
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
        if node.kind == Kind::DOT {
            self.dot_value(id)
        } else {
            let (a, b) = self.operand_values(node);
            node.kind.eval(a, b, node.n())
        }
    }

    /// Every node `root` depends on, newest first.
    pub(crate) fn reachable(&mut self, root: Id) -> Vec<Id> {
        self.sweep(root)
    }

    /// Gives a buffer from [`Tape::reachable`] back for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<Id>) {
        self.reached = buf;
    }

    /// Sets the gradient of every node below `root` to zero.
    pub(crate) fn zero_grad(&mut self, root: Id) {
        let ids = self.sweep(root);
        for &id in &ids {
            self.nodes[id as usize].grad = T::zero();
        }
        self.recycle(ids);
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
        let ops: usize = self
            .chunks
            .iter()
            .filter(|c| c.live && !c.leaves)
            .map(|c| c.len as usize)
            .sum();
        let leaves =
            self.leaf_chunks.len() * CHUNK_LEN - self.leaf_free.len() - self.leaf_reserve.len();
        TapeStats {
            nodes: ops + leaves,
            live_chunks: self.chunks.iter().filter(|c| c.live).count(),
            capacity: self.nodes.len(),
            node_bytes: std::mem::size_of::<Node<T>>(),
            resizes: self.resizes,
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

    /// Past the handle limit (small under test) a clone panics with a
    /// message, and the node keeps its value: never a wrapped count.
    #[test]
    fn a_handle_count_that_would_overflow_panics() {
        let v = Value::new(42.0f64);
        let mut clones = Vec::new();
        // `v` is one handle; the limit allows MAX_REFS - 1 more.
        for _ in 1..super::MAX_REFS {
            clones.push(v.clone());
        }
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.clone()))
            .expect_err("one handle past the limit");
        let msg = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert!(
            msg.contains("handles, the most one node can count"),
            "{msg}"
        );
        // The tape is still usable and the value intact.
        assert_eq!(v.data(), 42.0);
        let w = Value::new(1.0f64);
        assert_eq!((&w + 1.0).data(), 2.0);
        drop(clones);
        assert_eq!(v.clone().data(), 42.0);
    }

    /// A kept leaf holds one slot: thousands of rebuilt graphs, each
    /// keeping one leaf, grow the tape by one node per kept leaf, beyond
    /// the constant set by the first steps (spare chunks, one graph).
    #[test]
    fn kept_leaves_cost_one_slot_each() {
        let w = Value::new(0.5f64);
        let mut history = Vec::new();
        let mut warm = None;
        for step in 0..2_000 {
            {
                let mut acc = &w * 1.0;
                for k in 0..300 {
                    acc = (&acc + (k as f64) * 1e-3).tanh();
                }
                acc.backward();
                history.push(Value::new(acc.data() + step as f64));
            }
            if step == 499 {
                warm = Some((Value::<f64>::tape_stats(), history.len()));
            }
        }
        let (warm, kept_then) = warm.unwrap();
        let end = Value::<f64>::tape_stats();
        assert_eq!(end.nodes, warm.nodes + history.len() - kept_then);
        let kept = (history.len() - kept_then) as f64;
        let grown = end.capacity.saturating_sub(warm.capacity) * end.node_bytes;
        // At most 64 bytes per kept leaf, plus one chunk of slack.
        let allowed = 64.0 * kept + (super::CHUNK_LEN * end.node_bytes) as f64;
        assert!(
            grown as f64 <= allowed,
            "{grown} bytes for {kept} kept leaves"
        );
        for (step, v) in history.iter().enumerate() {
            assert!(
                (v.data() - step as f64).abs() < 1.0,
                "step {step}: {}",
                v.data()
            );
        }
    }

    /// Leaves live apart from operations, yet `topo` lists every node in
    /// creation order, leaves where they were made, also for reused slots.
    #[test]
    fn topo_lists_leaves_where_they_were_made() {
        // Free some leaf slots first, so the graph below reuses them.
        for k in 0..50 {
            drop(Value::new(k as f64));
        }
        let _ = Value::<f64>::tape_stats();
        let a = Value::new(2.0f64);
        let b = Value::new(-3.0);
        let e = &a * &b;
        let c = Value::new(10.0);
        let d = &e + &c;
        let f = Value::new(-2.0);
        let l = &d * &f;
        let order: Vec<_> = l.topo().iter().map(Value::id).collect();
        let want: Vec<_> = [&a, &b, &e, &c, &d, &f, &l]
            .iter()
            .map(|v| v.id())
            .collect();
        assert_eq!(order, want);
        assert_eq!(
            a.topo().iter().map(Value::id).collect::<Vec<_>>(),
            vec![a.id()]
        );
    }

    /// Every state that sends an operation off the fast path (a full chunk,
    /// a due collection, a no-grad scope) hands it back once cleared: a
    /// long chain in and out of no-grad scopes keeps recording exactly
    /// where it should, with the right values and gradients.
    #[test]
    fn recording_resumes_after_each_slow_state() {
        let x = Value::new(1.0f64);
        for round in 0..6 {
            let guard = (round % 2 == 1).then(crate::NoGradGuard::new);
            let mut acc = &x * 1.0;
            // Long enough to open chunks (and ask for collections) inside.
            for _ in 0..5_000 {
                acc = &acc + &x;
            }
            assert_eq!(acc.data(), 5_001.0);
            assert_eq!(acc.is_leaf(), guard.is_some(), "round {round}");
            drop(guard);
            let y = &acc * &x;
            assert!(!y.is_leaf());
            x.set_grad(0.0);
            y.backward();
            let want = if round % 2 == 1 {
                5_001.0
            } else {
                2.0 * 5_001.0
            };
            assert_eq!(x.grad(), want, "round {round}");
        }
    }

    /// The node store shrinks (`trim`) once a huge graph is dropped; the
    /// next operations open a fresh chunk and write inside the store, and
    /// sweeps over ranges of the shrunk store stay in bounds.
    #[test]
    fn recording_after_the_store_shrank_writes_in_bounds() {
        let x = Value::new(0.5f64);
        for round in 0..3 {
            let mut acc = &x * 1.0;
            // About 245 chunks: past four times the spare ones kept after a
            // trim (`MIN_GROWTH + 1` once the chain is dropped), the
            // oversize at which the store is trimmed at once.
            for _ in 0..1_000_000 {
                acc = &acc + &x;
            }
            x.set_grad(0.0);
            acc.backward();
            assert_eq!(x.grad(), 1_000_001.0, "round {round}");
            let big = Value::<f64>::tape_stats().capacity;
            drop(acc);
            let after = Value::<f64>::tape_stats();
            assert!(after.capacity < big, "{} -> {}", big, after.capacity);
            // Recording resumes from a freed open chunk in the shrunk store.
            let y = (&x * &x + 1.0).tanh() * &x;
            let want = (0.25f64 + 1.0).tanh() * 0.5;
            assert!((y.data() - want).abs() < 1e-15);
            let z = &y + &y;
            z.backward();
            assert!(z.data() > 0.0);
        }
    }

    /// Sweeps walk ranges of live chunks only: over stores that grew and
    /// shrank, and roots in every position of their chunk, the ranges they
    /// scan stay inside the store (checked with the gradients).
    #[test]
    fn every_range_of_a_sweep_is_in_bounds() {
        let x = Value::new(1.0f64);
        for len in [1usize, 2, 4095, 4096, 4097, 9000, 40_000] {
            let mut acc = &x * 1.0;
            for _ in 1..len {
                acc = &acc + &x;
            }
            x.set_grad(0.0);
            acc.backward();
            assert_eq!(x.grad(), len as f64);
            if len == 40_000 {
                drop(acc);
                let _ = Value::<f64>::tape_stats();
            }
        }
    }

    /// The sweep's own arms (`+`, `-`, `*`, every unary function) give bit
    /// for bit what the general rule gives (`backward_step`), NaN,
    /// infinities, signed zeros and saturated arguments included.
    #[test]
    fn the_sweeps_own_arms_are_the_general_rules() {
        type Op2 = Box<dyn Fn(&Value<f64>, &Value<f64>) -> Value<f64>>;
        let mut ops: Vec<Op2> = vec![
            Box::new(|x, y| x + y),
            Box::new(|x, y| x - y),
            Box::new(|x, y| x * y),
            Box::new(|x, _| x.relu()),
        ];
        for n in [-3, -2, -1, 0, 1, 2, 3, 7] {
            ops.push(Box::new(move |x, _| x.powi(n)));
        }
        for &f in crate::op::Unary::ALL {
            ops.push(Box::new(move |x, _| x.unary(f)));
        }
        let vals = [
            1.5,
            -2.0,
            0.0,
            -0.0,
            0.3,
            25.0,
            f64::NAN,
            f64::INFINITY,
            -1e300,
        ];
        let bits = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
        for op in ops {
            for &a in &vals {
                for &b in &vals {
                    for &g in &[1.0, -0.0, f64::NAN] {
                        let (x, y) = (Value::new(a), Value::new(b));
                        let z = op(&x, &y);
                        // The sweep, with upstream gradient g (through `* g`).
                        let w = &z * g;
                        w.backward();
                        let swept = (x.grad(), y.grad());
                        // The general rule alone, from the same gradient.
                        x.set_grad(0.0);
                        y.set_grad(0.0);
                        z.set_grad(z.grad());
                        z.backward_step();
                        let general = (x.grad(), y.grad());
                        assert_eq!(
                            (bits(swept.0), bits(swept.1)),
                            (bits(general.0), bits(general.1)),
                            "{a} {b} {g}: {swept:?} vs {general:?}"
                        );
                    }
                }
            }
        }
    }

    /// Collections due in the middle of one expression (constants and
    /// temporaries made while a chunk fills) never free an operand still
    /// needed: every partial result is checked against plain floats.
    #[test]
    fn collections_racing_with_one_expression_keep_its_operands() {
        let x = Value::new(0.75f64);
        let mut kept = Vec::new();
        for round in 0..3_000 {
            let r = round as f64 * 1e-4;
            // Many temporaries and constants in one expression; chunk opens
            // (and so due collections) fall inside it at varying places.
            let v = ((&x * (1.0 + r) + 0.5) * (&x - r) + (2.0 * &x).tanh() - r * &x)
                .relu()
                .powi(2)
                + &x / (3.0 + r);
            let xd = 0.75;
            let want = (((xd * (1.0 + r) + 0.5) * (xd - r) + (2.0 * xd).tanh() - r * xd).max(0.0))
                .powi(2)
                + xd / (3.0 + r);
            assert!((v.data() - want).abs() < 1e-12, "round {round}");
            if round % 7 == 0 {
                kept.push((v, want));
            }
        }
        for (v, want) in &kept {
            assert!((v.data() - want).abs() < 1e-12);
            v.recompute();
            assert!((v.data() - want).abs() < 1e-12);
        }
        let stats = Value::<f64>::tape_stats();
        assert!(stats.nodes >= kept.len());
    }
}
