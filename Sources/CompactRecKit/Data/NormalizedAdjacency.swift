import CKernels

/// The symmetric normalized adjacency D^-1/2 A D^-1/2 of the user-item training graph, in CSR.
///
/// Nodes are the users (0..<users) followed by the items (users..<users + items); an edge joins
/// a user and each item it interacted with, weighted 1 / sqrt(deg(user) deg(item)). Because the
/// matrix is symmetric, the same product serves forward propagation and its backward pass.
/// Building is O(nnz); products run row-parallel with the C kernel `crk_spmm_rows`.
public struct NormalizedAdjacency: Sendable {
  /// Number of user nodes.
  public let users: Int
  /// Number of item nodes.
  public let items: Int
  /// CSR row offsets, `nodeCount + 1` entries.
  public let rowOffsets: [Int64]
  /// Column (neighbour) of each non-zero.
  public let columns: [Int32]
  /// Weight of each non-zero.
  public let values: [Float]
  /// Row ranges with near-equal non-zero counts, one work unit each for the parallel product.
  private let chunks: [Range<Int>]

  /// Builds the graph of `matrix` (users x items, deduplicated).
  public init(_ matrix: InteractionMatrix) {
    users = matrix.rowCount
    items = matrix.columnCount
    let n = users + items
    var degree = [Int](repeating: 0, count: n)
    for u in 0..<users { degree[u] = matrix.rowLength(u) }
    for c in matrix.columns { degree[users + Int(c)] += 1 }
    var offsets = [Int64](repeating: 0, count: n + 1)
    for v in 0..<n { offsets[v + 1] = offsets[v] + Int64(degree[v]) }
    var cols = [Int32](repeating: 0, count: Int(offsets[n]))
    var vals = [Float](repeating: 0, count: Int(offsets[n]))
    var fill = offsets
    let invSqrt = degree.map { $0 == 0 ? Float(0) : 1 / Float($0).squareRoot() }
    for u in 0..<users {
      for c in matrix.row(u) {
        let i = users + Int(c)
        let w = invSqrt[u] * invSqrt[i]
        cols[Int(fill[u])] = Int32(i)
        vals[Int(fill[u])] = w
        fill[u] += 1
        cols[Int(fill[i])] = Int32(u)  // users are visited in order, so item rows stay sorted
        vals[Int(fill[i])] = w
        fill[i] += 1
      }
    }
    rowOffsets = offsets
    columns = cols
    values = vals
    // Work units: about 8 per core, cut where the running non-zero count crosses a share.
    let units = max(1, min(n, 8 * Parallel.workers))
    var cuts = [0]
    let total = max(Int64(1), offsets[n])
    var next = 1
    for v in 0..<n where next < units && offsets[v + 1] * Int64(units) >= total * Int64(next) {
      cuts.append(v + 1)
      next += 1
    }
    if cuts.last! != n { cuts.append(n) }
    chunks = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
  }

  /// Number of nodes (users + items).
  public var nodeCount: Int { users + items }
  /// Number of stored non-zeros (twice the number of edges).
  public var nonZeroCount: Int { columns.count }

  /// y = A x for x, y of shape (nodeCount x d). Every row of y is overwritten.
  public func multiply(_ x: Matrix, into y: inout Matrix) {
    precondition(x.rows == nodeCount && y.rows == nodeCount && x.cols == y.cols, "shape mismatch")
    let d = Int32(x.cols)
    withCSR { rp, cp, vp in
      x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
          Parallel.forEach(chunks.count, grain: 1) { c in
            crk_spmm_rows(
              rp, cp, vp, xp, yp, Int64(chunks[c].lowerBound), Int64(chunks[c].upperBound), d)
          }
        }
      }
    }
  }

  /// y[r] = (A x)[r] for the listed rows only; other rows of y are untouched.
  public func multiply(_ x: Matrix, into y: inout Matrix, rows: [Int32]) {
    precondition(x.rows == nodeCount && y.rows == nodeCount && x.cols == y.cols, "shape mismatch")
    withCSR { rp, cp, vp in
      x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
          rows.withUnsafeBufferPointer { r in
            crk_spmm_row_list(rp, cp, vp, xp, yp, r.baseAddress, Int64(r.count), Int32(x.cols))
          }
        }
      }
    }
  }

  /// y += A x for an x whose only non-zero rows are `rows` (A is symmetric, so each listed
  /// row scatters into its neighbours). O(non-zeros of the listed rows), single-threaded.
  public func accumulateProduct(ofRows rows: [Int32], of x: Matrix, into y: inout Matrix) {
    precondition(x.rows == nodeCount && y.rows == nodeCount && x.cols == y.cols, "shape mismatch")
    withCSR { rp, cp, vp in
      x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
          rows.withUnsafeBufferPointer { r in
            crk_spmm_scatter(rp, cp, vp, xp, yp, r.baseAddress, Int64(r.count), Int32(x.cols))
          }
        }
      }
    }
  }

  private func withCSR<R>(
    _ body: (UnsafePointer<Int64>, UnsafePointer<Int32>, UnsafePointer<Float>) -> R
  ) -> R {
    rowOffsets.withUnsafeBufferPointer { rp in
      columns.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in body(rp.baseAddress!, cp.baseAddress!, vp.baseAddress!) }
      }
    }
  }
}
