//! Our own layered layout, for graphs that would make layout-rs slow, and
//! the estimate of layout-rs's work that decides when to use it.
//!
//! layout-rs ranks each shape by its longest path from a leaf and routes an
//! edge that spans `k` ranks through `k - 1` invisible connector shapes;
//! several of its passes then cost the square (or more) of the number of
//! shapes. A value reused far down the graph (Newton's `a`, a sum's leaves)
//! gives tens of thousands of connectors and minutes of layout. Here each
//! shape sits as far right as its consumers allow (so a leaf used once sits
//! next to its use), the order in each column comes from a few barycentre
//! sweeps, and an edge that skips columns runs in a lane under the picture:
//! time grows as `n log n` in the number of shapes and edges. The shapes and arrows are still drawn by
//! layout-rs's own renderer, so the two engines' pictures look alike.

use std::collections::{BTreeMap, VecDeque};

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::format::{Renderable as _, Visible as _};
use layout::core::geometry::Point;
use layout::std_shapes::render::render_arrow;
use layout::std_shapes::shapes::{Arrow, Element};

/// The shapes of a picture and its edges `(from, to)` as indices into them,
/// every edge pointing from an operand towards its result.
pub(crate) struct Shapes {
    pub elements: Vec<Element>,
    pub edges: Vec<(usize, usize)>,
}

/// What layout-rs would have to do with a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayoutRsCost {
    /// Shapes once every edge is cut into one-rank pieces: the shapes plus
    /// a connector per rank an edge skips. Its placer costs the square or
    /// more of this.
    pub shapes: u64,
    /// Its edge-crossing reduction's cost, `sum(row[i]^2 * row[i + 1])` over
    /// the ranks: it compares every pair in a rank against the next rank,
    /// 50 times over.
    pub crossings: u64,
}

/// Space between columns and between shapes in a column, in pixels.
const COLUMN_GAP: f64 = 60.0;
const ROW_GAP: f64 = 20.0;
/// Space between the lanes of long edges under the picture.
const LANE_GAP: f64 = 12.0;

/// Barycentre sweeps (each one left to right, then right to left).
const SWEEPS: usize = 4;

impl Shapes {
    /// A topological order (operands first), by Kahn's algorithm.
    fn topological_order(&self) -> Vec<usize> {
        let n = self.elements.len();
        let mut indegree = vec![0usize; n];
        let succ = self.successors();
        for &(_, to) in &self.edges {
            indegree[to] += 1;
        }
        let mut ready: VecDeque<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(v) = ready.pop_front() {
            order.push(v);
            for &s in &succ[v] {
                indegree[s] -= 1;
                if indegree[s] == 0 {
                    ready.push_back(s);
                }
            }
        }
        order
    }

    fn successors(&self) -> Vec<Vec<usize>> {
        let mut succ = vec![Vec::new(); self.elements.len()];
        for &(from, to) in &self.edges {
            succ[from].push(to);
        }
        succ
    }

    fn predecessors(&self) -> Vec<Vec<usize>> {
        let mut pred = vec![Vec::new(); self.elements.len()];
        for &(from, to) in &self.edges {
            pred[to].push(from);
        }
        pred
    }

    /// Each shape's rank as layout-rs assigns it: the longest path from a
    /// leaf; with `sink`, then moved as far right as its consumers allow
    /// (what layout-rs's rank optimisation converges to).
    pub fn ranks(&self, sink: bool) -> Vec<usize> {
        let order = self.topological_order();
        let succ = self.successors();
        let mut rank = vec![0usize; self.elements.len()];
        for &v in &order {
            for &s in &succ[v] {
                rank[s] = rank[s].max(rank[v] + 1);
            }
        }
        if sink {
            for &v in order.iter().rev() {
                if let Some(first_use) = succ[v].iter().map(|&s| rank[s]).min() {
                    rank[v] = rank[v].max(first_use - 1);
                }
            }
        }
        rank
    }

    /// Each shape's rank as layout-rs assigns it: the longest path from a
    /// leaf, then, with `optimize`, its rank optimisation: a shape with no
    /// more edges in than out moves next to its nearest use, in index order,
    /// until none moves.
    fn layout_rs_ranks(&self, optimize: bool) -> Vec<usize> {
        let mut rank = self.ranks(false);
        if optimize {
            let (succ, pred) = (self.successors(), self.predecessors());
            let mut moved = true;
            while moved {
                moved = false;
                for v in 0..self.elements.len() {
                    if pred[v].len() > succ[v].len() {
                        continue;
                    }
                    if let Some(first_use) = succ[v].iter().map(|&s| rank[s]).min() {
                        if first_use > rank[v] + 1 {
                            rank[v] = first_use - 1;
                            moved = true;
                        }
                    }
                }
            }
        }
        rank
    }

    /// What layout-rs would have to do: [`LayoutRsCost`].
    pub fn layout_rs_cost(&self, optimize: bool) -> LayoutRsCost {
        let rank = self.layout_rs_ranks(optimize);
        let ranks = rank.iter().max().map_or(0, |&r| r + 1);
        // Shapes per rank, connectors added with a difference array.
        let mut row = vec![0i64; ranks + 1];
        for &r in &rank {
            row[r] += 1;
            row[r + 1] -= 1;
        }
        for &(from, to) in &self.edges {
            if rank[to] > rank[from] + 1 {
                row[rank[from] + 1] += 1;
                row[rank[to]] -= 1;
            }
        }
        let mut width = Vec::with_capacity(ranks);
        let mut running = 0i64;
        for d in &row[..ranks] {
            running += d;
            width.push(running.max(0) as u64);
        }
        LayoutRsCost {
            shapes: width.iter().sum(),
            crossings: width.windows(2).map(|w| w[0] * w[0] * w[1]).sum(),
        }
    }

    /// Lays the shapes out left to right and draws them into `writer`.
    pub fn draw(mut self, writer: &mut SVGWriter) {
        let rank = self.ranks(true);
        let columns = self.column_order(&rank);
        let size: Vec<Point> = self
            .elements
            .iter()
            .map(|e| e.position().size(false))
            .collect();
        let heights: Vec<f64> = columns
            .iter()
            .map(|col| {
                col.iter().map(|&v| size[v].y).sum::<f64>()
                    + ROW_GAP * col.len().saturating_sub(1) as f64
            })
            .collect();
        let tallest = heights.iter().copied().fold(0.0, f64::max);
        let mut left = 0.0;
        let mut spans = Vec::with_capacity(columns.len());
        for (col, height) in columns.iter().zip(&heights) {
            let width = col.iter().map(|&v| size[v].x).fold(0.0, f64::max);
            let mut top = (tallest - height) / 2.0;
            for &v in col {
                let center = Point::new(left + width / 2.0, top + size[v].y / 2.0);
                self.elements[v].move_to(center);
                top += size[v].y + ROW_GAP;
            }
            spans.push((left, left + width));
            left += width + COLUMN_GAP;
        }
        for e in &self.elements {
            e.render(false, writer);
        }
        let lanes = self.lanes(&rank);
        for &(from, to) in &self.edges {
            let mut path = vec![self.elements[from].clone()];
            if let Some(&lane) = lanes.get(&from).filter(|_| rank[to] > rank[from] + 1) {
                // Under every column, so it crosses no shape.
                let y = tallest + ROW_GAP + LANE_GAP * (lane as f64 + 0.5);
                for x in [
                    spans[rank[from]].1 + COLUMN_GAP / 2.0,
                    spans[rank[to]].0 - COLUMN_GAP / 2.0,
                ] {
                    let mut via = Element::empty_connector(Orientation::TopToBottom);
                    via.move_to(Point::new(x, y));
                    path.push(via);
                }
            }
            path.push(self.elements[to].clone());
            render_arrow(writer, false, &path, &Arrow::simple(""));
        }
    }

    /// A lane below the picture for each shape with an edge that skips a
    /// column: the edges from one shape share its lane, and shapes whose
    /// edges cover disjoint columns share one (greedy interval colouring,
    /// as few lanes as the most edges over one column).
    fn lanes(&self, rank: &[usize]) -> BTreeMap<usize, usize> {
        let mut reach: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        for &(from, to) in &self.edges {
            if rank[to] > rank[from] + 1 {
                let span = reach.entry(from).or_insert((rank[from], rank[to]));
                span.1 = span.1.max(rank[to]);
            }
        }
        let mut by_start: Vec<(usize, usize, usize)> =
            reach.into_iter().map(|(v, (a, b))| (a, b, v)).collect();
        by_start.sort_unstable();
        let mut lane_ends: Vec<usize> = Vec::new();
        let mut lanes = BTreeMap::new();
        for (start, end, v) in by_start {
            let lane = match lane_ends.iter().position(|&e| e < start) {
                Some(l) => l,
                None => {
                    lane_ends.push(0);
                    lane_ends.len() - 1
                }
            };
            lane_ends[lane] = end;
            lanes.insert(v, lane);
        }
        lanes
    }

    /// The shapes of each rank, top to bottom: first in graph order, then
    /// sorted by the mean position of their neighbours, sweeping left to
    /// right and back, which untangles most crossings.
    fn column_order(&self, rank: &[usize]) -> Vec<Vec<usize>> {
        let columns_len = rank.iter().max().map_or(0, |&r| r + 1);
        let mut columns: Vec<Vec<usize>> = vec![Vec::new(); columns_len];
        for (v, &r) in rank.iter().enumerate() {
            columns[r].push(v);
        }
        let pred = self.predecessors();
        let succ = self.successors();
        // Position of each shape within its column, scaled to 0..1 so that
        // columns of different lengths compare.
        let mut place = vec![0.0f64; self.elements.len()];
        let update = |columns: &[Vec<usize>], place: &mut [f64]| {
            for col in columns {
                let n = col.len().max(1) as f64;
                for (i, &v) in col.iter().enumerate() {
                    place[v] = (i as f64 + 0.5) / n;
                }
            }
        };
        update(&columns, &mut place);
        for _ in 0..SWEEPS {
            for backwards in [false, true] {
                let neighbours = if backwards { &succ } else { &pred };
                let order: Vec<usize> = if backwards {
                    (0..columns_len).rev().collect()
                } else {
                    (0..columns_len).collect()
                };
                for c in order {
                    let mut keyed: Vec<(f64, usize)> = columns[c]
                        .iter()
                        .map(|&v| {
                            let ns = &neighbours[v];
                            let key = if ns.is_empty() {
                                place[v]
                            } else {
                                ns.iter().map(|&u| place[u]).sum::<f64>() / ns.len() as f64
                            };
                            (key, v)
                        })
                        .collect();
                    // Stable on ties (then by graph order): same input, same picture.
                    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    columns[c] = keyed.into_iter().map(|(_, v)| v).collect();
                    let n = columns[c].len().max(1) as f64;
                    for (i, &v) in columns[c].iter().enumerate() {
                        place[v] = (i as f64 + 0.5) / n;
                    }
                }
            }
        }
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::core::style::StyleAttr;
    use layout::std_shapes::shapes::ShapeKind;

    fn shapes(n: usize, edges: &[(usize, usize)]) -> Shapes {
        let element = || {
            Element::create(
                ShapeKind::Circle("+".into()),
                StyleAttr::simple(),
                Orientation::TopToBottom,
                Point::new(30.0, 30.0),
            )
        };
        Shapes {
            elements: (0..n).map(|_| element()).collect(),
            edges: edges.to_vec(),
        }
    }

    #[test]
    fn ranks_are_longest_paths_and_leaves_sink_next_to_their_use() {
        // 0 -> 1 -> 2 -> 3, and leaf 4 used by 3.
        let s = shapes(5, &[(0, 1), (1, 2), (2, 3), (4, 3)]);
        assert_eq!(s.ranks(false), [0, 1, 2, 3, 0]);
        assert_eq!(s.ranks(true), [0, 1, 2, 3, 2]);
        // The edge 4 -> 3 skips two ranks: two connectors, in ranks 1 and 2.
        let plain = s.layout_rs_cost(false);
        assert_eq!(plain.shapes, 5 + 2);
        // Ranks of 2, 2, 2 and 1 shapes.
        assert_eq!(plain.crossings, 4 * 2 + 4 * 2 + 4);
        assert_eq!(s.layout_rs_cost(true).shapes, 5);
    }

    #[test]
    fn a_value_used_at_every_step_keeps_its_long_edges() {
        // Leaf 0 feeds the chain 1 -> 2 -> 3 at each step.
        let s = shapes(4, &[(1, 2), (2, 3), (0, 1), (0, 2), (0, 3)]);
        assert_eq!(s.ranks(true), [0, 1, 2, 3]);
        assert_eq!(s.layout_rs_cost(true).shapes, 4 + 1 + 2);
    }

    #[test]
    fn layout_rs_keeps_a_shape_with_more_edges_in_than_out() {
        // 0 and 1 feed 2, which 5 uses at the end of the chain 3 -> 4 -> 5.
        let s = shapes(6, &[(0, 2), (1, 2), (3, 4), (4, 5), (2, 5)]);
        assert_eq!(s.layout_rs_ranks(true), [0, 0, 1, 0, 1, 2]);
        assert_eq!(s.ranks(true), [0, 0, 1, 0, 1, 2]);
    }

    #[test]
    fn barycentre_sweeps_untangle_a_crossing() {
        // Leaves 0 and 1 feed 3 and 2 respectively: crossed in graph order.
        let s = shapes(4, &[(0, 3), (1, 2)]);
        let columns = s.column_order(&s.ranks(true));
        let (left, right) = (&columns[0], &columns[1]);
        let at = |col: &Vec<usize>, v| col.iter().position(|&x| x == v).unwrap();
        assert_eq!(
            at(left, 0) < at(left, 1),
            at(right, 3) < at(right, 2),
            "{columns:?}"
        );
    }
}
