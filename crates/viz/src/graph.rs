//! Reading a computation graph out of the engine, in a stable order, and the
//! summary that replaces it when it is too large to draw.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;

use crate::Drawable;

/// How many value nodes a graph may have before it is drawn as a summary.
pub const DEFAULT_NODE_CAP: usize = 500;

/// One value of the graph, copied out of the engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub label: String,
    /// The record's fields after the label (`data 2.0000`, `grad 0.0000`).
    pub fields: Vec<String>,
    /// `""` for a leaf.
    pub op: String,
    /// Indices into [`Graph::nodes`], in operand order (repeated when an
    /// operand is used twice).
    pub children: Vec<usize>,
}

/// A graph small enough to draw: operands before results, the root last.
///
/// The order is a depth-first post-order from the root following operands
/// left to right, so it depends only on the graph's shape, never on node ids
/// or on what else lives on the tape: the same code gives the same picture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
}

/// What [`extract`] found.
pub(crate) enum Extracted {
    Full(Graph),
    TooBig(GraphSummary),
}

/// Copies the graph below `root` when it has at most `cap` value nodes, else
/// summarises it. Deciding "too big" visits at most `cap + 1` nodes.
pub(crate) fn extract<N: Drawable>(root: &N, cap: usize) -> Extracted {
    match walk(root, cap) {
        Some(graph) => Extracted::Full(graph),
        None => Extracted::TooBig(summarize_with_cap(root, cap)),
    }
}

/// Iterative depth-first walk (a deep chain must not overflow the stack);
/// `None` as soon as more than `cap` distinct nodes were seen.
fn walk<N: Drawable>(root: &N, cap: usize) -> Option<Graph> {
    if cap == 0 {
        return None;
    }
    let mut index: HashMap<N::Key, usize> = HashMap::new();
    let mut seen: HashSet<N::Key> = HashSet::new();
    let mut nodes = Vec::new();
    seen.insert(root.key());
    let mut stack: Vec<(N, Vec<N>, usize)> = vec![(root.clone(), root.operands(), 0)];
    while let Some(top) = stack.last_mut() {
        if top.2 < top.1.len() {
            let child = top.1[top.2].clone();
            top.2 += 1;
            if seen.insert(child.key()) {
                if seen.len() > cap {
                    return None;
                }
                let grandchildren = child.operands();
                stack.push((child, grandchildren, 0));
            }
            continue;
        }
        let Some((value, children, _)) = stack.pop() else {
            break;
        };
        let children = children.iter().map(|c| index[&c.key()]).collect();
        index.insert(value.key(), nodes.len());
        nodes.push(Node {
            label: value.label(),
            fields: value.fields(),
            op: value.op().into_owned(),
            children,
        });
    }
    Some(Graph { nodes })
}

/// The shape of a graph too large to draw: how many nodes of each operation
/// and how many at each depth.
///
/// Depth is the length of the longest path from the root, in operations: the
/// root has depth 0, its operands depth 1 (or more, when also reached by a
/// longer path). That is the column a node would sit in, counted from the
/// right, in the left-to-right picture.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSummary {
    /// Distinct value nodes below the root (the root included).
    pub nodes: usize,
    /// How many of them are leaves (made by `Value::new`).
    pub leaves: usize,
    /// The cap that was exceeded.
    pub cap: usize,
    /// `(operation, count)`, most frequent first, then by name; leaves are
    /// counted under `"leaf"`.
    pub ops: Vec<(String, usize)>,
    /// `by_depth[d]` is the number of nodes at depth `d`.
    pub by_depth: Vec<usize>,
    /// The root's label.
    pub root_label: String,
    /// The root's record fields after the label (`data 0.7071`,
    /// `grad 1.0000`; a tensor's shape first).
    pub root_fields: Vec<String>,
}

impl GraphSummary {
    /// The greatest depth (the longest chain of operations below the root).
    pub fn max_depth(&self) -> usize {
        self.by_depth.len().saturating_sub(1)
    }

    /// The one-line note shown above the summary.
    pub fn note(&self) -> String {
        format!(
            "graph of {} nodes is over the drawing cap of {}: showing a summary instead \
             (raise the cap to draw it all)",
            self.nodes, self.cap
        )
    }

    /// Depth counts grouped into at most `max_rows` ranges `(from, to, count)`,
    /// for printing a long histogram compactly.
    pub fn depth_ranges(&self, max_rows: usize) -> Vec<(usize, usize, usize)> {
        let n = self.by_depth.len();
        if n == 0 || max_rows == 0 {
            return Vec::new();
        }
        let width = n.div_ceil(max_rows);
        (0..n)
            .step_by(width)
            .map(|from| {
                let to = (from + width).min(n) - 1;
                (from, to, self.by_depth[from..=to].iter().sum())
            })
            .collect()
    }
}

impl fmt::Display for GraphSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.note())?;
        let label = if self.root_label.is_empty() {
            "root"
        } else {
            &self.root_label
        };
        writeln!(f, "{label}: {}", self.root_fields.join(" "))?;
        writeln!(
            f,
            "nodes {} (leaves {}), depth {}",
            self.nodes,
            self.leaves,
            self.max_depth()
        )?;
        writeln!(f, "per operation:")?;
        for (op, count) in &self.ops {
            writeln!(f, "  {op:<8} {count}")?;
        }
        writeln!(f, "per depth:")?;
        for (from, to, count) in self.depth_ranges(12) {
            if from == to {
                writeln!(f, "  {from:>9}        {count}")?;
            } else {
                writeln!(f, "  {from:>9}..{to:<6} {count}")?;
            }
        }
        Ok(())
    }
}

/// Counts the nodes below `root` per operation and per depth, in one pass over
/// its topological order, whatever its size.
///
/// ```
/// use ferrograd_scalar::Value;
/// let x = Value::new(1.0f64);
/// let y = (&x * &x).tanh();
/// let s = ferrograd_viz::summarize(&y);
/// assert_eq!((s.nodes, s.leaves, s.max_depth()), (3, 1, 2));
/// assert_eq!(s.ops[0].1, 1);
/// ```
pub fn summarize<N: Drawable>(root: &N) -> GraphSummary {
    summarize_with_cap(root, DEFAULT_NODE_CAP)
}

fn summarize_with_cap<N: Drawable>(root: &N, cap: usize) -> GraphSummary {
    let topo = root.topo();
    // The scalar engine's node ids are dense slots of the tape, so a flat
    // table beats hashing a million ids; fall back to a map when they are
    // spread out or the engine has none.
    let dense = topo.iter().try_fold((usize::MAX, 0), |(lo, hi), v| {
        v.dense_index().map(|i| (lo.min(i), hi.max(i)))
    });
    let mut depth = match dense {
        Some((lo, hi)) => DepthTable::new(lo, hi.saturating_sub(lo) + 1, topo.len()),
        None => DepthTable::Map(HashMap::with_capacity(topo.len())),
    };
    let mut ops: HashMap<std::borrow::Cow<'static, str>, usize> = HashMap::new();
    let mut by_depth: Vec<usize> = Vec::new();
    let mut leaves = 0;
    depth.set(root, 0);
    for v in topo.iter().rev() {
        let d = depth.get(v);
        if by_depth.len() <= d {
            by_depth.resize(d + 1, 0);
        }
        by_depth[d] += 1;
        let op = v.op();
        if op.is_empty() {
            leaves += 1;
            *ops.entry("leaf".into()).or_default() += 1;
        } else {
            *ops.entry(op).or_default() += 1;
        }
        for c in v.operands() {
            depth.raise(&c, d + 1);
        }
    }
    let mut ops: Vec<(String, usize)> = ops.into_iter().map(|(k, v)| (k.into_owned(), v)).collect();
    ops.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    GraphSummary {
        nodes: topo.len(),
        leaves,
        cap,
        ops,
        by_depth,
        root_label: root.label(),
        root_fields: root.fields(),
    }
}

/// Longest distance from the root per node.
enum DepthTable<K> {
    /// Indexed by [`Drawable::dense_index`] minus `lo`.
    Flat {
        lo: usize,
        depth: Vec<usize>,
    },
    Map(HashMap<K, usize>),
}

impl<K: Copy + Eq + Hash> DepthTable<K> {
    fn new(lo: usize, span: usize, count: usize) -> Self {
        if span <= count.saturating_mul(4).max(1024) {
            DepthTable::Flat {
                lo,
                depth: vec![0; span],
            }
        } else {
            DepthTable::Map(HashMap::with_capacity(count))
        }
    }

    /// The flat table's slot of `node`: every node of the walk has a dense
    /// index when the table is flat.
    fn slot<N: Drawable<Key = K>>(lo: usize, node: &N) -> usize {
        node.dense_index()
            .expect("a flat depth table holds only nodes with a dense index")
            - lo
    }

    fn get<N: Drawable<Key = K>>(&self, node: &N) -> usize {
        match self {
            DepthTable::Flat { lo, depth } => depth[Self::slot(*lo, node)],
            DepthTable::Map(m) => m.get(&node.key()).copied().unwrap_or(0),
        }
    }

    fn set<N: Drawable<Key = K>>(&mut self, node: &N, d: usize) {
        match self {
            DepthTable::Flat { lo, depth } => depth[Self::slot(*lo, node)] = d,
            DepthTable::Map(m) => {
                m.insert(node.key(), d);
            }
        }
    }

    fn raise<N: Drawable<Key = K>>(&mut self, node: &N, d: usize) {
        if self.get(node) < d {
            self.set(node, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrograd_scalar::Value;

    #[test]
    fn walk_orders_operands_before_results_and_root_last() {
        let a = Value::new(2.0f64).with_label("a");
        let b = Value::new(3.0f64).with_label("b");
        let c = &a * &b + &a;
        let Extracted::Full(g) = extract(&c, 10) else {
            panic!("small graph summarised")
        };
        let labels: Vec<&str> = g.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "", ""]);
        assert_eq!(g.nodes[2].op, "*");
        assert_eq!(g.nodes[2].children, [0, 1]);
        assert_eq!(g.nodes[3].children, [2, 0]);
    }

    #[test]
    fn a_node_used_twice_is_listed_once_with_two_edges() {
        let a = Value::new(1.0f64);
        let b = &a + &a;
        let Extracted::Full(g) = extract(&b, 10) else {
            panic!()
        };
        assert_eq!(g.nodes.len(), 2);
        assert_eq!(g.nodes[1].children, [0, 0]);
    }

    #[test]
    fn cap_is_exact() {
        let a = Value::new(1.0f64);
        let b = a.tanh().exp(); // 3 nodes
        assert!(matches!(extract(&b, 3), Extracted::Full(_)));
        let Extracted::TooBig(s) = extract(&b, 2) else {
            panic!("3 nodes over a cap of 2 drawn")
        };
        assert_eq!((s.nodes, s.cap, s.by_depth.clone()), (3, 2, vec![1, 1, 1]));
    }

    #[test]
    fn depth_is_the_longest_path_from_the_root() {
        let x = Value::new(1.0f64);
        let y = x.exp();
        let z = &y + &x; // x at depth 1 via +, depth 2 via exp
        let s = summarize(&z);
        assert_eq!(s.by_depth, [1, 1, 1]);
        assert_eq!(
            s.ops,
            [("+".into(), 1), ("exp".into(), 1), ("leaf".into(), 1)]
        );
    }

    #[test]
    fn depth_ranges_cover_every_node() {
        let s = GraphSummary {
            nodes: 10,
            leaves: 1,
            cap: 5,
            ops: vec![],
            by_depth: vec![1; 10],
            root_label: String::new(),
            root_fields: vec![],
        };
        let r = s.depth_ranges(3);
        assert_eq!(r, [(0, 3, 4), (4, 7, 4), (8, 9, 2)]);
    }
}
