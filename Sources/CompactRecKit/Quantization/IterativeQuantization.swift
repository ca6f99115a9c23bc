/// Iterative quantization (ITQ; Gong and Lazebnik, CVPR 2011): the orthogonal map under which
/// sign codes lose the least of a set of vectors.
///
/// Sign codes depend on the axes: a rotation changes no dot product between float vectors,
/// but it changes which information their signs keep. ITQ looks for the map R (d x w,
/// orthonormal rows, w >= d) that brings the rows of V (scaled to unit length) closest to
/// vertices of the hypercube, min ||B - s V R||_F over R and B in {-1, +1}^(n x w). It alternates
/// the two halves: the codes for a map, B = sign(V R), and the map for the codes, the orthogonal
/// Procrustes solution R = U W^T from the thin SVD V^T B = U S W^T, here taken as the polar
/// factor (M M^T)^(-1/2) M of M = V^T B. Each half lowers the error, so it converges, to a
/// local optimum; the starts are seeded random maps, as in the paper, and the best of a few wins.
///
/// Because R R^T = I, x R . y R = x . y, so mapping a model's user and item rows by R keeps every
/// score. LightGCN's propagation is linear, so the same holds for its layer-0 embeddings: 1-bit
/// quantization-aware training warm-started from E(0) R starts from the same float model with
/// signs that keep more of it (on Gowalla, the signs of the full-precision model's final
/// embeddings keep validation Recall@20 0.139 as trained and 0.146 after ITQ).
public enum IterativeQuantization {
  /// The (rows.cols x width) map with orthonormal rows whose sign codes of `rows` lose the
  /// least: the best of `restarts` runs of `iterations` alternations, each from a random start
  /// (seeded from `seed`). The alternation only finds a local optimum (on points planted at a
  /// rotated hypercube's vertices, about half the starts miss them), hence the restarts.
  /// Precondition: `width >= rows.cols`, `restarts >= 1`.
  public static func projection(
    for rows: Matrix, width: Int, iterations: Int = 50, restarts: Int = 4, seed: UInt64
  ) -> Matrix {
    let d = rows.cols
    precondition(width >= d, "the map cannot narrow (\(d) -> \(width))")
    precondition(restarts >= 1, "at least one start")
    // Unit rows, so that every vector weighs the same in the fit whatever its norm: a sign
    // code keeps a direction, not a length.
    let v = rows.unitRows()
    var best: (map: Matrix, agreement: Double)?
    for start in 0..<restarts {
      var r = Matrix.orthonormalRows(d, width: width, seed: seed &+ UInt64(start))
      var projected = v.projected(by: r)
      for _ in 0..<iterations {
        var codes = projected
        for i in codes.storage.indices { codes.storage[i] = codes.storage[i] < 0 ? -1 : 1 }
        // A rank-deficient V^T B (only from a handful of rows) has no unique closest map.
        guard let next = polarFactor(crossProduct(v, codes)) else { break }
        r = next
        projected = v.projected(by: r)
      }
      // The objective: tr(R^T V^T sign(V R)) = sum of |v R| over the rows.
      let agreement = projected.storage.reduce(0.0) { $0 + Double(abs($1)) }
      if best == nil || agreement > best!.agreement { best = (r, agreement) }
    }
    return best!.map
  }

  /// a^T b for row-aligned a (n x d) and b (n x w), through BLAS.
  static func crossProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    var out = Matrix(rows: a.cols, cols: b.cols)
    a.withUnsafePointer { x in
      b.withUnsafePointer { y in
        out.withUnsafeMutablePointer { m in
          BLAS.gemm(
            transposeA: true, m: a.cols, n: b.cols, k: a.rows, a: x, lda: a.cols, b: y, ldb: b.cols, c: m,
            ldc: b.cols)
        }
      }
    }
    return out
  }

  /// `m` (d x w) made orthonormal in rows the closest way, (m m^T)^(-1/2) m, in Double; nil
  /// when `m` is (numerically) of rank below d.
  static func polarFactor(_ m: Matrix) -> Matrix? {
    let (d, w) = (m.rows, m.cols)
    let x = m.storage.map(Double.init)
    var gram = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
      for j in i..<d {
        var s = 0.0
        for k in 0..<w { s += x[i * w + k] * x[j * w + k] }
        gram[i * d + j] = s
        gram[j * d + i] = s
      }
    }
    let (values, vectors) = SymmetricEigen.decompose(gram, n: d)
    guard let largest = values.first, largest > 0, values.last! > largest * 1e-10 else { return nil }
    var inverseRoot = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
      for j in 0..<d {
        var s = 0.0
        for e in 0..<d { s += vectors[i * d + e] * vectors[j * d + e] / values[e].squareRoot() }
        inverseRoot[i * d + j] = s
      }
    }
    var out = [Float](repeating: 0, count: d * w)
    for i in 0..<d {
      for k in 0..<w {
        var s = 0.0
        for j in 0..<d { s += inverseRoot[i * d + j] * x[j * w + k] }
        out[i * w + k] = Float(s)
      }
    }
    return Matrix(rows: d, cols: w, storage: out)
  }
}
