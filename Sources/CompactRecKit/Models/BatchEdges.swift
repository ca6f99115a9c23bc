import CKernels

/// The non-zeros of the propagation graph that touch a batch's rows, bucketed by their other
/// end: the graph's CSR layout, each row holding only its edges to the batch, with columns
/// that are compact batch positions.
///
/// The backward pass starts with A G, where G is non-zero only at the batch's rows. Run over
/// these edges, that product costs the batch rows' non-zeros (about 16% of Gowalla's for a
/// batch of 2,048 triples) instead of a visit to every non-zero of A.
final class BatchEdges {
  private let graph: NormalizedAdjacency
  /// One past each row's last collected edge; the row's edges start at its offset in `graph`.
  private var rowEnds: [Int64]
  private var columns: [Int32]
  private var values: [Float]
  /// Equal row ranges, the parallel product's work units.
  private let chunks: [Range<Int>]

  /// Room for any batch of `graph` (up to all of its non-zeros), allocated once.
  init(_ graph: NormalizedAdjacency) {
    self.graph = graph
    let n = graph.nodeCount
    rowEnds = graph.rowOffsets.dropLast().map { $0 }
    columns = [Int32](repeating: 0, count: graph.nonZeroCount)
    values = [Float](repeating: 0, count: graph.nonZeroCount)
    let units = max(1, min(n, 8 * Parallel.workers))
    chunks = (0..<units).map { (n * $0 / units)..<(n * ($0 + 1) / units) }
  }

  /// Collects the edges of `rows` (distinct nodes of the graph, ascending): afterwards row r
  /// holds (t, A[r][rows[t]]) for each rows[t] adjacent to r. The graph is bipartite, so the
  /// listed users (whose edges end at items) and the listed items run in parallel.
  func collect(rows: [Int32]) {
    let users = Int32(graph.users)
    let split = rows.firstIndex { $0 >= users } ?? rows.count
    graph.withCSR { csr in
      rows.withUnsafeBufferPointer { list in
        rowEnds.withUnsafeMutableBufferPointer { re in
          re.baseAddress!.update(from: csr.pointee.row_ptr, count: re.count)
          columns.withUnsafeMutableBufferPointer { cp in
            values.withUnsafeMutableBufferPointer { vp in
              let parts = [0..<split, split..<list.count]
              Parallel.forEach(2, grain: 1) { side in
                let part = parts[side]
                crk_edges_into_rows(
                  csr, list.baseAddress! + part.lowerBound, Int64(part.lowerBound), Int64(part.count),
                  re.baseAddress, cp.baseAddress, vp.baseAddress)
              }
            }
          }
        }
      }
    }
  }

  /// Runs `product` over the collected edges for every row: its x is compact, one row per
  /// batch position.
  func propagate(_ product: crk_product, dim: Int) {
    graph.rowOffsets.withUnsafeBufferPointer { rp in
      rowEnds.withUnsafeBufferPointer { re in
        columns.withUnsafeBufferPointer { cp in
          values.withUnsafeBufferPointer { vp in
            let csr = crk_csr(
              row_ptr: rp.baseAddress, row_end: re.baseAddress, col: cp.baseAddress, val: vp.baseAddress)
            withUnsafePointer(to: csr) { NormalizedAdjacency.propagate(product, over: $0, chunks: chunks, dim: dim) }
          }
        }
      }
    }
  }
}
