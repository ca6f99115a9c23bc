import Foundation

/// A closed-form start for LightGCN: layer-0 embeddings built from the leading singular
/// vectors of the normalized user-item matrix (`GraphSpectrum`), scaled so that LightGCN's
/// propagated scores are the filtered low-rank scores sum_k g(s_k) u_k v_k^T with
/// g(s) = s^`power`.
///
/// Why it holds exactly: with E0 = [U S; V S], A [U; V] = [U; V] diag(s), so the final
/// embeddings sum_l w_l A^l E0 are [U f S; V f S] with f = sum_l w_l s^l, and the scores are
/// U f^2 S^2 V^T; S = sqrt(g(s)) / f makes them U g V^T. A global factor, which no ranking
/// sees, sets the entries' root mean square (the scale Adam's steps are measured against).
public struct SpectralStart: Sendable, Hashable, Codable {
  /// Exponent of the filter g(s) = s^power on the singular values (1: the truncated SVD's
  /// own scores; larger values weigh the leading directions more).
  public var power: Float = 1
  /// Extra columns and power iterations of the randomized SVD (see `GraphSpectrum`).
  public var oversampling = 16
  public var iterations = 4

  public init(power: Float = 1) {
    self.power = power
  }

  /// The (users + items) x dim layer-0 embeddings for `graph` under layer weights `weights`,
  /// whose entries have root mean square `rms`. Columns beyond the matrix's rank (tiny graphs
  /// only) are seeded Gaussian with that deviation.
  public func embeddings(
    for graph: NormalizedAdjacency, weights: [Float], dim: Int, rms: Float, seed: UInt64
  ) -> Matrix {
    let spectrum = GraphSpectrum(
      graph: graph, rank: dim, oversampling: oversampling, iterations: iterations, seed: seed)
    return embeddings(from: spectrum, weights: weights, dim: dim, rms: rms, seed: seed)
  }

  /// The start built from an already computed `spectrum` (its leading min(rank, dim) triplets).
  public func embeddings(
    from spectrum: GraphSpectrum, weights: [Float], dim: Int, rms: Float, seed: UInt64
  ) -> Matrix {
    let rank = min(spectrum.rank, dim)
    let scales = spectrum.values.prefix(rank).map { s -> Float in
      let f = weights.enumerated().reduce(Float(0)) { $0 + $1.element * Float(pow(Double(s), Double($1.offset))) }
      return Float(pow(Double(s), Double(power) / 2)) / f
    }
    let users = spectrum.users.rows
    var g = SeededGenerator(seed: seed &+ 11)
    var e = Matrix(rows: users + spectrum.items.rows, cols: dim, gaussianStd: rms, generator: &g)
    var sumSquares = 0.0
    for r in 0..<e.rows {
      for c in 0..<rank {
        let v = (r < users ? spectrum.users[r, c] : spectrum.items[r - users, c]) * scales[c]
        e[r, c] = v
        sumSquares += Double(v * v)
      }
    }
    let factor = Float((Double(e.rows * rank) / max(sumSquares, 1e-30)).squareRoot()) * rms
    for r in 0..<e.rows { for c in 0..<rank { e[r, c] *= factor } }
    return e
  }
}
