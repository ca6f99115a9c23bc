import Foundation
import Testing

@testable import CompactRecKit

@Suite("Spectral start")
struct SpectralStartTests {
  /// 40 users x 30 items, 3 to 9 seeded random items each: rank 30, well conditioned enough
  /// for the leading values to stand apart.
  private let matrix: InteractionMatrix = {
    var g = SeededGenerator(seed: 5)
    let rows = (0..<40).map { _ in
      Array(Set((0..<(3 + Int(g.next() % 7))).map { _ in Int32(g.next() % 30) })).sorted()
    }
    return InteractionMatrix(rows: rows, columnCount: 30)
  }()

  /// R~ = D_u^-1/2 R D_i^-1/2 densely, in Double (users x items, row-major).
  private func normalized(_ graph: NormalizedAdjacency) -> [Double] {
    var r = [Double](repeating: 0, count: graph.users * graph.items)
    for u in 0..<graph.users {
      for p in Int(graph.rowOffsets[u])..<Int(graph.rowOffsets[u + 1]) {
        r[u * graph.items + Int(graph.columns[p]) - graph.users] = Double(graph.values[p])
      }
    }
    return r
  }

  /// The dense reference: singular values and the rank-k scores sum_j g(s_j) u_j v_j^T from the
  /// eigen-decomposition of R~^T R~ (items x items).
  private func denseScores(_ graph: NormalizedAdjacency, rank: Int, power: Double) -> (
    values: [Double], scores: [Double]
  ) {
    let r = normalized(graph)
    let (m, n) = (graph.users, graph.items)
    var gram = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { for u in 0..<m { gram[i * n + j] += r[u * n + i] * r[u * n + j] } } }
    let (squares, v) = SymmetricEigen.decompose(gram, n: n)
    let values = squares.prefix(rank).map { max($0, 0).squareRoot() }
    var scores = [Double](repeating: 0, count: m * n)
    for k in 0..<rank {
      // u_k = R~ v_k / s_k; the score term is g(s) u_k v_k^T.
      let u = (0..<m).map { row in (0..<n).reduce(0.0) { $0 + r[row * n + $1] * v[$1 * n + k] } / values[k] }
      for row in 0..<m { for i in 0..<n { scores[row * n + i] += pow(values[k], power) * u[row] * v[i * n + k] } }
    }
    return (values, scores)
  }

  @Test("the randomized SVD finds the leading singular values of the dense decomposition")
  func singularValues() {
    let graph = NormalizedAdjacency(matrix)
    let spectrum = GraphSpectrum(graph: graph, rank: 8, seed: 3)
    let dense = denseScores(graph, rank: 8, power: 1)
    #expect(spectrum.rank == 8)
    for (mine, reference) in zip(spectrum.values, dense.values) { #expect(abs(Double(mine) - reference) < 1e-4) }
    #expect(abs(spectrum.values[0] - 1) < 1e-4, "the normalized matrix's largest singular value is 1")
    // Orthonormal columns on both sides.
    for side in [spectrum.users, spectrum.items] {
      for a in 0..<8 {
        for b in 0..<8 {
          let dot = (0..<side.rows).reduce(Float(0)) { $0 + side[$1, a] * side[$1, b] }
          #expect(abs(dot - (a == b ? 1 : 0)) < 1e-4)
        }
      }
    }
  }

  @Test(
    "LightGCN started spectrally scores as the filtered truncated SVD, up to one positive factor",
    arguments: [1.0, 3.0])
  func propagatedScores(power: Double) {
    let weights: [Float] = [0.25, 0.25, 0.25, 0.25]
    let model = LightGCN(matrix: matrix, dim: 6, weights: weights, initStd: 0.1, seed: 1, precision: .float32)
    model.embedding.value = SpectralStart(power: Float(power)).embeddings(
      for: model.graph, weights: weights, dim: 6, rms: 0.1, seed: 9)
    model.propagate()
    let reference = denseScores(model.graph, rank: 6, power: power).scores
    let (m, n) = (model.graph.users, model.graph.items)
    var mine = [Double](repeating: 0, count: m * n)
    for u in 0..<m {
      let f = model.output.userEmbedding.value.row(u)
      for i in 0..<n {
        let g = model.output.itemEmbedding.value.row(i)
        mine[u * n + i] = zip(f, g).reduce(0.0) { $0 + Double($1.0 * $1.1) }
      }
    }
    let factor = zip(mine, reference).reduce(0.0) { $0 + $1.0 * $1.1 } / reference.reduce(0.0) { $0 + $1 * $1 }
    #expect(factor > 0)
    let scale = reference.map(abs).max()!
    for (a, b) in zip(mine, reference) { #expect(abs(a / factor - b) < 1e-3 * scale) }
    let rms =
      (model.embedding.value.storage.reduce(0.0) { $0 + Double($1 * $1) } / Double(model.embedding.value.storage.count))
      .squareRoot()
    #expect(abs(rms - 0.1) < 1e-3, "the start's entries have the asked root mean square")
  }
}
