/// Widening embeddings without changing any dot product between them.
///
/// `widened(to:seed:)` maps (n x d0) rows x to x R, where R is a seeded random (d0 x d) matrix
/// with orthonormal rows (R R^T = I). Every dot product, and so every score and ranking, stays
/// what it was, and because LightGCN's propagation is linear, the propagated embeddings of
/// x R are the propagated embeddings of x times R. A trained narrow model thus becomes a wide
/// one with the same accuracy, whose extra width lets low-bit codes carry more of it: the
/// signs of x R are a random-hyperplane hash of x, which quantization-aware training then
/// refines (HQ-GNN at 1 bit and d = 256, warm-started from a d = 64 model).
extension Matrix {
  /// These rows times a seeded random (cols x width) matrix with orthonormal rows.
  /// Precondition: width >= cols.
  public func widened(to width: Int, seed: UInt64) -> Matrix {
    precondition(width >= cols, "can only widen (\(cols) -> \(width))")
    return projected(by: Matrix.orthonormalRows(cols, width: width, seed: seed))
  }

  /// These rows times `map` (cols x map.cols), x R, through BLAS.
  public func projected(by map: Matrix) -> Matrix {
    precondition(map.rows == cols, "a map of \(map.rows) rows for rows of width \(cols)")
    var out = Matrix(rows: rows, cols: map.cols)
    withUnsafePointer { x in
      map.withUnsafePointer { r in
        out.withUnsafeMutablePointer { y in
          BLAS.gemm(m: rows, n: map.cols, k: cols, a: x, lda: cols, b: r, ldb: map.cols, c: y, ldc: map.cols)
        }
      }
    }
    return out
  }

  /// A seeded random (count x width) matrix whose rows are orthonormal: Gaussian rows made
  /// orthonormal by modified Gram-Schmidt, in double precision. Precondition: count <= width.
  static func orthonormalRows(_ count: Int, width: Int, seed: UInt64) -> Matrix {
    precondition(count <= width, "at most \(width) orthonormal rows of width \(width)")
    var g = SeededGenerator(seed: seed)
    var rows: [[Double]] = []
    while rows.count < count {
      var v = (0..<width).map { _ in Double(g.gaussian()) }
      for r in rows {
        let dot = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 }
        for c in 0..<width { v[c] -= dot * r[c] }
      }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 1e-6 { rows.append(v.map { $0 / norm }) }  // else a degenerate draw: draw again
    }
    return Matrix(rows: count, cols: width, storage: rows.flatMap { $0.map { Float($0) } })
  }
}
