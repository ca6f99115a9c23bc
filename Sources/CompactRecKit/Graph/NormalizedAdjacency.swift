import CKernels

/// The symmetric normalized adjacency D^-1/2 A D^-1/2 of the user-item training graph, in CSR.
///
/// Nodes are the users (0..<users) followed by the items (users..<users + items); an edge joins
/// a user and each item it interacted with, weighted 1 / sqrt(deg(user) deg(item)). Because the
/// matrix is symmetric, the same product serves forward propagation and its backward pass.
/// Building is O(nnz); products run row-parallel with the C kernel `crk_propagate_rows`.
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
    chunks = Self.cut(offsets, into: 8 * Parallel.workers)
  }

  /// At most `units` consecutive row ranges covering every row, cut where the running
  /// non-zero count crosses each equal share.
  private static func cut(_ offsets: [Int64], into units: Int) -> [Range<Int>] {
    let n = offsets.count - 1
    let units = max(1, min(n, units))
    var cuts = [0]
    let total = max(Int64(1), offsets[n])
    var next = 1
    for v in 0..<n where next < units && offsets[v + 1] * Int64(units) >= total * Int64(next) {
      cuts.append(v + 1)
      next += 1
    }
    if cuts.last! != n { cuts.append(n) }
    return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
  }

  /// Number of nodes (users + items).
  public var nodeCount: Int { users + items }
  /// Number of stored non-zeros (twice the number of edges).
  public var nonZeroCount: Int { columns.count }

  /// y = A x for x, y of shape (nodeCount x d). Every row of y is overwritten.
  public func multiply(_ x: Matrix, into y: inout Matrix) {
    precondition(x.rows == nodeCount && y.rows == nodeCount && x.cols == y.cols, "shape mismatch")
    let d = x.cols
    x.withUnsafePointer { xp in
      y.withUnsafeMutablePointer { yp in propagate(Self.product(UnsafeRawPointer(xp), into: yp), dim: d) }
    }
  }

  /// Rows `rows` of A x, in that order: a (rows.count x d) matrix. Costs those rows' non-zeros.
  public func product(_ x: Matrix, atRows rows: [Int32]) -> Matrix {
    precondition(x.rows == nodeCount, "shape mismatch")
    precondition(rows.allSatisfy { $0 >= 0 && Int($0) < nodeCount }, "row out of range")
    var y = Matrix(rows: rows.count, cols: x.cols)
    let d = x.cols
    x.withUnsafePointer { xp in
      y.withUnsafeMutablePointer { yp in
        rows.withUnsafeBufferPointer { propagate(Self.product(UnsafeRawPointer(xp), into: yp), dim: d, rows: $0) }
      }
    }
    return y
  }

  /// The operands of a plain float32 product y = A x (scale 1, no extra term), for callers to adjust.
  static func product(_ x: UnsafeRawPointer, into y: UnsafeMutableRawPointer) -> crk_product {
    crk_product(
      x: x, x_half: 0, scale: 1, extra: nil, extra_slot: nil, extra_weight: 0, y: y, y_half: 0, adam: nil)
  }

  /// Runs `product` (see `crk_product`) for every row, the row ranges `chunks` handed out to
  /// the cores.
  func propagate(_ product: crk_product, dim: Int) {
    withCSR { csr in
      withUnsafePointer(to: product) { p in
        Parallel.forEach(chunks.count, grain: 1) { c in
          crk_propagate_rows(csr, p, Int64(chunks[c].lowerBound), Int64(chunks[c].upperBound), Int32(dim))
        }
      }
    }
  }

  /// Runs `product` for the listed rows only, writing row `rows[t]` of it to row t of its y.
  /// The list is cut into chunks for the cores; `then` runs after each chunk, on its core, with
  /// the chunk's range of list positions (to finish those rows while they are in cache).
  func propagate(
    _ product: crk_product, dim: Int, rows: UnsafeBufferPointer<Int32>, then: (Range<Int>) -> Void = { _ in }
  ) {
    guard let base = rows.baseAddress else { return }
    withCSR { csr in
      withUnsafePointer(to: product) { p in
        Parallel.forEachChunk(of: rows.count, chunks: rows.count >= 256 ? 4 * Parallel.workers : 1) { _, range in
          var shifted = p.pointee
          shifted.y = shifted.y.map { $0 + range.lowerBound * dim * (shifted.y_half != 0 ? 2 : 4) }
          crk_propagate_row_list(csr, &shifted, base + range.lowerBound, Int64(range.count), Int32(dim))
          then(range)
        }
      }
    }
  }

  /// y = scale * A x + extraWeight * extra, every row of y (N x d, float32 or half floats when
  /// `half`) overwritten, for an x non-zero only at the nodes `rows` (distinct, ascending): x
  /// and extra are compact, one row per listed node. The listed rows push their x rows into
  /// their neighbours' rows of y, so the product costs only their non-zeros. Users' neighbours
  /// are items and items' are users, so the two sides push on two cores without sharing a row.
  func push(
    _ x: UnsafePointer<Float>, rows: UnsafeBufferPointer<Int32>, scale: Float, extra: UnsafePointer<Float>,
    extraWeight: Float, into y: UnsafeMutableRawPointer, half: Bool, dim: Int
  ) {
    let split = rows.firstIndex { Int($0) >= users } ?? rows.count
    let lists = [0..<split, split..<rows.count]
    let targets = [users..<nodeCount, 0..<users]
    let bytesPerRow = dim * (half ? 2 : 4)
    let base = rows.baseAddress
    withCSR { csr in
      Parallel.forEach(2, grain: 1) { side in
        // Side 0 writes the item rows: listed users push into them, listed items add their extra.
        let pushed = lists[side]
        let own = lists[1 - side]
        let target = targets[side]
        (y + target.lowerBound * bytesPerRow).initializeMemory(
          as: UInt8.self, repeating: 0, count: target.count * bytesPerRow)
        guard let base else { return }
        crk_add_into_rows(
          extra + own.lowerBound * dim, base + own.lowerBound, Int64(own.count), extraWeight, y, half ? 1 : 0,
          Int32(dim))
        crk_push_rows(
          csr, base + pushed.lowerBound, Int64(pushed.count), x + pushed.lowerBound * dim, scale, y, half ? 1 : 0,
          Int32(dim))
      }
    }
  }

  /// Calls `body` with the CSR view of the graph.
  func withCSR<R>(_ body: (UnsafePointer<crk_csr>) -> R) -> R {
    rowOffsets.withUnsafeBufferPointer { rp in
      columns.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          withUnsafePointer(
            to: crk_csr(row_ptr: rp.baseAddress, col: cp.baseAddress, val: vp.baseAddress)
          ) {
            body($0)
          }
        }
      }
    }
  }
}
