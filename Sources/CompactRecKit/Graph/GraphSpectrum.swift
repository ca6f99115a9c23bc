import Foundation

/// The leading singular values and vectors of a graph's normalized user-item matrix
/// R~ = D_u^-1/2 R D_i^-1/2, the block of LightGCN's adjacency A = [[0, R~], [R~^T, 0]].
///
/// They are what GF-CF and SVD-GCN (Shen et al., CIKM 2021; Peng et al., CIKM 2022) build on:
/// [u_k; v_k] is an eigenvector of A with eigenvalue s_k, so LightGCN's propagation only scales
/// each of these directions, and a low-rank embedding made of them ranks well before any
/// training (see `LightGCN.spectralStart`).
///
/// Computed by randomized subspace iteration (Halko, Martinsson and Tropp, SIAM Review 2011,
/// algorithm 4.4): a seeded Gaussian block of `rank + oversampling` columns is multiplied by
/// R~ and R~^T `iterations` times, with the block made orthonormal after each product; the
/// small projected problem is then solved exactly. Every product is one pass of the sparse
/// adjacency kernel over the block, so the cost is about 2 (iterations + 1) sparse products of
/// that width.
public struct GraphSpectrum: Sendable {
  /// Singular values s_1 >= s_2 >= ... (the largest is 1 for a graph without empty rows).
  public let values: [Float]
  /// Left singular vectors u_k, orthonormal columns: users x rank.
  public let users: Matrix
  /// Right singular vectors v_k, orthonormal columns: items x rank.
  public let items: Matrix

  /// Number of singular triplets kept.
  public var rank: Int { values.count }

  /// The leading `rank` singular triplets of `graph`'s user-item block (fewer when the matrix
  /// has lower rank than asked). More `iterations` sharpen the smaller of the kept values.
  public init(graph: NormalizedAdjacency, rank: Int, oversampling: Int = 16, iterations: Int = 4, seed: UInt64) {
    precondition(rank >= 1 && oversampling >= 0 && iterations >= 0, "rank >= 1, oversampling and iterations >= 0")
    let width = min(rank + oversampling, graph.users, graph.items)
    var g = SeededGenerator(seed: seed)
    var basis = Self.orthonormalColumns(
      Self.product(graph, Matrix(rows: graph.items, cols: width, gaussianStd: 1, generator: &g), itemSide: true))
    for _ in 0..<iterations {
      let back = Self.orthonormalColumns(Self.product(graph, basis, itemSide: false))
      basis = Self.orthonormalColumns(Self.product(graph, back, itemSide: true))
    }
    // B = Q^T R~ (width x items); B B^T = W S^2 W^T gives U = Q W and V = B^T W / S.
    let bt = Self.product(graph, basis, itemSide: false)
    let (squares, w) = Self.eigen(of: bt)
    let kept = min(rank, squares.prefix { $0 > 1e-12 * max(squares[0], 1e-30) }.count)
    let values = squares.prefix(kept).map { Float($0.squareRoot()) }
    let map = Matrix(rows: w.rows, cols: kept, storage: (0..<w.rows).flatMap { r in w.row(r).prefix(kept) })
    var right = bt.projected(by: map)
    for r in 0..<right.rows { for c in 0..<kept { right[r, c] /= values[c] } }
    self.values = values
    users = basis.projected(by: map)
    items = right
  }

  /// R~ x (users x d) for item rows x when `itemSide`, else R~^T x (items x d) for user rows x:
  /// one product of the adjacency over a block that is zero on the other side.
  static func product(_ graph: NormalizedAdjacency, _ x: Matrix, itemSide: Bool) -> Matrix {
    let offset = itemSide ? graph.users : 0
    var full = Matrix(rows: graph.nodeCount, cols: x.cols)
    full.storage.replaceSubrange((offset * x.cols)..<((offset + x.rows) * x.cols), with: x.storage)
    var y = Matrix(rows: graph.nodeCount, cols: x.cols)
    graph.multiply(full, into: &y)
    let target = itemSide ? 0..<graph.users : graph.users..<graph.nodeCount
    return y.rows(target)
  }

  /// The Gram matrix x^T x (d x d), in Double, and its eigen-decomposition (values descending,
  /// vectors as the columns of a d x d matrix).
  static func eigen(of x: Matrix) -> (values: [Double], vectors: Matrix) {
    var gram = Matrix(rows: x.cols, cols: x.cols)
    x.withUnsafePointer { a in
      gram.withUnsafeMutablePointer { c in
        BLAS.gemm(
          transposeA: true, m: x.cols, n: x.cols, k: x.rows, a: a, lda: x.cols, b: a, ldb: x.cols, c: c, ldc: x.cols)
      }
    }
    let (values, vectors) = SymmetricEigen.decompose(gram.storage.map(Double.init), n: x.cols)
    return (values, Matrix(rows: x.cols, cols: x.cols, storage: vectors.map { Float($0) }))
  }

  /// A basis of the column space of `x` with orthonormal columns: x W S^-1/2 from the
  /// eigen-decomposition of its Gram matrix, done twice (the second pass repairs what float
  /// rounding left of the first, as in CholeskyQR2). Directions of negligible weight are dropped.
  static func orthonormalColumns(_ x: Matrix) -> Matrix {
    var q = x
    for _ in 0..<2 {
      let (values, w) = eigen(of: q)
      let kept = values.prefix { $0 > 1e-10 * max(values[0], 1e-30) }.count
      var map = Matrix(rows: w.rows, cols: kept)
      for r in 0..<w.rows { for c in 0..<kept { map[r, c] = w[r, c] / Float(values[c].squareRoot()) } }
      q = q.projected(by: map)
    }
    return q
  }
}
